"""Chasing: silent recipients after N working days, one threaded reminder each."""
from __future__ import annotations

from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from campaigns.responses.chasing import add_working_days
from tests.campaigns.responses.factories import SENT_AT, make_mailing
from tests.campaigns.responses.test_webhook_inbound import inbound
from tests.conftest import csrf_token


def test_working_days_skip_weekends():
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 2), 10) == date(2026, 3, 16)


def outbox(app) -> list:
    files = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]


def test_silent_recipients_are_proposed_and_a_reminder_is_threaded_to_the_first_message(app, client, auth):
    from campaigns.responses.chasing import proposals, set_rule

    made = make_mailing(app, 3)
    m = made["messages"]
    inbound(client, f"From: a@x.example\nTo: reply+{m[0]['key']}@outreach.example\nSubject: Re\nMessage-ID: <q@x>\n",
            text="Received, thank you.")
    with app.app_context():
        set_rule(made["mailing_id"], 10, "We have not yet heard from you about Ana.")
        day_before = add_working_days(SENT_AT.date(), 10) - timedelta(days=1)
        assert proposals(made["mailing_id"], day_before) == []
        due = [p.message.id for p in proposals(made["mailing_id"], date.today())]
    assert due == [m[1]["id"], m[2]["id"]]

    auth.login("campaigner")
    page = f"/responses/mailings/{made['mailing_id']}"
    assert "Nobody to chase" not in client.get(page).get_data(as_text=True)
    chase_page = f"/responses/messages/{m[1]['id']}/chase?mailing_id={made['mailing_id']}"
    assert f'href="/responses/messages/{m[1]["id"]}/chase?mailing_id={made["mailing_id"]}"' in client.get(page).get_data(as_text=True)
    assert f"This will mail 1 person: " in client.get(chase_page).get_data(as_text=True)
    token = csrf_token(client, chase_page)
    unconfirmed = client.post(f"/responses/messages/{m[1]['id']}/chase",
                              data={"csrf_token": token, "mailing_id": made["mailing_id"]})
    assert "Nothing was sent: confirm" in unconfirmed.get_data(as_text=True) and outbox(app) == []
    answer = client.post(f"/responses/messages/{m[1]['id']}/chase", follow_redirects=True,
                         data={"csrf_token": token, "mailing_id": made["mailing_id"], "confirm": "1"})
    assert "Reminder sent." in answer.get_data(as_text=True)
    [sent] = outbox(app)
    assert sent["To"] == m[1]["email"]
    assert sent["In-Reply-To"] == m[1]["message_id_header"] and sent["References"] == m[1]["message_id_header"]
    assert sent["Subject"].startswith("Reminder: ")
    again = client.post(f"/responses/messages/{m[1]['id']}/chase", data={"csrf_token": token, "confirm": "1"},
                        follow_redirects=True)
    assert "already sent" in again.get_data(as_text=True)
    assert len(outbox(app)) == 1
    with app.app_context():
        assert [p.message.id for p in proposals(made["mailing_id"], date.today())] == [m[2]["id"]]


def test_a_reply_to_the_reminder_is_matched_to_the_first_message(app, client):
    from campaigns.responses.chasing import chase, set_rule
    from campaigns.responses.models import Response
    from core.db import db

    made = make_mailing(app, 1)
    m = made["messages"][0]
    with app.app_context():
        set_rule(made["mailing_id"], 5, "A gentle reminder.")
        reminder = chase(m["id"]).message_id_header
    inbound(client, f"From: a@x.example\nTo: campaign@outreach.example\nSubject: Re: Reminder\n"
                    f"Message-ID: <late@x>\nIn-Reply-To: {reminder}\n", text="We will look into it.")
    with app.app_context():
        assert db.session.execute(db.select(Response.message_id)).scalar() == m["id"]


def test_a_reminder_has_the_first_messages_reply_to_typed_or_captured(app):
    from campaigns.mailings.models import Mailing
    from campaigns.responses.chasing import chase, set_rule
    from core.db import db

    made = make_mailing(app, 2)
    first, second = made["messages"]
    with app.app_context():
        db.session.get(Mailing, made["mailing_id"]).reply_to = "team@outreach.example"
        db.session.commit()
        set_rule(made["mailing_id"], 5, "A gentle reminder.")
        chase(first["id"])
        app.config.update(INBOUND_REPLY_DOMAIN="replies.example.org", INBOUND_WEBHOOK_SECRET="inbound-secret")
        chase(second["id"])
    sent = {m["To"]: m for m in outbox(app)}
    typed, captured = sent[first["email"]], sent[second["email"]]
    assert typed["Reply-To"] == "team@outreach.example"
    assert captured["Reply-To"] == f"reply+{second['key']}@replies.example.org"
