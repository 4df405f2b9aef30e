"""What the outgoing ledger holds about one contact: every message sent to them (a mailing's, or a
single one: a reminder, a drive's letter...), for their page, their data export and their erasure
(registered with `contacts.privacy`)."""
from __future__ import annotations

from sqlalchemy import String, or_, select, update

from campaigns.mailings.models import Mailing, Message

KIND_LABELS = {"test": "Test copy", "chase": "Reminder", "drive_letter": "Letter drive delivery",
               "confirmation": "Signature confirmation", "invitation": "Invitation"}
from contacts import privacy
from core.db import db


def theirs(contact_id: int, email: str | None):
    """Messages to the contact, or to their address under an earlier contact row (export and erasure)."""
    return or_(Message.contact_id == contact_id, Message.email == email) if email else \
        Message.contact_id == contact_id


def history(contact_id: int) -> list[privacy.HistoryItem]:
    rows = db.session.execute(
        select(Message.id, Message.state, Message.queued_at, Message.sent_at, Message.provider_seen_at,
               Message.kind, Mailing.id.label("mailing_id"), Mailing.name)
        .outerjoin(Mailing, Mailing.id == Message.mailing_id).where(Message.contact_id == contact_id)).all()
    return [privacy.HistoryItem(at=r.sent_at or r.queued_at, direction="sent",
                                what=r.name or KIND_LABELS.get(r.kind, r.kind), state=r.state,
                                detail=f"last news from the provider {r.provider_seen_at:%Y-%m-%d %H:%M} UTC"
                                if r.provider_seen_at else "", endpoint="responses.message",
                                args={"message_id": r.id}) for r in rows]


def collect(contact_id: int, email: str | None) -> dict:
    rows = db.session.execute(
        select(Message, Mailing.name).outerjoin(Mailing, Mailing.id == Message.mailing_id)
        .where(theirs(contact_id, email)).order_by(Message.queued_at, Message.id)).all()
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return {"messages": [
        {"id": m.id, "kind": m.kind, "mailing_id": m.mailing_id, "mailing": name, "email": m.email,
         "language": m.language,
         "state": m.state, "queued_at": stamp(m.queued_at), "sent_at": stamp(m.sent_at),
         "provider_seen_at": stamp(m.provider_seen_at), "last_error": m.last_error} for m, name in rows]}


def erase(contact_id: int, email: str | None) -> None:
    """Anonymise the person's messages: the mailings' counts stay right, nothing points back to them.

    The address becomes a placeholder unique to the row; the provider's and the mail's message ids go
    (later events and replies then match nothing). Responses erase their events and replies first.
    """
    ids = list(db.session.execute(select(Message.id).where(theirs(contact_id, email))).scalars())
    if not ids:
        return
    db.session.execute(
        update(Message).where(Message.id.in_(ids)).values(
            email="erased-" + Message.id.cast(String) + "@erased.invalid", contact_id=None, language=None,
            provider_message_id=None, message_id_header=None, last_error=None, sealed=None),
        execution_options={"synchronize_session": False})


privacy.register(collect=collect, erase=erase, history=history)
