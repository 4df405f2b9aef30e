"""What responses hold about one contact: provider events and what came back (replies, meetings,
calls...), for their page, their data export and their erasure (registered with `contacts.privacy`)."""
from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from campaigns.mailings import privacy as mailings_privacy  # registers first, so these rows erase first
from campaigns.mailings.models import Message
from campaigns.responses.models import KIND_LABELS, MessageEvent, Response, ResponseAttachment
from contacts import privacy
from core.db import db


def _responses(contact_id: int, email: str | None):
    """Responses from the contact: logged against them, replying to a message of theirs, or from their address."""
    branches = [Response.contact_id == contact_id,
                Response.message_id.in_(select(Message.id).where(mailings_privacy.theirs(contact_id, email)))]
    if email:
        branches.append(Response.from_address == email)
    return or_(*branches)


def history(contact_id: int) -> list[privacy.HistoryItem]:
    rows = db.session.execute(
        select(Response.id, Response.kind, Response.occurred_at, Response.subject, Response.outcome,
               Response.classification, Response.follow_up_on)
        .where(or_(Response.contact_id == contact_id,
                   Response.message_id.in_(select(Message.id).where(Message.contact_id == contact_id))))).all()
    return [privacy.HistoryItem(
        at=r.occurred_at, direction="received", what=KIND_LABELS.get(r.kind, r.kind),
        state=r.outcome or r.classification or "",
        detail="; ".join(x for x in (r.subject, f"follow up on {r.follow_up_on}" if r.follow_up_on else "") if x),
        endpoint="responses.show", args={"response_id": r.id}) for r in rows]


def collect(contact_id: int, email: str | None) -> dict:
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    responses = db.session.execute(select(Response).where(_responses(contact_id, email))
                                   .order_by(Response.occurred_at, Response.id)).scalars().all()
    events = db.session.execute(
        select(MessageEvent).join(Message, Message.id == MessageEvent.message_id)
        .where(mailings_privacy.theirs(contact_id, email)).order_by(MessageEvent.occurred_at)).scalars().all()
    return {
        "responses": [{"kind": r.kind, "occurred_at": stamp(r.occurred_at), "message_id": r.message_id,
                       "subject": r.subject, "from_address": r.from_address, "body_text": r.body_text,
                       "classification": r.classification, "outcome": r.outcome,
                       "follow_up_on": stamp(r.follow_up_on)} for r in responses],
        "message_events": [{"message_id": e.message_id, "kind": e.kind, "occurred_at": stamp(e.occurred_at),
                            "detail": e.detail} for e in events],
    }


def erase(contact_id: int, email: str | None) -> None:
    """Delete what came back from the person (attachments go with it); clear their events' details
    (bounce texts quote the address). The events themselves stay, so mailing figures stay right."""
    ids = list(db.session.execute(select(Response.id).where(_responses(contact_id, email))).scalars())
    if ids:
        db.session.execute(delete(ResponseAttachment).where(ResponseAttachment.response_id.in_(ids)))
        db.session.execute(delete(Response).where(Response.id.in_(ids)),
                           execution_options={"synchronize_session": False})
    message_ids = select(Message.id).where(mailings_privacy.theirs(contact_id, email))
    db.session.execute(update(MessageEvent).where(MessageEvent.message_id.in_(message_ids)).values(detail=""),
                       execution_options={"synchronize_session": False})


privacy.register(collect=collect, erase=erase, history=history)
