"""Chasing silent recipients: a rule per mailing proposes reminders; a campaigner sends each one.

A reminder is threaded under the first message (In-Reply-To and References), gets the same Reply-To
as the first message (the capture address with its key, when replies are captured, so an answer to
it is matched to the original), and goes out through the one outgoing ledger: the reminder's ledger
row and its `Chase` row are committed together before any provider hears of it, so it is sent
exactly once. A reminder of unknown fate (the relay's answer was lost) is never sent again on its
own: only one the provider refused may be tried again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import exists, select

from campaigns.mailings import outgoing
from campaigns.mailings.models import Mailing, Message
from campaigns.responses.models import Chase, ChaseRule, Response
from campaigns.senders.addresses import reply_address
from contacts.models import Contact
from contacts.suppression import is_suppressed, suppressed_among
from core import mail
from core.mail import states
from core.db import db
from core.errors import Conflict, DomainError, NotFound, ValidationError


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def set_rule(mailing_id: int, working_days: int, body: str, subject_prefix: str = "Reminder: ") -> ChaseRule:
    if db.session.get(Mailing, mailing_id) is None:
        raise NotFound(f"mailing {mailing_id} does not exist")
    if not 1 <= working_days <= 120:
        raise ValidationError("working_days", "must be between 1 and 120")
    if not body.strip():
        raise ValidationError("body", "write the reminder's text")
    if len(subject_prefix) > 60:
        raise ValidationError("subject_prefix", "is longer than 60 characters")
    rule = db.session.execute(select(ChaseRule).where(ChaseRule.mailing_id == mailing_id)).scalar()
    if rule is None:
        rule = ChaseRule(mailing_id=mailing_id)
        db.session.add(rule)
    rule.working_days, rule.body, rule.subject_prefix = working_days, body.strip(), subject_prefix
    db.session.commit()
    return rule


def rule_for(mailing_id: int) -> ChaseRule | None:
    return db.session.execute(select(ChaseRule).where(ChaseRule.mailing_id == mailing_id)).scalar()


@dataclass(frozen=True)
class Proposal:
    message: Message
    contact_name: str | None
    due_on: date


def proposals(mailing_id: int, today: date) -> list[Proposal]:
    """Recipients with no reply once the rule's working days have passed, and no reminder yet."""
    rule = rule_for(mailing_id)
    if rule is None:
        return []
    answered = exists().where(Response.message_id == Message.id, Response.kind != "auto_reply")
    chased = exists().where(Chase.message_id == Message.id)
    rows = db.session.execute(
        select(Message, Contact.name).outerjoin(Contact, Contact.id == Message.contact_id)
        .where(Message.mailing_id == mailing_id, Message.state.in_(states.SILENT), Message.sent_at.is_not(None),
               ~answered, ~chased).order_by(Message.sent_at, Message.id)).all()
    suppressed = suppressed_among(m.email for m, _ in rows)
    found = []
    for message, name in rows:
        due = add_working_days(message.sent_at.date(), rule.working_days)
        if due <= today and message.email not in suppressed:
            found.append(Proposal(message, name, due))
    return found


def _original(message: Message, mailing: Mailing) -> tuple[str, str]:
    """The first message's subject and text, rendered again from its template (or the mailing's name)."""
    if mailing.template_id is None:
        return mailing.name, ""
    from campaigns.mailings.compose import Composer, contact_rows

    contact = contact_rows([message.contact_id]).get(message.contact_id) if message.contact_id else None
    contact = {**(contact or {"language": message.language}), "email": message.email}
    try:
        original = Composer(mailing, current_app.config).envelope(message.key, message.email, contact,
                                                                  message.message_id_header)
    except DomainError:  # the template changed or went away: remind without quoting
        return mailing.name, ""
    return original.subject, original.text


def _envelope(message: Message, mailing: Mailing, rule: ChaseRule) -> mail.Envelope:
    subject, text = _original(message, mailing)
    sent_on = message.sent_at.date().isoformat() if message.sent_at else ""
    quoted = "\n".join("> " + line for line in text.splitlines())
    body = f"{rule.body}\n\nOn {sent_on} we wrote:\n{quoted}\n" if quoted else f"{rule.body}\n"
    config = current_app.config
    from campaigns.mailings.compose import unsubscribe_links

    return mail.Envelope(
        to=message.email, subject=f"{rule.subject_prefix}{subject}"[:900], text=body, html=None,
        from_email=mailing.from_email, from_name=mailing.from_name,
        reply_to=reply_address(mailing, message.key, config),
        message_id=mail.new_message_id(mailing.from_email), in_reply_to=message.message_id_header,
        **unsubscribe_links(message.key, config))


def chase(message_id: int, user_id: int | None = None) -> Chase:
    """Send one reminder for a message, threaded to it; refuses a second one."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist")
    rule = rule_for(message.mailing_id)
    if rule is None:
        raise Conflict("this mailing has no chasing rule")
    if message.state not in states.SILENT or not message.message_id_header:
        raise Conflict("only a sent message that got no reply can be chased")
    if is_suppressed(message.email):
        raise Conflict("this address is suppressed")
    previous = db.session.execute(select(Chase).where(Chase.message_id == message_id)).scalar()
    if previous is not None and previous.state == states.UNKNOWN:
        raise Conflict("the last reminder's fate is unknown: decide on it under single messages first")
    if previous is not None and previous.state != states.FAILED:
        raise Conflict("a reminder was already sent for this message")
    if previous is not None:  # the provider refused the last try: a new try replaces it (its row stays)
        db.session.delete(previous)
        db.session.flush()
    envelope = _envelope(message, db.session.get(Mailing, message.mailing_id), rule)
    sent = outgoing.write_one(envelope, "chase", contact_id=message.contact_id, language=message.language)
    record = Chase(message_id=message_id, sent_id=sent.id, created_by_id=user_id)
    db.session.add(record)
    db.session.commit()  # both rows exist before the provider hears of it: a crash cannot send twice
    outgoing.start(sent.id)
    db.session.refresh(record)
    db.session.refresh(record.sent)
    return record


def outcome_message(chase: Chase) -> tuple[str, str]:
    """What a campaigner is told right after asking for a reminder, and how (flash category)."""
    if chase.state in states.ACCEPTED:
        return "Reminder sent.", "success"
    if chase.state == states.FAILED:
        return f"The reminder was not sent: {chase.error}", "error"
    if chase.state == states.UNKNOWN:
        return (f"The mail server's answer was lost ({chase.error}): the reminder may have gone. "
                "It will not be sent again unless you decide so.", "error")
    return "Reminder queued: a worker sends it in a moment.", "success"


def chases_for(mailing_id: int) -> list[tuple[Chase, str]]:
    return list(db.session.execute(select(Chase, Message.email).join(Message, Message.id == Chase.message_id)
                                   .where(Message.mailing_id == mailing_id).order_by(Chase.id)).all())

