"""`flask worker`: an rq worker for the app's queues, using the JSON serializer."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.queue import QUEUES, redis_connection, share_app_with_work_horses, start_periodic_thread


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit when the queues are empty.")
@click.option("--queue", "queues", multiple=True, help="Queues to listen on (default: all).")
@with_appcontext
def worker_command(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an rq worker for the app's queues (needs REDIS_URL)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run in-process and need no worker")
    from rq import Queue, Worker

    share_app_with_work_horses(current_app._get_current_object())
    start_periodic_thread(current_app._get_current_object())
    conn = redis_connection()
    qs = [Queue(name, connection=conn, serializer="rq.serializers.JSONSerializer") for name in (queues or QUEUES)]
    Worker(qs, connection=conn, serializer="rq.serializers.JSONSerializer").work(burst=burst, with_scheduler=True)
