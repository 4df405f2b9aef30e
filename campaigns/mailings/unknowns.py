"""Messages of unknown fate that no provider evidence can settle (SMTP): a person decides.

A relay that took a message but whose answer was lost (a timeout after the data, a dropped line, a
worker killed mid-send) may have delivered it; sending again could mean a second appeal to an
ambassador, not sending could mean none. The ledger never guesses: it holds these messages and the
mailing's page and API list them with the reason, and a campaigner either sends them again or
records them as sent.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from campaigns.mailings import jobs, ledger
from campaigns.mailings.models import Message
from campaigns.mailings.services import get_mailing
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, ValidationError

DECISIONS = ("resend", "sent")


@dataclass(frozen=True)
class Held:
    id: int
    email: str
    reason: str
    since: str


def held(mailing_id: int, limit: int = 200) -> list[Held]:
    """The mailing's messages waiting for a person's decision, oldest first."""
    get_mailing(mailing_id)
    rows = db.session.execute(select(Message.id, Message.email, Message.last_error, Message.updated_at)
                              .where(ledger.held_for_person(mailing_id)).order_by(Message.id).limit(limit))
    return [Held(i, email, reason or "", at.isoformat() if at else "") for i, email, reason, at in rows]


def decide_unknown(mailing_id: int, decision: str, message_ids: list[int] | None = None) -> int:
    """Send the held messages again, or record them as sent; returns how many moved."""
    if decision not in DECISIONS:
        raise ValidationError("decision", "choose resend or sent")
    mailing = get_mailing(mailing_id)
    if decision == "resend" and mailing.status == "cancelled":
        raise Conflict("the mailing is cancelled; nothing more is sent")
    moved = ledger.release_held(mailing_id, message_ids, decision, utcnow())
    if not moved:
        db.session.rollback()
        raise Conflict("no message of this mailing is waiting for a decision")
    audit.record(f"mailing.unknown_{decision}", f"mailing:{mailing_id}", {"messages": moved})
    if decision == "resend" and mailing.status == "done":
        mailing.status, mailing.finished_at = "sending", None
    db.session.commit()
    if decision == "resend" and mailing.status == "sending":
        jobs.dispatch(mailing_id)
        if current_app.config.get("REDIS_URL"):
            jobs.ensure_pump()
    jobs.finish_done([mailing_id])
    return moved
