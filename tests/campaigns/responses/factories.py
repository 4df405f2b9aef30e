"""Real rows for response tests: a mailing with sent messages, signed webhook posts."""
from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric import ec

from core.mail.sendgrid import KEY_ARG
from campaigns.responses.signatures import public_key_text, sign

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = public_key_text(KEY)
SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday


def make_mailing(app, recipients: int = 3, state: str = "sent", case_ids=(), sent_at: datetime = SENT_AT,
                 name: str = "Appeal for Ana") -> dict:
    """A mailing with `recipients` contacts (in two organisations and countries) and their messages."""
    from campaigns.mailings.models import Mailing, Message
    from contacts.models import Contact, Organisation
    from core.db import db

    with app.app_context():
        orgs = []
        for country in ("DE", "FR"):
            org = db.session.execute(db.select(Organisation).where(Organisation.country == country)).scalar()
            if org is None:
                org = Organisation(name=f"Embassy of {country}", kind="embassy", country=country)
                db.session.add(org)
            orgs.append(org)
        db.session.flush()
        mailing = Mailing(name=name, status="done", from_email="campaign@outreach.example", case_ids=list(case_ids),
                          started_at=sent_at)
        db.session.add(mailing)
        db.session.flush()
        messages = []
        for i in range(recipients):
            org = orgs[i % 2]
            email = f"r{i}-{secrets.token_hex(3)}@{org.country.lower()}.example"
            contact = Contact(email=email, name=f"Diplomat {i}", organisation_id=org.id, country=org.country,
                              kind="embassy")
            db.session.add(contact)
            db.session.flush()
            key = secrets.token_urlsafe(15)
            messages.append(Message(mailing_id=mailing.id, contact_id=contact.id, email=email, key=key, state=state,
                                    sent_at=sent_at if state not in ("unknown", "queued") else None,
                                    message_id_header=f"<{key}.1@outreach.example>",
                                    content_hash=secrets.token_hex(32), provider_message_id=None))
        db.session.add_all(messages)
        db.session.commit()
        return {"mailing_id": mailing.id, "messages": [
            {"id": m.id, "key": m.key, "email": m.email, "contact_id": m.contact_id,
             "message_id_header": m.message_id_header} for m in messages]}


def event(kind: str, message: dict, at: datetime | int = 0, **extra) -> dict:
    ts = int(at.timestamp()) if isinstance(at, datetime) else int(SENT_AT.timestamp()) + 60 + at
    return {"event": kind, "email": message["email"], "timestamp": ts, KEY_ARG: message["key"],
            "sg_event_id": extra.pop("sg_event_id", secrets.token_urlsafe(16)),
            "sg_message_id": f"{message['key']}x.filter0001.1", **extra}


def signed_headers(body: bytes, key=KEY, timestamp: int | None = None) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": "application/json", "X-Twilio-Email-Event-Webhook-Signature": sign(key, body, stamp),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp}


def post_events(client, events: list[dict], **kw):
    body = json.dumps(events).encode()
    return client.post("/webhooks/sendgrid/events", data=body, headers=signed_headers(body, **kw))


def message_row(app, message_id: int):
    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        m = db.session.get(Message, message_id)
        return {"state": m.state, "provider_seen_at": m.provider_seen_at, "sent_at": m.sent_at}
