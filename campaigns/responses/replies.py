"""Receiving inbound mail: match it to our message, store the reply, or turn a bounce report into events."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from campaigns.mailings.models import MAILING_KIND, Message
from campaigns.responses.classify import suggest
from campaigns.responses.events import Event
from campaigns.responses.inbound import InboundMail, sanitise_html
from campaigns.responses.ingest import raise_states, record_events
from campaigns.responses.models import Chase, Response, ResponseAttachment
from contacts.models import Contact
from contacts.suppression import suppress
from core.db import db, utcnow

MAX_TEXT = 200_000
MAX_ATTACHMENT = 10 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    outcome: str                 # reply, auto_reply, bounce, unsubscribe, drive_copy, duplicate
    response_id: int | None = None
    message_id: int | None = None


def _bare(ids: list[str]) -> list[str]:
    return list({i for i in ids} | {i.strip("<>") for i in ids})


def match_message(mail: InboundMail) -> Message | None:
    """Our message this mail answers: by the reply token, else by the thread's Message-IDs."""
    tokens = mail.tokens
    if tokens:
        mailed = Message.kind == MAILING_KIND  # replies belong to a mailing's recipient
        found = db.session.execute(select(Message).where(Message.key.in_(tokens), mailed)).scalars().first()
        if found is None:
            found = db.session.execute(select(Message).where(
                func.lower(Message.key).in_([t.lower() for t in tokens]), mailed)).scalars().first()
        if found is not None:
            return found
    ids = _bare(mail.thread_ids)
    if not ids:
        return None
    found = db.session.execute(select(Message).where(Message.message_id_header.in_(ids),
                                                     Message.kind == MAILING_KIND)
                               .order_by(Message.id.desc())).scalars().first()
    if found is None:  # a reply to a reminder we sent is a reply to the first message
        sent = aliased(Message)
        found = db.session.execute(select(Message).join(Chase, Chase.message_id == Message.id)
                                   .join(sent, sent.id == Chase.sent_id)
                                   .where(sent.message_id_header.in_(ids))).scalars().first()
    return found


def _bounce_events(mail: InboundMail, message: Message | None) -> list[Event]:
    events = []
    for bounce in mail.bounces:
        target = message if message is not None and message.email == bounce.recipient else None
        if target is None:  # the report names an address: its latest message from us
            target = db.session.execute(select(Message).where(Message.email == bounce.recipient)
                                        .order_by(Message.id.desc())).scalars().first()
        if target is None:
            continue
        seed = f"{mail.message_id or mail.text[:2000]}|{bounce.recipient}|{bounce.status}"
        events.append(Event(sg_event_id="dsn:" + hashlib.sha256(seed.encode()).hexdigest()[:60],
                            kind="bounce" if bounce.status.startswith("5") else "deferred",
                            key=target.key, email=bounce.recipient, occurred_at=utcnow(),
                            detail=f"{bounce.status} (bounce report by mail)", hard_bounce=bounce.hard))
    return events


def _unsubscribe(tokens: list[str]) -> Received:
    """A mail to a message's List-Unsubscribe address: never mail that address again."""
    message = db.session.execute(select(Message).where(Message.key.in_(tokens))).scalars().first()
    if message is not None:
        suppress(message.email, "unsubscribed")
        db.session.commit()
    return Received("unsubscribe", None, message.id if message else None)


def _drive_copy(mail: InboundMail) -> bool:
    """A supporter's own copy of a drive's letter, Bcc'd to the drive's counted copy address.

    It is counted (once per signature; an unknown token counts nothing) and nothing else is kept: the
    mail carries the supporter's own address. True when the mail went to a copy address at all.
    """
    from flask import current_app

    from campaigns.drives.delivery import record_copy

    prefix = current_app.config.get("DRIVE_COPY_LOCAL", "drive-copy").lower() + "+"
    copies = [a for a in mail.recipients if a.lower().startswith(prefix)]
    for address in copies:
        record_copy(address)
    return bool(copies)


def receive_inbound(mail: InboundMail, keep_attachments: bool = False) -> Received:
    if mail.message_id:
        seen = db.session.execute(select(Response.id).where(Response.mail_message_id == mail.message_id)).scalar()
        if seen is not None:
            return Received("duplicate", seen)
    if mail.unsubscribe_tokens and not mail.is_dsn:
        return _unsubscribe(mail.unsubscribe_tokens)
    if not mail.is_dsn and _drive_copy(mail):
        return Received("drive_copy")
    message = match_message(mail)
    if mail.is_dsn:
        record_events(_bounce_events(mail, message), commit=False)
        db.session.commit()
        return Received("bounce", None, message.id if message else None)
    kind = "auto_reply" if mail.auto_reason else "reply"
    contact_id = message.contact_id if message is not None else db.session.execute(
        select(Contact.id).where(Contact.email == mail.from_address)).scalar()
    text = mail.text[:MAX_TEXT]
    response = Response(kind=kind, message_id=message.id if message else None, contact_id=contact_id,
                        occurred_at=utcnow(), subject=mail.subject, from_address=mail.from_address[:254],
                        body_text=text, body_html=sanitise_html(mail.html[:MAX_TEXT]),
                        mail_message_id=mail.message_id, auto_reason=mail.auto_reason,
                        suggested=suggest(text) if kind == "reply" else None)
    db.session.add(response)
    db.session.flush()
    if keep_attachments:
        db.session.add_all(ResponseAttachment(response_id=response.id, filename=a.filename[:255],
                                              content_type=a.content_type[:100], size=len(a.data), data=a.data)
                           for a in mail.attachments if len(a.data) <= MAX_ATTACHMENT)
    if message is not None:
        # An automatic reply proves delivery; only a person's reply makes the message 'replied'.
        raise_states([{"id": message.id, "state": "replied" if kind == "reply" else "delivered",
                       "seen": response.occurred_at}])
    db.session.commit()
    return Received(kind, response.id, message.id if message else None)
