"""Who a delivery run would mail now, for the page that asks a campaigner to confirm it.

The same rule as `delivery.deliver_drive`, read without closing a batch: a target is mailed when a
counted signature has not reached it yet (in a batch after its last sent one, or in no batch yet) and
no earlier delivery to it is of unknown fate.
"""
from __future__ import annotations

from sqlalchemy import func, select

from campaigns.drives.drives import targets
from campaigns.drives.models import Drive, DriveDelivery, Signature, counted_clause
from contacts.models import Contact
from core.db import db


def due_targets(drive: Drive) -> list[Contact]:
    batches = set(db.session.execute(select(Signature.batch).distinct().where(
        Signature.drive_id == drive.id, counted_clause())).scalars())
    if not batches:
        return []
    newest = max((b for b in batches if b is not None), default=0) + (1 if None in batches else 0)
    last = dict(db.session.execute(select(DriveDelivery.contact_id, func.max(DriveDelivery.batch)).where(
        DriveDelivery.drive_id == drive.id, DriveDelivery.state == "sent",
        DriveDelivery.kind.in_(("compiled", "digest"))).group_by(DriveDelivery.contact_id)).all())
    unsettled = set(db.session.execute(select(DriveDelivery.contact_id).where(
        DriveDelivery.drive_id == drive.id, DriveDelivery.state == "sending")).scalars())
    return [c for c in targets(drive) if c.id not in unsettled and last.get(c.id, 0) < newest]
