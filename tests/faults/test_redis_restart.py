"""Redis restarts mid-mailing (it keeps nothing on disk: every queued job and rate is lost, and every
connection drops). The database is the truth: the pump re-hands out what was queued, so the mailing
finishes, and the provider's own log shows nobody got two messages and nobody was skipped.
"""
from __future__ import annotations

import time
from collections import Counter

import redis as redis_lib
from sqlalchemy import text

from core.mail import states as message_states
from tests.faults.harness import (ProviderEvents, Workers, app_config, final_states, private_redis, send_now, wait_done, wait_started,
                                  worker_env)
from tests.standins.sendgrid import Faults, SendgridStandin

SIZE = 600


def restart_redis(url: str) -> int:
    """What a restart does to our database: everything in it gone, every client of it disconnected."""
    conn = redis_lib.Redis.from_url(url)
    db = conn.connection_pool.connection_kwargs.get("db", 0)
    conn.flushdb()
    me = conn.client_id()
    dropped = 0
    for client in conn.client_list():
        if int(client.get("db", -1)) == db and int(client["id"]) != me:
            dropped += conn.client_kill_filter(_id=client["id"])
    conn.close()
    return dropped


def test_a_redis_restart_mid_mailing_loses_nobody_and_sends_nobody_twice(config, redis_url, tmp_path):
    from app import create_app
    from core.db import db
    from tests.campaigns.mailings.factories import make_contacts, make_mailing

    url = private_redis(redis_url)
    with SendgridStandin(Faults(latency=(0.005, 0.02))) as standin:
        app = create_app({**config, **app_config(url, standin.url)})
        with app.app_context():
            if db.engine.dialect.name == "sqlite":
                with db.engine.connect() as conn:
                    conn.execute(text("PRAGMA journal_mode=WAL"))
            make_contacts(SIZE)
            mailing_id = make_mailing(rate=SIZE * 6)  # about ten seconds of sending
        workers = Workers(worker_env(config["SQLALCHEMY_DATABASE_URI"], url, standin.url), tmp_path)
        relay = ProviderEvents(app, standin)
        relay.start()
        workers.start(2)
        try:
            expected = send_now(app, mailing_id)
            wait_started(app, mailing_id, timeout=30)
            dropped = []
            for _ in range(2):
                time.sleep(1.5)
                dropped.append(restart_redis(url))
            print(f"redis restarted twice; connections dropped: {dropped}")
            while len(workers.alive()) < 2:  # a supervisor restarts a worker that gave up on Redis
                workers.start(1)
            status = wait_done(app, mailing_id, timeout=180)
        finally:
            workers.stop()
            relay.stop()
        states = final_states(app, mailing_id)
    got = Counter(standin.recipients())
    assert [e for e, n in got.items() if n > 1] == [], "a recipient got two messages"
    assert sorted(expected - set(got)) == [], "recipients never mailed"
    assert len(expected) == SIZE and set(got) == expected
    assert status == "done" and set(states) <= set(message_states.ACCEPTED), f"unsettled messages {dict(states)}"
