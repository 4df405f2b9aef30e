"""Whole mailings through an SMTP relay that answers late, drops the line after DATA, defers with
421/451 and refuses with 550, sent by real `flask worker` processes on real Redis, some of them killed
with -9 mid-send. The relay's own log of the copies it holds is the witness, never the app's states.

SMTP has no provider events: a message whose answer was lost (no final reply in time, the line cut
after the data, a worker killed mid-send) may be at the relay, so it is never sent again by itself; it
is held and listed by the API for the campaigner, who sends it again or records it as sent.

A kill holds for a person no more messages than could have been on the wire (a job claims no more than
SMTP_CONCURRENCY at a time when no provider evidence exists). FAULT_SEED replays a kill run.
"""
from __future__ import annotations

import os
import random
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select, text

from tests.conftest import AuthActions
from tests.faults.harness import (SMTP_FAST, Workers, app_config, private_redis, send_now, wait_done, wait_started,
                                  worker_env)
from tests.standins.smtp import Relay, running

# What the relay does to whom (the faults meet a recipient's first attempts only, see _faulty_relay).
FINAL_TIMEOUT = 6
ANSWERED_LATE = {f"person{i}@example.org" for i in (1, 2, 3)}       # 3 s late: sent
ANSWER_LOST = {f"person{i}@example.org" for i in (4, 5, 6)}         # 8 s late: given up, held
DROPPED = {f"person{i}@example.org" for i in (7, 8, 9)}             # line cut after the data: held
DEFERRED = {  # refused the first time(s) only, then taken: retried
    "person10@example.org": ("at_rcpt", "421 4.3.2 Service shutting down", 1),
    "person11@example.org": ("at_rcpt", "451 4.3.0 Try again later", 1),
    "person12@example.org": ("at_data_end", "421 4.3.2 Service shutting down", 1),
    "person13@example.org": ("at_data_end", "451 4.3.0 Try again later", 1),
    "person14@example.org": ("at_data_end", "451 4.3.0 Try again later", 2),
}
REFUSED = "person15@example.org"                                    # 550: failed, no copy

@contextmanager
def _mailing_through(relay: Relay, config, redis_url, tmp_path, size: int, **settings):
    """An app, `size` contacts, a draft mailing and two real workers, all pointed at the relay."""
    from app import create_app
    from core.db import db
    from tests.campaigns.mailings.factories import make_contacts, make_mailing

    redis_url = private_redis(redis_url)
    numbers = {k: float(v) if "." in v else int(v) for k, v in settings.items()}
    app = create_app({**config, **app_config(redis_url, relay.url, backend="smtp", **numbers)})
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # readers must not block the workers' writes
            with db.engine.connect() as conn:
                conn.execute(text("PRAGMA journal_mode=WAL"))
        make_contacts(size)
        mailing_id = make_mailing(rate=60_000)
        db.session.remove()
    logs = Path(os.environ.get("FAULT_LOG_DIR") or tmp_path)
    logs.mkdir(parents=True, exist_ok=True)
    workers = Workers(worker_env(config["SQLALCHEMY_DATABASE_URI"], redis_url, relay.url, backend="smtp",
                                 **settings), logs)
    workers.start(2)
    try:
        yield app, mailing_id, workers
    finally:
        workers.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _states(app, mailing_id: int) -> dict[str, str]:
    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        rows = db.session.execute(select(Message.email, Message.state).where(Message.mailing_id == mailing_id)).all()
        db.session.remove()
    return {email: str(state) for email, state in rows}


def _count_sending(app, mailing_id: int) -> int:
    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        n = db.session.execute(select(func.count()).where(Message.mailing_id == mailing_id,
                                                          Message.state == "sending")).scalar_one()
        db.session.remove()
    return n


def _api(app):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {AuthActions(app, client).token('campaigner')}"}
    return client, headers


