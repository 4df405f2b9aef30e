"""Messages of unknown fate that no provider evidence can settle (SMTP): a person decides.

A relay that took a message but whose answer was lost (a timeout after the data, a dropped line, a
worker killed mid-send) may have delivered it; sending again could mean a second appeal to an
ambassador, not sending could mean none. The ledger never guesses: it holds these messages and the
mailing's page and API list them with the reason, and a campaigner either sends them again or
records them as sent. Single messages (a reminder, a drive's letter...: `mailing_id` None) are decided
the same way on their own page.
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
    kind: str
    email: str
    subject_of: str  # what it was for: a mailing's name, or the kind of single message
    reason: str
    since: str


def held(mailing_id: int | None, limit: int = 200) -> list[Held]:
    """The messages waiting for a person's decision, oldest first: a mailing's, or (None) single ones."""
    from campaigns.mailings.privacy import KIND_LABELS

    if mailing_id is not None:
        get_mailing(mailing_id)
    rows = db.session.execute(select(Message.id, Message.kind, Message.email, Message.last_error, Message.updated_at)
                              .where(ledger.held_for_person(mailing_id)).order_by(Message.id).limit(limit))
    return [Held(i, kind, email, KIND_LABELS.get(kind, kind), reason or "", at.isoformat() if at else "")
            for i, kind, email, reason, at in rows]


def decide_unknown(mailing_id: int | None, decision: str, message_ids: list[int] | None = None) -> int:
    """Send the held messages again, or record them as sent; returns how many moved."""
    if decision not in DECISIONS:
        raise ValidationError("decision", "choose resend or sent")
    mailing = get_mailing(mailing_id) if mailing_id is not None else None
    if decision == "resend" and mailing is not None and mailing.status == "cancelled":
        raise Conflict("the mailing is cancelled; nothing more is sent")
    moved = ledger.release_held(mailing_id, message_ids, decision, utcnow())
    if not moved:
        db.session.rollback()
        raise Conflict("no message here is waiting for a decision")
    audit.record(f"mailing.unknown_{decision}", f"mailing:{mailing_id}" if mailing else "messages:single",
                 {"messages": moved})
    if mailing is not None and decision == "resend" and mailing.status == "done":
        mailing.status, mailing.finished_at = "sending", None
    db.session.commit()
    if mailing is None:
        if decision == "resend":
            from campaigns.mailings.outgoing import dispatch_single

            dispatch_single()
        return moved
    if decision == "resend" and mailing.status == "sending":
        jobs.dispatch(mailing_id)
        if current_app.config.get("REDIS_URL"):
            jobs.ensure_pump()
    jobs.finish_done([mailing_id])
    return moved


def held_counts() -> dict[int | None, int]:
    """{mailing id (None: single messages): how many wait for a decision}, in one grouped count."""
    from sqlalchemy import func

    rows = db.session.execute(select(Message.mailing_id, func.count()).where(ledger.held_unknown())
                              .group_by(Message.mailing_id))
    return {mailing_id: n for mailing_id, n in rows}


def held_single_count() -> int:
    from sqlalchemy import func

    return db.session.execute(select(func.count()).where(ledger.held_for_person(None))).scalar_one()
