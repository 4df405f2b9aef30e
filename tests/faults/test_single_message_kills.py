"""The mailing kill test for single messages: a drive's letters to its targets, and reminders.

Real `flask worker` processes send on Redis through the SendGrid stand-in, which answers 503,
accepts and then fails, hangs and adds latency, and posts signed events back to the app's real
webhook. Work horses and workers are killed with SIGKILL at random for a few seconds, then the
provider recovers. The stand-in's own log is the witness: every target got exactly one letter (with
its PDF) and every silent recipient exactly one reminder, threaded under the first message; asking
again afterwards sends nobody anything.

No broken variant here: with MAILING_UNSAFE_NO_QUARANTINE the drive test found no duplicate in three
runs (5-11 accept-then-fail answers each). A single message's ambiguous send came back to a job only
10-20 s later, after the provider's events had marked it seen, and a message the provider reported
is never claimed again. The mailing kill test's broken variant shows that the witness catches one.

Setup rows are built with the test's plain `app` (outbox, jobs in-process); the sending app is
`provider_and_workers`'s, on the same database.

FAULT_SEED fixes the seed (printed either way).
"""
from __future__ import annotations

import base64
import os
import random
import re
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.mail import states
from tests.faults.harness import (ProviderEvents, Workers, app_config, kill_at_random, private_redis,
                                  readers_do_not_block_writers, wait_settled, worker_env)
from tests.standins.sendgrid import Faults, SendgridStandin
from tests.standins.sendgrid_events import EventFaults

TARGETS = 150
CHASED = 100
# Rates above the mailing test's: a single message is one request, so fewer requests meet the chaos.
FAULTS = dict(p503=0.05, p_accept_then_fail=0.05, p_hang=0.01, latency=(0.002, 0.02), hang_seconds=2.0)
EVENTS = EventFaults(delay=(0.1, 1.0), p_duplicate=0.05, p_lost=0.1)


@dataclass
class Chaos:
    app: object
    standin: SendgridStandin
    workers: Workers
    rng: random.Random
    seed: int


@contextmanager
def provider_and_workers(config, redis_url, tmp_path, faults: dict = FAULTS, workers: int = 2):
    """The stand-in (keeping request bodies), the app as the test uses it, its webhook served over
    HTTP, and `workers` real worker processes; everything stopped at the end."""
    from app import create_app
    from core.db import db

    seed = int(os.environ.get("FAULT_SEED") or random.randrange(1 << 30))
    print(f"seed={seed}")
    url = private_redis(redis_url)
    with SendgridStandin(Faults(**faults), seed=seed, keep_bodies=True) as standin:
        app = create_app({**config, **app_config(url, standin.url)})
        readers_do_not_block_writers(app)
        logs = Path(os.environ.get("FAULT_LOG_DIR") or tmp_path)
        logs.mkdir(parents=True, exist_ok=True)
        running = Workers(worker_env(config["SQLALCHEMY_DATABASE_URI"], url, standin.url), logs)
        relay = ProviderEvents(app, standin, EVENTS, seed)
        relay.start()
        running.start(workers)
        try:
            yield Chaos(app, standin, running, random.Random(seed), seed)
        finally:
            running.stop()
            relay.stop()
            print(f"stand-in answers={standin.answers} events posted={relay.posted}")
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


# --- a drive ---------------------------------------------------------------------------------------

def make_drive_with_signers(app, targets: int) -> tuple[int, dict[int, str]]:
    """A drive whose tag selects `targets` contacts (English and Russian), with 7 counted signatures
    (4 without an address, 3 confirmed by their link) and 1 unconfirmed; returns its id and targets."""
    from campaigns.drives import signatures
    from campaigns.drives.signing import SignInput
    from contacts.models import Contact, Tag
    from core.db import db
    from tests.campaigns.drives.helpers import confirm, confirmation_link, make_drive, outbox

    with app.app_context():
        tag = Tag(name="eu")
        contacts = [Contact(email=f"envoy{i}@embassy{i % 7}.example", name=f"Ambassador {i}", status="active",
                            language="ru" if i % 3 == 0 else "en", tags=[tag]) for i in range(targets)]
        db.session.add_all(contacts + [Contact(email="press@media.example", name="Editor", status="active")])
        db.session.commit()
        expected = {c.id: c.email for c in contacts}
    drive_id = make_drive(app, audience={"tags": ["eu"]})
    client = app.test_client()
    with app.app_context():
        for i in range(8):
            email = f"supporter{i}@mail.example" if i >= 4 else None
            signatures.sign("free-aigerim", SignInput(name=f"Supporter {i}", city="Almaty", country="KZ", email=email,
                                                      display="full", consent=True, language="en"), f"10.1.{i}.1")
        db.session.remove()
    links = [confirmation_link(m) for m in outbox(app)]
    assert len(links) == 4
    for link in links[:3]:  # the fourth supporter never confirms: not counted, not in the letter
        assert confirm(client, link).status_code in (200, 302)
    return drive_id, expected