def _held(client, headers, mailing_id: int) -> list[dict]:
    response = client.get(f"/api/v1/mailings/{mailing_id}/unknown", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["messages"]


def _decide(client, headers, mailing_id: int, decision: str, ids: list[int] | None = None) -> dict:
    body = {"decision": decision, **({"message_ids": ids} if ids is not None else {})}
    response = client.post(f"/api/v1/mailings/{mailing_id}/unknown", headers=headers, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _faulty_relay() -> Relay:
    relay = Relay()
    relay.late.update({a: 3 for a in ANSWERED_LATE} | {a: FINAL_TIMEOUT + 2 for a in ANSWER_LOST})
    relay.drop |= DROPPED
    for address, (where, reply, times) in DEFERRED.items():
        getattr(relay, where)[address] = reply
        relay.times[address] = times
    relay.at_rcpt[REFUSED] = "550 5.1.1 No such user"
    # A campaigner's "send again" meets a relay that answers: the faults were the first attempt's.
    relay.times.update({a: 1 for a in ANSWERED_LATE | ANSWER_LOST | DROPPED})
    return relay


def test_a_faulty_relay_gets_one_copy_each_and_the_lost_answers_wait_for_the_campaigner(config, redis_url, tmp_path):
    size, pump = 60, 1.0
    settings = {"SMTP_FINAL_TIMEOUT": str(FINAL_TIMEOUT), "MAILING_BATCH_SIZE": "20", "MAILING_CHUNK": "10"}
    started = time.monotonic()
    with running(_faulty_relay()) as relay, _mailing_through(relay, config, redis_url, tmp_path, size,
                                                             **settings) as (app, mailing_id, workers):
        expected = send_now(app, mailing_id)
        assert len(expected) == size
        assert wait_done(app, mailing_id, timeout=90) == "done"
        sent_in = time.monotonic() - started
        got = relay.recipients()
        states = _states(app, mailing_id)
        print(f"mailing done in {sent_in:.1f}s: relay attempts {sum(relay.attempts.values())}, "
              f"copies {len(relay.copies)} (taken {sum(got.values())}), states {dict(Counter(states.values()))}")

        # The witness: nobody twice, everybody but the refused one once.
        assert [a for a, n in got.items() if n > 1] == []
        assert sorted(expected - set(got)) == [REFUSED]
        assert relay.attempts[REFUSED] == 1  # a 550 is final: not tried again
        for address, (_, _, times) in DEFERRED.items():
            assert relay.attempts[address] == times + 1, f"{address} was not retried after its deferral"
        assert all(relay.attempts[a] == 1 for a in ANSWERED_LATE | ANSWER_LOST | DROPPED)

        # The app's view: the answered ones sent, the refused one failed, the lost answers held.
        held_addresses = ANSWER_LOST | DROPPED
        assert {a for a, s in states.items() if s == "unknown"} == held_addresses
        assert states[REFUSED] == "failed"
        assert {a for a, s in states.items() if s == "sent"} == expected - held_addresses - {REFUSED}
        client, headers = _api(app)
        held = _held(client, headers, mailing_id)
        assert {h["email"] for h in held} == held_addresses
        reasons = {h["email"]: h["reason"] for h in held}
        print("held:", reasons)
        assert all(reasons[a] == f"no reply after the final dot within SMTP_FINAL_TIMEOUT ({FINAL_TIMEOUT} s)"
                   for a in ANSWER_LOST), reasons
        assert all("final dot (the server closed the connection" in reasons[a] for a in DROPPED), reasons
        status = client.get(f"/api/v1/mailings/{mailing_id}", headers=headers).get_json()
        assert status["status"] == "done" and status["needs_decision"] == len(held_addresses)

        # Several pump periods later nothing was sent again and the held ones still wait.
        copies = len(relay.copies)
        time.sleep(5 * pump)
        assert len(relay.copies) == copies, "a held message was sent again without a person's decision"
        assert {h["email"] for h in _held(client, headers, mailing_id)} == held_addresses

        # The campaigner sends one again: exactly one more copy arrives, nobody else gets anything.
        again = next(h for h in held if h["email"] in DROPPED)
        assert _decide(client, headers, mailing_id, "resend", [again["id"]])["needs_decision"] == len(held) - 1
        assert wait_done(app, mailing_id, timeout=60) == "done"
        time.sleep(3 * pump)  # let a wrongful further send show itself
        assert relay.recipients() - got == Counter({again["email"]: 1})
        assert _states(app, mailing_id)[again["email"]] == "sent"

        # ... and records the others as sent.
        progress = _decide(client, headers, mailing_id, "sent")
        assert progress["needs_decision"] == 0 and progress["status"] == "done"
        counts = progress["counts"]
        assert (counts["sent"], counts["failed"], counts["unknown"]) == (size - 1, 1, 0)
        assert _held(client, headers, mailing_id) == []
        assert relay.recipients() - got == Counter({again["email"]: 1})
    print(f"whole test {time.monotonic() - started:.1f}s")


def test_killed_workers_over_smtp_send_nobody_two_copies_and_skip_nobody(config, redis_url, tmp_path):
    seed = int(os.environ.get("FAULT_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    size = 200
    relay = Relay()
    relay.late.update({f"person{i}@example.org": rng.uniform(0.05, 0.3) for i in range(size)})
    settings = {"MAILING_LEASE_SECONDS": "4"}  # a killed worker's claims run out within seconds
    started = time.monotonic()
    with running(relay), _mailing_through(relay, config, redis_url, tmp_path, size,
                                          **settings) as (app, mailing_id, workers):
        expected = send_now(app, mailing_id)
        wait_started(app, mailing_id, timeout=30)  # workers take a few seconds to boot
        kills, in_flight = Counter(), []
        end = time.monotonic() + 5
        while time.monotonic() < end:
            time.sleep(rng.uniform(0.8, 1.6))
            if rng.random() < 0.6:
                if not workers.kill_horse(rng):
                    continue
                kills["horse"] += 1
            else:
                workers.kill_worker(rng)
                kills["worker"] += 1
            # Claimed and not yet written back, right after the kill: the dead one's share is among them.
            in_flight.append(_count_sending(app, mailing_id))
            while len(workers.alive()) < 2:
                workers.start(1)
        status = wait_done(app, mailing_id, timeout=90)
        got = relay.recipients()
        states = _states(app, mailing_id)
        client, headers = _api(app)
        listed = _held(client, headers, mailing_id)
    held = {h["email"] for h in listed}
    reached = {a for a in held if got[a]}
    print(f"seed={seed} size={size} kills={dict(kills)} in flight at each kill={in_flight} "
          f"held={len(held)} (at the relay: {len(reached)}, never reached it: {len(held - reached)}) "
          f"copies={sum(got.values())} states={dict(Counter(states.values()))} status={status} "
          f"in {time.monotonic() - started:.1f}s")
    assert sum(kills.values()), "no kill landed: the test proved nothing"
    assert [a for a, n in got.items() if n > 1] == [], f"duplicates (seed {seed})"
    assert set(got) <= expected and len(expected) == size
    assert status == "done", f"unsettled {dict(Counter(states.values()))} (seed {seed})"
    # Nobody silently skipped: one copy and sent, or held for the campaigner (with at most one copy).
    assert {a for a, s in states.items() if s == "unknown"} == held
    assert {a for a, s in states.items() if s != "unknown"} == expected - held
    assert all(states[a] == "sent" for a in expected - held), f"seed {seed}"
    assert sorted(a for a in expected - held if got[a] != 1) == [], f"sent but not at the relay (seed {seed})"
    assert len(held) <= sum(in_flight), f"more held than were claimed when workers died (seed {seed})"
    assert all(h["reason"].startswith("the worker stopped mid-send") for h in listed), listed
    # Each kill cuts at most one job's SMTP_CONCURRENCY transactions: only those can be at the relay.
    on_the_wire = int(SMTP_FAST["SMTP_CONCURRENCY"]) * sum(kills.values())
    # Without provider evidence a job claims only what it sends at once, so a kill holds no more.
    assert len(held) <= on_the_wire, (f"{len(held)} held, at most {on_the_wire} could have been on the wire, "
                                      f"{len(held - reached)} never reached the relay (seed {seed})")
