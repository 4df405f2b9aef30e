"""The mailing pipeline's settings: read once from the environment when the app is built.

Values given to `create_app(config)` win over the environment. Every one has a default that suits
SendGrid in production; tests shorten the lease, quarantine and pump interval.
"""
from __future__ import annotations

import os

DEFAULTS = {
    "MAILING_BATCH_SIZE": 1000,         # recipients per rq job (fewer forks and new connections per message)
    "MAILING_CHUNK": 256,               # recipients claimed at a time inside a job
    "MAILING_LEASE_SECONDS": 120.0,       # a claim expires after this; must exceed a chunk's send time
    "MAILING_QUARANTINE_SECONDS": 900.0,  # longer than the provider's event delay
    "MAILING_PUMP_SECONDS": 5.0,          # the pump's period
    "MAILING_REDISPATCH_SECONDS": 120.0,  # a queued row handed to a job this long ago is handed out again
    "MAILING_WINDOW": 8000,             # at most this many rows of one mailing handed to jobs at once
    "MAILING_JOB_SECONDS": 120.0,         # a job stops taking new chunks after this (rq kills at 180)
    "MAILING_RETRY_SECONDS": 2.0,       # base of the exponential backoff (with full jitter) on retries
    "MAIL_RATE_PER_MINUTE": 0,          # global rate over all mailings (0: unlimited)
    "SENDGRID_CONCURRENCY": 256,        # requests in flight per job: a whole chunk in one round trip
    "SENDGRID_CONNECT_TIMEOUT": 5.0,
    "SENDGRID_READ_TIMEOUT": 20.0,
    "MAILING_UNSAFE_NO_QUARANTINE": False,  # only for the fault test's deliberately broken variant
}


def load(app) -> None:
    for name, default in DEFAULTS.items():
        if name in app.config:
            continue
        raw = os.environ.get(name)
        if raw in (None, ""):
            app.config[name] = default
        elif isinstance(default, bool):
            app.config[name] = raw.lower() in ("1", "true", "yes")
        else:
            app.config[name] = int(float(raw)) if isinstance(default, int) else float(raw)
