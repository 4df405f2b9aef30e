"""Background jobs: rq on Redis when REDIS_URL is set, otherwise run in-process, synchronously.

Jobs are plain functions named by dotted path and given ids only, so rq's JSON serializer carries
them and nothing personal lands in Redis. Always commit before enqueueing: a job must never start
before the rows it needs exist.
"""
from __future__ import annotations

import importlib
import os
from typing import Any

from flask import Flask, current_app

QUEUES = ("default", "mail")
_worker_app: dict[int, Flask] = {}


def redis_connection(url: str | None = None):
    from redis import Redis

    return Redis.from_url(url or current_app.config["REDIS_URL"])


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(path: str, *args: Any, queue: str = "default", job_id: str | None = None,
            at_front: bool = False, delay_seconds: float | None = None) -> str | None:
    """Run `path(*args)` in the background (or now, in-process, without Redis)."""
    if not current_app.config.get("REDIS_URL"):
        _resolve(path)(*args)
        return None
    from datetime import timedelta

    from rq import Queue

    q = Queue(queue, connection=redis_connection(), serializer="rq.serializers.JSONSerializer")
    kwargs = dict(job_id=job_id, at_front=at_front, result_ttl=600, failure_ttl=86400)
    if delay_seconds:
        job = q.enqueue_in(timedelta(seconds=delay_seconds), run_job, path, list(args), **kwargs)
    else:
        job = q.enqueue(run_job, path, list(args), **kwargs)
    return job.id


_parent_app: Flask | None = None


def share_app_with_work_horses(app: Flask) -> None:
    """Called by the worker before it forks: each work horse reuses this app instead of building its
    own (building one compiles every URL rule, about half a second of CPU per job)."""
    global _parent_app
    _parent_app = app


def _app_for_this_process() -> Flask:
    pid = os.getpid()
    app = _worker_app.get(pid)
    if app is None:
        if _parent_app is not None:
            app = _parent_app
            with app.app_context():
                from core.db import db

                db.engine.dispose(close=False)  # the pooled connections belong to the parent
        else:
            from app import create_app

            app = create_app()
        _worker_app[pid] = app
    return app


def run_job(path: str, args: list) -> Any:
    """Entry point of every rq job: an app context in this process, then the job function."""
    app = _app_for_this_process()
    with app.app_context():
        from core.db import db

        try:
            return _resolve(path)(*args)
        finally:
            db.session.remove()
