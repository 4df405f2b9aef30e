"""What letter drives hold about one contact (a drive's target): the letters and digests delivered to
them, for their page, their data export and their erasure (registered with `contacts.privacy`).

Supporters are not contacts: their signatures are handled by the drive (export without addresses,
purge of the unconfirmed), never through a contact's page.
"""
from __future__ import annotations

from sqlalchemy import or_, select, update

from campaigns.drives.models import Drive, DriveDelivery
from contacts import privacy
from core.db import db

KIND_LABELS = {"compiled": "Letter drive", "digest": "Letter drive digest", "mailto": "Letter drive copy"}


def _theirs(contact_id: int, email: str | None):
    mine = DriveDelivery.contact_id == contact_id
    return or_(mine, DriveDelivery.email == email) if email else mine


def history(contact_id: int) -> list[privacy.HistoryItem]:
    rows = db.session.execute(
        select(DriveDelivery, Drive.title)
        .join(Drive, Drive.id == DriveDelivery.drive_id).where(DriveDelivery.contact_id == contact_id)).all()
    return [privacy.HistoryItem(at=d.sent_at or d.created_at, direction="sent",
                                what=f"{KIND_LABELS.get(d.kind, d.kind)}: {title}", state=d.state,
                                detail=f"{d.signatures} signature{'' if d.signatures == 1 else 's'}",
                                endpoint="drives.detail", args={"drive_id": d.drive_id}) for d, title in rows]


def collect(contact_id: int, email: str | None) -> dict:
    rows = db.session.execute(
        select(DriveDelivery, Drive.title).join(Drive, Drive.id == DriveDelivery.drive_id)
        .where(_theirs(contact_id, email)).order_by(DriveDelivery.created_at, DriveDelivery.id)).all()
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return {"drive_deliveries": [
        {"id": d.id, "drive_id": d.drive_id, "drive": title, "kind": d.kind, "email": d.email, "state": d.state,
         "signatures": d.signatures, "created_at": stamp(d.created_at), "sent_at": stamp(d.sent_at)}
        for d, title in rows]}


def erase(contact_id: int, email: str | None) -> None:
    """Keep the delivery rows (a drive's counts stay right), with nothing that points back to the person."""
    db.session.execute(update(DriveDelivery).where(_theirs(contact_id, email))
                       .values(contact_id=None, email=None),
                       execution_options={"synchronize_session": False})


privacy.register(collect=collect, erase=erase, history=history)
