"""POST /webhooks/sendgrid/events: signed batches, any order, each event once, bounces suppress."""
from __future__ import annotations

import json
import time

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from core.mail.sendgrid import KEY_ARG
from tests.campaigns.responses.factories import event, make_mailing, message_row, post_events, signed_headers


def count_events(app) -> int:
    from campaigns.responses.models import MessageEvent
    from core.db import db

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(MessageEvent)).scalar()


def test_a_signed_batch_is_recorded_and_moves_messages_on(app, client):
    m = make_mailing(app, 2)["messages"]
    response = post_events(client, [event("processed", m[0]), event("delivered", m[0], 5),
                                    event("delivered", m[1], 6), event("click", m[1], 90)])
    assert response.status_code == 200
    assert response.get_json()["recorded"] == 4
    assert message_row(app, m[0]["id"])["state"] == "delivered"
    assert message_row(app, m[1]["id"])["state"] == "clicked"
    assert message_row(app, m[0]["id"])["provider_seen_at"] is not None


def test_events_out_of_order_never_lower_a_state(app, client):
    m = make_mailing(app, 1)["messages"][0]
    post_events(client, [event("open", m, 100, useragent="Mozilla/5.0 (Windows NT 10.0) Thunderbird/115")])
    post_events(client, [event("delivered", m, 10), event("processed", m, 1), event("deferred", m, 5)])
    assert message_row(app, m["id"])["state"] == "opened"
    post_events(client, [event("click", m, 200), event("delivered", m, 20)])
    assert message_row(app, m["id"])["state"] == "clicked"


def test_the_same_events_twice_are_recorded_once(app, client):
    m = make_mailing(app, 1)["messages"][0]
    batch = [event("processed", m), event("delivered", m, 5)]
    first = post_events(client, batch).get_json()
    again = post_events(client, batch + [event("delivered", m, 5, sg_event_id=batch[1]["sg_event_id"])]).get_json()
    assert first["recorded"] == 2 and again["recorded"] == 0 and again["duplicates"] == 3
    assert count_events(app) == 2


def test_an_unknown_message_is_reconciled_by_its_events(app, client):
    m = make_mailing(app, 1, state="unknown")["messages"][0]
    post_events(client, [event("delivered", m, 30), event("processed", m, 2)])
    row = message_row(app, m["id"])
    assert row["state"] == "delivered"
    assert row["provider_seen_at"] == row["sent_at"] and row["sent_at"] is not None


def test_a_hard_bounce_suppresses_the_address_and_a_block_does_not(app, client):
    from contacts.models import Contact
    from contacts.suppression import is_suppressed
    from core.db import db

    m = make_mailing(app, 2)["messages"]
    post_events(client, [event("bounce", m[0], 5, type="bounce", status="5.1.1", reason="550 user unknown"),
                         event("bounce", m[1], 5, type="blocked", status="5.7.1", reason="blocked by policy")])
    assert message_row(app, m[0]["id"])["state"] == "bounced"
    assert message_row(app, m[1]["id"])["state"] == "bounced"
    with app.app_context():
        assert is_suppressed(m[0]["email"]) and not is_suppressed(m[1]["email"])
        assert db.session.get(Contact, m[0]["contact_id"]).status == "bounced"
    post_events(client, [event("delivered", m[0], 1)])  # a late delivery does not undo the bounce
    assert message_row(app, m[0]["id"])["state"] == "bounced"


def test_spam_reports_and_unsubscribes_suppress(app, client):
    from contacts.suppression import is_suppressed

    m = make_mailing(app, 2)["messages"]
    post_events(client, [event("spamreport", m[0], 50), event("unsubscribe", m[1], 50)])
    with app.app_context():
        assert is_suppressed(m[0]["email"]) and is_suppressed(m[1]["email"])


def test_machine_opens_are_flagged_and_not_counted_as_reads(app, client):
    from campaigns.responses.models import MessageEvent
    from core.db import db

    m = make_mailing(app, 1)["messages"][0]
    post_events(client, [event("delivered", m, 5), event("open", m, 40, sg_machine_open=True)])
    assert message_row(app, m["id"])["state"] == "delivered"
    with app.app_context():
        assert db.session.execute(select(MessageEvent.machine).where(MessageEvent.kind == "open")).scalar() is True


def test_events_for_messages_we_do_not_know_are_counted_not_stored(app, client):
    ghost = {"email": "x@y.example", "key": "not-a-key-of-ours"}
    result = post_events(client, [event("delivered", ghost)]).get_json()
    assert result["unmatched"] == 1 and count_events(app) == 0


def _refused(app, client, headers_for, tamper=lambda body: body):
    m = make_mailing(app, 1)["messages"][0]
    body = json.dumps([{"event": "bounce", "email": m["email"], "timestamp": int(time.time()), KEY_ARG: m["key"],
                        "sg_event_id": "e-1", "type": "bounce"}]).encode()
    response = client.post("/webhooks/sendgrid/events", data=tamper(body), headers=headers_for(body))
    assert response.status_code == 403
    assert count_events(app) == 0 and message_row(app, m["id"])["state"] == "sent"


def test_a_tampered_body_gets_403_and_changes_nothing(app, client):
    _refused(app, client, signed_headers, tamper=lambda body: body.replace(b"bounce", b"delivered"))


def test_a_signature_by_another_key_gets_403(app, client):
    other = ec.generate_private_key(ec.SECP256R1())
    _refused(app, client, lambda body: signed_headers(body, key=other))


def test_a_replayed_old_request_gets_403(app, client):
    _refused(app, client, lambda body: signed_headers(body, timestamp=int(time.time()) - 3600))


def test_an_unsigned_request_gets_403(app, client):
    _refused(app, client, lambda body: {"Content-Type": "application/json"})


def test_without_a_configured_key_every_request_is_refused(app, client):
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = None
    m = make_mailing(app, 1)["messages"][0]
    assert post_events(client, [event("delivered", m)]).status_code == 403
    assert count_events(app) == 0
