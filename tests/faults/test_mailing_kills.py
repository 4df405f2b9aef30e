"""Kill -9 workers and work horses mid-mailing while the provider misbehaves; prove from the
provider's own log that nobody got two messages, nobody was skipped and nothing is left unsettled.
The provider's events come back as in production: signed posts to the app's real event webhook,
late, twice, out of order, some lost.

The same run against the deliberately broken variant (no quarantine) must find duplicates, which
shows the test can fail. Sizes and seeds: FAULT_RECIPIENTS (default 1000; the issue's full run is
5000), FAULT_SEED (printed either way).
"""
from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, text

from core.mail import states as message_states
from tests.faults.harness import (ProviderEvents, Workers, app_config, final_states, kill_at_random, private_redis, send_now,
                                  wait_done, wait_started, worker_env)
from tests.standins.sendgrid import Faults, SendgridStandin
from tests.standins.sendgrid_events import EventFaults

SIZE = int(os.environ.get("FAULT_RECIPIENTS", "1000"))
FAULTS = dict(p429=0.003, p503=0.03, p_accept_then_fail=0.03, p_hang=0.004, latency=(0.002, 0.02),
              hang_seconds=2.0)
# Events arrive well inside the quarantine (FAST: 3 s), as SendGrid's do inside the default 10 minutes.
EVENTS = EventFaults(delay=(0.1, 1.0), p_duplicate=0.05, p_lost=0.1)


def _chaos_run(config, redis_url, tmp_path, size: int, seed: int, unsafe: bool, chaos_seconds: float = 6.0):
    from app import create_app
    from campaigns.mailings.models import Message
    from core.db import db
    from tests.campaigns.mailings.factories import make_contacts, make_mailing

    rng = random.Random(seed)
    redis_url = private_redis(redis_url)
    extra = {"MAILING_UNSAFE_NO_QUARANTINE": "1"} if unsafe else {}
    with SendgridStandin(Faults(**FAULTS), seed=seed, log_path=str(tmp_path / "standin.jsonl")) as standin:
        app = create_app({**config, **app_config(redis_url, standin.url, MAILING_UNSAFE_NO_QUARANTINE=unsafe)})
        with app.app_context():
            if db.engine.dialect.name == "sqlite":  # readers must not block the workers' writes
                with db.engine.connect() as conn:
                    conn.execute(text("PRAGMA journal_mode=WAL"))
            make_contacts(size)
            # A rate of size/6 s spreads the send over several seconds of chaos.
            mailing_id = make_mailing(rate=max(600, size * 10))
            expected = set(db.session.execute(select(Message.email)).scalars())  # empty: not prepared yet
        logs = Path(os.environ.get("FAULT_LOG_DIR") or tmp_path)
        logs.mkdir(parents=True, exist_ok=True)
        workers = Workers(worker_env(config["SQLALCHEMY_DATABASE_URI"], redis_url, standin.url, **extra), logs)
        relay = ProviderEvents(app, standin, EVENTS, seed)
        relay.start()
        workers.start(2)
        try:
            expected = send_now(app, mailing_id)
            wait_started(app, mailing_id, timeout=30)  # workers take a few seconds to boot
            kills = kill_at_random(workers, rng, chaos_seconds)
            print(f"seed={seed} size={size} unsafe={unsafe} kills={dict(kills)}")
            if not unsafe:  # the provider recovers; the broken variant keeps meeting faults to the end
                standin.faults = Faults(latency=FAULTS["latency"])
            status = wait_done(app, mailing_id, timeout=240)  # generous: CI machines are busy
        finally:
            workers.stop()
            relay.stop()
        states = final_states(app, mailing_id)
        print(f"stand-in answers={standin.answers} events posted={relay.posted} states={dict(states)} status={status}")
        return standin, expected, states, status


def test_killed_workers_send_nobody_two_messages_and_skip_nobody(config, redis_url, tmp_path):
    seed = int(os.environ.get("FAULT_SEED") or random.randrange(1 << 30))
    standin, expected, states, status = _chaos_run(config, redis_url, tmp_path, SIZE, seed, unsafe=False)
    got = Counter(standin.recipients())
    assert all(len(a.to) == 1 for a in standin.accepted), "a request carried more than one recipient"
    assert [e for e, n in got.items() if n > 1] == [], f"duplicates (seed {seed})"
    assert sorted(expected - set(got)) == [], f"recipients never mailed (seed {seed})"
    assert set(got) <= expected
    assert status == "done" and set(states) <= set(message_states.ACCEPTED), f"unsettled {dict(states)} (seed {seed})"
    assert len(expected) == SIZE


def test_the_broken_variant_without_quarantine_is_caught(config, redis_url, tmp_path):
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("one database is enough to show the test can fail")
    seed = int(os.environ.get("FAULT_SEED") or random.randrange(1 << 30))
    standin, expected, _, _ = _chaos_run(config, redis_url, tmp_path, 400, seed, unsafe=True, chaos_seconds=4)
    got = Counter(standin.recipients())
    duplicates = [e for e, n in got.items() if n > 1]
    print(f"seed={seed} broken variant: {len(duplicates)} recipients got two or more messages")
    assert duplicates, "the broken variant sent no duplicates: the fault test would not catch one"
