"""The audit trail: who did what, to what, when and from where, hash-chained against tampering.

`record(action, target, detail)` adds one `AuditEvent` to the current database session and does NOT
commit: the event is written in the same transaction as the action it describes, so an action that
rolls back leaves no trace and an action that commits cannot lose its record. Callers without a
transaction of their own (a failed sign-in) pass `commit=True`.

Each row stores `hash = sha256(prev_hash + canonical JSON of its fields)`. The hash is computed when
the row is flushed, under a lock (a PostgreSQL advisory lock; SQLite's single writer lock), so rows
written by concurrent requests still form one chain. Editing, deleting or reordering rows in the
database breaks the chain at that row, and `verify_chain()` names it. Cutting rows off the end does
not break a chain: compare the head hash with one noted elsewhere (the audit page shows it).

The app has no route that edits or deletes events. `core` does not know the User model: the actor is
kept as an id and an email string, so the trail survives the account.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context, request
from sqlalchemy import Integer, String, Text, event, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import UTCDateTime, db, utcnow

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x5EC0A0D17  # any constant shared by every writer of the trail


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_email: Mapped[str] = mapped_column(String(254), index=True, default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(200), index=True)
    # Canonical JSON text (sorted keys), so the bytes hashed are the bytes stored.
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def detail(self) -> dict:
        return json.loads(self.detail_json or "{}")

    def fields(self) -> dict:
        return {"at": self.at.isoformat(timespec="microseconds"), "actor_id": self.actor_id,
                "actor_email": self.actor_email, "action": self.action, "target": self.target,
                "detail": self.detail_json, "remote_addr": self.remote_addr}

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.fields())


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode()).hexdigest()


def _actor() -> tuple[int | None, str]:
    if not has_request_context():
        return None, ""
    user = g.get("api_user")
    if user is None:
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    if user is None:
        return None, ""
    return getattr(user, "id", None), getattr(user, "email", "") or ""


def record(action: str, target: str | None = None, detail: dict | None = None, *,
           actor_id: int | None = None, actor_email: str | None = None, commit: bool = False) -> AuditEvent:
    """Add an audit event to the session; it commits with the caller's transaction.

    Who and from where come from the request when there is one (the signed-in user or the API
    token's user, and the remote address); pass `actor_id`/`actor_email` to name someone else (the
    account a failed sign-in was for) or an actor outside requests (`actor_email="cli"`).
    `detail` must hold no secrets and no personal data beyond ids: the trail is kept for ever.
    """
    ctx_id, ctx_email = _actor()
    remote = request.remote_addr if has_request_context() else None
    entry = AuditEvent(
        at=utcnow(), action=action[:64], target=None if target is None else str(target)[:200],
        actor_id=actor_id if actor_id is not None else ctx_id,
        actor_email=(actor_email if actor_email is not None else ctx_email)[:254],
        detail_json=canonical(detail or {}), remote_addr=remote,
        prev_hash="", hash="")
    db.session.add(entry)
    if commit:
        db.session.commit()
    return entry


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, flush_context, instances) -> None:
    new = sorted((o for o in session.new if isinstance(o, AuditEvent)), key=lambda e: inspect(e).insert_order)
    if not new:
        return
    with session.no_autoflush:
        bind = session.get_bind(AuditEvent)
        if bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        else:  # a write statement takes SQLite's write lock before we read the head of the chain
            session.execute(text("UPDATE audit_events SET id = id WHERE 1 = 0"))
        head = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
        prev = head or GENESIS
        for entry in new:
            entry.prev_hash = prev
            entry.hash = entry.compute_hash()
            prev = entry.hash


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head: str | None
    first_broken_id: int | None = None
    reason: str = ""


def verify_chain(batch: int = 1000) -> ChainReport:
    """Walk the whole trail in order; report the first row whose links or contents do not match."""
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            return ChainReport(True, checked, prev if checked else None)
        for row in rows:
            if row.prev_hash != prev:
                return ChainReport(False, checked, None, row.id, "does not follow the row before it")
            if row.compute_hash() != row.hash:
                return ChainReport(False, checked, None, row.id, "contents changed after it was written")
            prev, checked, last_id = row.hash, checked + 1, row.id


def search(*, action: str = "", actor: str = "", target: str = "", since: datetime | None = None,
           until: datetime | None = None, page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], bool]:
    """Events newest first, filtered; returns (rows, whether there is a next page)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor_email == actor.strip().lower())
    if target:
        query = query.where(AuditEvent.target == target.strip())
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).scalars().all()
    return rows[:per_page], len(rows) > per_page


def actions() -> list[str]:
    return list(db.session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).scalars())
