"""Single messages through the one ledger: written before the send, sent once, decided by a person when
their fate is unknown. In-process here (no Redis): the job runs as soon as the message is committed."""
from __future__ import annotations

import email
from pathlib import Path

import pytest
from sqlalchemy import select

from campaigns.mailings import outgoing
from campaigns.mailings.models import Message
from core import mail
from core.db import db
from tests.conftest import AuthActions, csrf_token
from tests.standins.smtp import Relay, running


def outbox(app) -> list[email.message.Message]:
    folder = Path(app.config["OUTBOX_DIR"])
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def envelope(to="envoy@example.org", attachments=()) -> mail.Envelope:
    from dataclasses import replace

    return replace(mail.transactional(to, "A reminder", "Dear envoy, ..."), attachments=attachments)


def test_a_single_message_is_sent_once_and_its_sealed_content_is_wiped(app):
    with app.app_context():
        first = outgoing.queue_one(envelope(), "invitation", "invitation:1")
        again = outgoing.queue_one(envelope(), "invitation", "invitation:1")  # a retried job, a double click
        row = db.session.get(Message, first.id)
        assert again.id == first.id and row.state == "sent" and row.sealed is None and row.mailing_id is None
        assert row.kind == "invitation" and row.message_id_header
    [sent] = outbox(app)
    assert sent["To"] == "envoy@example.org" and sent["Message-ID"] == row.message_id_header


def test_attachments_survive_the_wait_in_the_ledger(app):
    pdf = mail.Attachment("letter.pdf", b"%PDF-1.4 letter", "application/pdf")
    with app.app_context():
        outgoing.queue_one(envelope(attachments=(pdf,)), "drive_letter", "drive:1:batch:1:contact:1")
    [sent] = outbox(app)
    [part] = [p for p in sent.walk() if p.get_filename() == "letter.pdf"]
    assert part.get_payload(decode=True) == b"%PDF-1.4 letter"


def test_a_message_whose_content_was_not_kept_is_refused_never_sent_blank(app):
    with app.app_context():
        row = Message(kind="chase", email="envoy@example.org", key="k-legacy", state="queued")
        db.session.add(row)
        db.session.commit()
        assert outgoing.deliver_one(row.id) == "failed"
        assert "not kept" in db.session.get(Message, row.id).last_error
    assert outbox(app) == []


@pytest.fixture
def relay():
    with running(Relay()) as r:
        yield r


def smtp_app(config, relay_url: str, **extra):
    from app import create_app

    return create_app({**config, "MAIL_BACKEND": "smtp", "SMTP_URL": relay_url, "SMTP_FINAL_TIMEOUT": 1.0, **extra})


def test_through_smtp_a_lost_answer_is_held_for_a_person_and_never_sent_again(config, relay):
    relay.drop.add("envoy@example.org")
    app = smtp_app(config, relay.url)
    auth = AuthActions(app, app.test_client())
    with app.app_context():
        first = outgoing.queue_one(envelope(), "chase")
        from campaigns.mailings import jobs

        for _ in range(3):  # the pump runs again and again: nothing may resend it
            jobs.run_pump()
        assert db.session.get(Message, first.id).state == "unknown"
    assert relay.taken("envoy@example.org") == 1
    client = auth.client
    auth.login("viewer")
    assert "1 single message (reminders, letters, confirmations) of unknown fate" in client.get("/mailings/").get_data(as_text=True)
    page = client.get("/mailings/unknown").get_data(as_text=True)
    assert "envoy@example.org" in page and "Reminder" in page and "no reply after the final dot" in page
    assert 'id="resend-unknown"' not in page  # a viewer reads, a campaigner decides
    client = app.test_client()
    auth.login("campaigner", client=client)
    unconfirmed = client.post("/mailings/unknown", data={"decision": "resend", "csrf_token": csrf_token(client, "/mailings/unknown")})
    assert unconfirmed.status_code == 302 and relay.taken("envoy@example.org") == 1  # no tick, no second copy
    relay.drop.clear()
    client.post("/mailings/unknown", data={"decision": "resend", "confirm": "yes",
                                           "csrf_token": csrf_token(client, "/mailings/unknown")})
    assert relay.taken("envoy@example.org") == 2  # the campaigner's explicit choice, once
    with app.app_context():
        assert db.session.get(Message, first.id).state == "sent"
        assert db.session.execute(select(Message.sealed).where(Message.id == first.id)).scalar() is None


def test_through_the_api_a_held_message_can_be_recorded_as_sent(config, relay):
    relay.drop.add("envoy@example.org")
    app = smtp_app(config, relay.url)
    with app.app_context():
        held_id = outgoing.queue_one(envelope(), "confirmation").id
        from accounts.services import create_user, issue_token

        user = create_user("api@example.org", "campaigner", "correct horse battery staple")
        token = issue_token(user, "test")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/messages/unknown", headers=headers).get_json()["messages"]
    assert [(m["id"], m["kind"], m["email"]) for m in listed] == [(held_id, "confirmation", "envoy@example.org")]
    assert listed[0]["reason"]
    answer = client.post("/api/v1/messages/unknown", json={"decision": "sent"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {"moved": 1}
    assert client.get("/api/v1/messages/unknown", headers=headers).get_json()["messages"] == []
    again = client.post("/api/v1/messages/unknown", json={"decision": "sent"}, headers=headers)
    assert again.status_code == 409
    assert relay.taken("envoy@example.org") == 1
