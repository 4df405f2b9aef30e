"""Who a delivery run would mail now, for the page that asks a campaigner to confirm it.

The same rule as `delivery.deliver_drive`, read without closing a batch: a target is mailed when a
counted signature has not reached it yet (in a batch after its last sent one, or in no batch yet) and
no earlier delivery to it is still open in the ledger (queued, sending, or of unknown fate).
"""
from __future__ import annotations

from sqlalchemy import select

from campaigns.drives.delivery import delivered_batches, still_open
from campaigns.drives.drives import targets
from campaigns.drives.models import Drive, Signature, counted_clause
from contacts.models import Contact
from core.db import db


def due_targets(drive: Drive) -> list[Contact]:
    batches = set(db.session.execute(select(Signature.batch).distinct().where(
        Signature.drive_id == drive.id, counted_clause())).scalars())
    if not batches:
        return []
    newest = max((b for b in batches if b is not None), default=0) + (1 if None in batches else 0)
    last = delivered_batches(drive.id)
    unsettled = still_open(drive.id)
    return [c for c in targets(drive) if c.id not in unsettled and last.get(c.id, 0) < newest]