def drive_letters(drive_id: int):
    from campaigns.mailings.models import Message

    return Message.ref.like(f"drive:{drive_id}:%") & (Message.kind == "drive_letter")


def delivery_rows(app, drive_id: int) -> list[tuple[int, str, int, str]]:
    from sqlalchemy import select

    from campaigns.drives.models import DriveDelivery
    from core.db import db

    with app.app_context():
        rows = [(d.contact_id, d.kind, d.signatures, d.state) for d in db.session.execute(
            select(DriveDelivery).where(DriveDelivery.drive_id == drive_id)).scalars()]
        db.session.remove()
    return rows


def letters_by_target(standin: SendgridStandin) -> Counter:
    return Counter(t for a in standin.accepted for t in a.to)


def pdf_of(accepted) -> bytes:
    [attachment] = accepted.body.get("attachments") or [None]
    assert attachment and attachment["type"] == "application/pdf", f"no PDF for {accepted.to}"
    return base64.b64decode(attachment["content"])


def deliver_under_chaos(chaos: Chaos, drive_id: int, seconds: float = 8.0) -> None:
    """A double click on "Deliver": two delivery jobs (which may run at once); once the letters go
    out, kills at random while they are being sent."""
    from campaigns.drives.jobs import start_delivery

    with chaos.app.app_context():
        start_delivery(drive_id)
        start_delivery(drive_id)
    wait_for(lambda: chaos.standin.accepted, 60, "the first letter to go out")
    written = len(delivery_rows(chaos.app, drive_id))
    kills = kill_at_random(chaos.workers, chaos.rng, seconds)
    print(f"kills={dict(kills)} letters written when the kills began={written}, at their end="
          f"{len(delivery_rows(chaos.app, drive_id))}, taken by the provider={len(chaos.standin.accepted)}")


def test_killed_workers_deliver_each_target_one_letter(app, config, redis_url, tmp_path, auth):
    from campaigns.drives.delivery import Report, deliver_drive
    from campaigns.drives.drives import get_drive
    from campaigns.drives.preview import due_targets
    from core.db import db
    from campaigns.drives.jobs import start_delivery

    drive_id, targets = make_drive_with_signers(app, TARGETS)
    with provider_and_workers(config, redis_url, tmp_path) as chaos:
        deliver_under_chaos(chaos, drive_id)
        chaos.standin.faults = Faults(latency=FAULTS["latency"])  # the provider recovers
        with chaos.app.app_context():
            # What the delivery page now offers to deliver: targets no surviving job reached.
            due = [c.id for c in due_targets(get_drive(drive_id))]
            db.session.remove()
        print(f"after the chaos {len(due)} targets are still due; the campaigner delivers again")
        with chaos.app.app_context():
            start_delivery(drive_id)
        found = wait_settled(chaos.app, drive_letters(drive_id), TARGETS, timeout=90)
        with chaos.app.app_context():  # and once more, from the command line, after everything settled
            again = deliver_drive(drive_id)
            db.session.remove()
        time.sleep(1.5)  # anything it had queued would be sent by now
        got = letters_by_target(chaos.standin)
        accepted = list(chaos.standin.accepted)
    assert [e for e, n in got.items() if n > 1] == [], f"targets with two letters (seed {chaos.seed})"
    assert sorted(set(targets.values()) - set(got)) == [], f"targets never reached (seed {chaos.seed})"
    assert set(got) == set(targets.values())
    assert set(found) <= set(states.ACCEPTED), f"unsettled letters {dict(found)} (seed {chaos.seed})"
    assert again == Report(sent=0, failed=0, skipped=TARGETS, pending=0)
    for a in accepted:
        assert pdf_of(a).startswith(b"%PDF")
        if a.body["subject"] == "Free Aigerim":  # English: the 7 counted signatures, not the unconfirmed one
            assert "7 people signed this letter" in a.body["content"][0]["value"]
    rows = delivery_rows(app, drive_id)
    assert sorted(r[0] for r in rows) == sorted(targets), "one delivery row per target"
    assert {(kind, n) for _, kind, n, _ in rows} == {("compiled", 7)}
    assert {state for *_, state in rows} <= set(states.ACCEPTED)
    auth.login("campaigner")
    page = auth.client.get(f"/campaign-drives/{drive_id}").get_data(as_text=True)
    shown = re.findall(r"<td>(envoy\d+@[^<]+)</td>", page)  # the page lists the latest 50 deliveries
    assert len(shown) == 50 == len(set(shown)) and set(shown) <= set(targets.values())
    assert not any(f">{s}</span>" in page for s in (*states.OPEN, states.FAILED))


