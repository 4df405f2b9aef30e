"""Background jobs: rq on Redis when REDIS_URL is set, otherwise run in-process, synchronously.

Jobs are plain functions named by dotted path and given ids only, so rq's JSON serializer carries
them and nothing personal lands in Redis. Always commit before enqueueing: a job must never start
before the rows it needs exist.
"""
from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)
QUEUES = ("default", "mail")
_worker_app: dict[int, Flask] = {}
# Jobs that live workers keep running periodically: dotted path -> period in seconds.
PERIODIC: dict[str, tuple[float, str]] = {}


def redis_connection(url: str | None = None):
    from redis import Redis

    return Redis.from_url(url or current_app.config["REDIS_URL"])


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(path: str, *args: Any, queue: str = "default", job_id: str | None = None,
            at_front: bool = False, delay_seconds: float | None = None, timeout: float | None = None,
            retries: tuple[int, ...] = ()) -> str | None:
    """Run `path(*args)` in the background (or now, in-process, without Redis). `timeout`: seconds after
    which rq stops the job (rq's default is 180). `retries`: seconds to wait before each new try when
    the job fails or its work horse dies (only for idempotent jobs)."""
    if not current_app.config.get("REDIS_URL"):
        _resolve(path)(*args)
        return None
    from datetime import timedelta

    from rq import Queue

    q = Queue(queue, connection=redis_connection(), serializer="rq.serializers.JSONSerializer")
    kwargs = dict(job_id=job_id, at_front=at_front, result_ttl=600, failure_ttl=86400)
    if timeout:
        kwargs["job_timeout"] = int(timeout) + 1
    if retries:
        from rq import Retry

        kwargs["retry"] = Retry(max=len(retries), interval=list(retries))
    if delay_seconds:
        job = q.enqueue_in(timedelta(seconds=delay_seconds), run_job, path, list(args), **kwargs)
    else:
        job = q.enqueue(run_job, path, list(args), **kwargs)
    return job.id


_parent_app: Flask | None = None


# Modules the jobs import, loaded once in the worker so that no work horse imports them again.
JOB_MODULES = ("campaigns.mailings.jobs", "campaigns.mailings.compose", "campaigns.mailings.preparing",
               "campaigns.appeals.rendering", "core.mail.sendgrid", "core.mail.smtp", "core.mail.outbox",
               "contacts.jobs")


def share_app_with_work_horses(app: Flask) -> None:
    """Called by the worker before it forks: each work horse reuses this app instead of building its
    own (building one compiles every URL rule, about half a second of CPU per job), with the ORM's
    mappers configured and the job modules imported once here rather than in every work horse (that
    was more than half of a short job's CPU)."""
    import importlib

    from sqlalchemy.orm import configure_mappers

    global _parent_app
    _parent_app = app
    for name in JOB_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # an installation without that part
            pass
    with app.app_context():
        configure_mappers()


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


def every(path: str, seconds: float, queue: str = "default") -> None:
    """Have the workers enqueue `path()` about every `seconds` (once across all machines).

    Driven by each worker process itself, not by rq's scheduler, so it resumes as soon as any worker
    starts, even after Redis lost everything.
    """
    PERIODIC[path] = (float(seconds), queue)


def enqueue_periodic_jobs() -> list[str]:
    """One pass: enqueue every periodic job whose period has passed (a Redis key per job dedupes)."""
    conn = redis_connection()
    due = [(p, q) for p, (s, q) in PERIODIC.items()
           if conn.set(f"periodic:{p}", "1", nx=True, px=max(1, int(s * 1000)))]
    for path, queue in due:
        enqueue(path, queue=queue)
    return [p for p, _ in due]


def start_periodic_thread(app: Flask) -> threading.Thread:
    """A daemon thread in the worker's main process (work horses are forked from it, without it)."""
    def loop() -> None:
        while True:
            try:
                with app.app_context():
                    enqueue_periodic_jobs()
            except Exception:  # noqa: BLE001 - Redis away: try again on the next tick
                log.warning("could not enqueue periodic jobs; retrying", exc_info=True)
            time.sleep(min([1.0, *(s for s, _ in PERIODIC.values())]))

    thread = threading.Thread(target=loop, name="periodic-jobs", daemon=True)
    thread.start()
    return thread


def run_job(path: str, args: list) -> Any:
    """Entry point of every rq job: an app context in this process, then the job function."""
    app = _app_for_this_process()
    with app.app_context():
        from core.db import db

        try:
            return _resolve(path)(*args)
        finally:
            db.session.remove()