def test_a_delivery_job_killed_mid_run_still_reaches_every_target(app, config, redis_url, tmp_path):
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("resuming a killed job is rq's, not the database's: one database shows it")
    from campaigns.drives.jobs import start_delivery

    drive_id, targets = make_drive_with_signers(app, TARGETS)
    with provider_and_workers(config, redis_url, tmp_path, faults={"latency": (0.002, 0.02)}, workers=1) as chaos:
        with chaos.app.app_context():
            start_delivery(drive_id)  # as the drive page does: rq runs a job whose work horse died again
        wait_for(lambda: delivery_rows(chaos.app, drive_id), 40, "the first letter to be written")
        assert chaos.workers.kill_horse(chaos.rng), "no work horse to kill"  # one worker: the delivery job's
        written = len(delivery_rows(chaos.app, drive_id))
        if written >= TARGETS:
            pytest.skip("the job had finished before the kill")
        print(f"killed the delivery job after {written} of {TARGETS} letters")
        # rq runs the job again after its retry interval; it writes the letters the killed one had not
        wait_settled(chaos.app, drive_letters(drive_id), TARGETS, timeout=90)
        got = letters_by_target(chaos.standin)
    assert sorted(set(targets.values()) - set(got)) == [], "targets never reached"


# --- reminders -------------------------------------------------------------------------------------

def make_silent_mailing(app, recipients: int) -> tuple[int, list[dict]]:
    from campaigns.responses.chasing import set_rule
    from tests.campaigns.responses.factories import make_mailing

    made = make_mailing(app, recipients)
    with app.app_context():
        set_rule(made["mailing_id"], 5, "We have not yet heard from you about Ana.")
    return made["mailing_id"], made["messages"]


def chase_each(app, messages: list[dict], spacing: float, errors: list) -> None:
    """A campaigner asking for a reminder for each message, one after another."""
    from campaigns.responses.chasing import chase
    from core.db import db

    with app.app_context():
        for m in messages:
            try:
                chase(m["id"])
            except Exception as exc:  # noqa: BLE001  (reported by the test)
                errors.append((m["id"], repr(exc)))
            finally:
                db.session.remove()
            time.sleep(spacing)


def test_killed_workers_send_each_silent_recipient_one_threaded_reminder(app, config, redis_url, tmp_path):
    from sqlalchemy import select

    from campaigns.mailings.models import Message
    from campaigns.responses.chasing import chase
    from campaigns.responses.models import Chase
    from core.db import db
    from core.errors import Conflict

    mailing_id, messages = make_silent_mailing(app, CHASED)
    originals = {m["email"]: m["message_id_header"] for m in messages}
    with provider_and_workers(config, redis_url, tmp_path) as chaos:
        errors: list = []
        asking = threading.Thread(target=chase_each, args=(chaos.app, messages, 0.04, errors))
        asking.start()  # the reminders are asked for while the workers are being killed
        wait_for(lambda: chaos.standin.accepted, 60, "the first reminder to go out")
        kills = kill_at_random(chaos.workers, chaos.rng, 8)
        asking.join(60)
        print(f"kills={dict(kills)}")
        chaos.standin.faults = Faults(latency=FAULTS["latency"])
        found = wait_settled(chaos.app, Message.kind == "chase", CHASED, timeout=90)
        refused = 0
        with chaos.app.app_context():
            for m in messages:
                try:
                    chase(m["id"])
                except Conflict:
                    refused += 1
                db.session.remove()
            chases = list(db.session.execute(select(Chase)).scalars())
            chase_states = Counter(c.state for c in chases)
            db.session.remove()
        time.sleep(1.5)  # a reminder wrongly queued by the second asking would be sent by now
        got = Counter(t for a in chaos.standin.accepted for t in a.to)
        accepted = list(chaos.standin.accepted)
    assert errors == []
    assert [e for e, n in got.items() if n > 1] == [], f"recipients with two reminders (seed {chaos.seed})"
    assert sorted(set(originals) - set(got)) == [], f"silent recipients never reminded (seed {chaos.seed})"
    assert set(got) == set(originals)
    for a in accepted:
        [to] = a.to
        assert a.headers.get("In-Reply-To") == originals[to] == a.headers.get("References")
        assert a.body["subject"].startswith("Reminder: ")
    assert set(found) <= set(states.ACCEPTED), f"unsettled reminders {dict(found)} (seed {chaos.seed})"
    assert len(chases) == CHASED and set(chase_states) <= set(states.ACCEPTED)
    assert refused == CHASED, "asking again after the chaos must be refused for every message"
