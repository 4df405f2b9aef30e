"""Recording provider events: thousands per call, each once, in any order, in a few statements.

`record_events` looks up the batch's messages in one query, inserts the events with ON CONFLICT DO
NOTHING (so a retried webhook changes nothing), and raises each message's state in one executemany
UPDATE whose CASE compares ranks inside the database, so two concurrent batches cannot lower a
state either. Hard bounces, complaints and unsubscribes go on the suppression list.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from campaigns.mailings.models import Message
from campaigns.responses.events import RANK, Event, higher, is_machine_open, state_for, suppression_for
from campaigns.responses.models import MessageEvent
from contacts.suppression import suppress
from core.db import UTCDateTime, db, utcnow

CHUNK = 5000  # keeps IN lists and parameter counts well inside every database's limits


@dataclass
class IngestResult:
    received: int = 0
    recorded: int = 0
    duplicates: int = 0
    unmatched: int = 0
    suppressed: int = 0


def _insert(table):
    dialect = db.session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def _messages_for(events: list[Event]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(by key, by provider id) -> (id, state, sent_at) for the messages these events name."""
    keys = list({e.key for e in events if e.key})
    by_key: dict[str, tuple] = {}
    cols = (Message.id, Message.state, Message.sent_at)
    for i in range(0, len(keys), CHUNK):
        rows = db.session.execute(select(Message.key, *cols).where(Message.key.in_(keys[i:i + CHUNK])))
        by_key.update({r[0]: tuple(r[1:]) for r in rows})
    orphans = list({e.provider_message_id for e in events
                    if e.provider_message_id and (not e.key or e.key not in by_key)})
    by_provider: dict[str, tuple] = {}
    for i in range(0, len(orphans), CHUNK):
        rows = db.session.execute(select(Message.provider_message_id, *cols)
                                  .where(Message.provider_message_id.in_(orphans[i:i + CHUNK])))
        by_provider.update({r[0]: tuple(r[1:]) for r in rows})
    return by_key, by_provider


def raise_states(changes: list[dict]) -> None:
    """Apply [{'id', 'state', 'seen', 'provider_id'}] with rank-only-up semantics, in one statement."""
    if not changes:
        return
    table = Message.__table__
    rank = case({state: r for state, r in RANK.items()}, value=table.c.state, else_=0)
    seen = bindparam("m_seen", type_=UTCDateTime())
    stmt = (update(table).where(table.c.id == bindparam("m_id")).values(
        state=case((rank < bindparam("m_rank"), bindparam("m_state")), else_=table.c.state),
        provider_seen_at=case(
            (or_(table.c.provider_seen_at.is_(None),
                 table.c.provider_seen_at > seen), seen),
            else_=table.c.provider_seen_at),
        provider_message_id=func.coalesce(table.c.provider_message_id, bindparam("m_provider")),
        # A message the sender never saw accepted (unknown after a crash) was sent when the provider saw it.
        sent_at=func.coalesce(table.c.sent_at, seen),
        updated_at=utcnow()))
    db.session.execute(stmt, [{"m_id": c["id"], "m_rank": RANK[c["state"]], "m_state": c["state"],
                               "m_seen": c["seen"], "m_provider": c.get("provider_id")} for c in changes])


def record_events(events: list[Event], commit: bool = True) -> IngestResult:
    result = IngestResult(received=len(events))
    by_key, by_provider = _messages_for(events)
    rows, matched = [], {}
    now = utcnow()
    for e in events:
        found = by_key.get(e.key) if e.key else None
        found = found or (by_provider.get(e.provider_message_id) if e.provider_message_id else None)
        if found is None:
            result.unmatched += 1
            continue
        message_id, _, sent_at = found
        machine = is_machine_open(e, sent_at)
        matched[e.sg_event_id] = (e, found, machine)
        rows.append({"sg_event_id": e.sg_event_id, "message_id": message_id, "kind": e.kind,
                     "occurred_at": e.occurred_at, "received_at": now, "machine": machine, "detail": e.detail})
    inserted: set[str] = set()
    table = MessageEvent.__table__
    for i in range(0, len(rows), CHUNK):
        stmt = _insert(table).on_conflict_do_nothing(index_elements=["sg_event_id"]).returning(table.c.sg_event_id)
        inserted.update(db.session.execute(stmt, rows[i:i + CHUNK]).scalars())
    result.recorded = len(inserted)
    result.duplicates = len(rows) - len(inserted)
    changes: dict[int, dict] = {}
    suppressions: dict[str, str] = {}
    for event_id in inserted:
        e, (message_id, state, _), machine = matched[event_id]
        change = changes.setdefault(message_id, {"id": message_id, "state": state, "seen": e.occurred_at,
                                                 "provider_id": e.provider_message_id})
        change["state"] = higher(change["state"], state_for(e, machine))
        change["seen"] = min(change["seen"], e.occurred_at)
        reason = suppression_for(e)
        if reason and e.email:
            suppressions.setdefault(e.email, reason)
    raise_states(list(changes.values()))
    for email, reason in suppressions.items():
        suppress(email, reason)
    result.suppressed = len(suppressions)
    if commit:
        db.session.commit()
    return result


def events_for(message_id: int) -> list[MessageEvent]:
    return list(db.session.execute(select(MessageEvent).where(MessageEvent.message_id == message_id)
                                   .order_by(MessageEvent.occurred_at, MessageEvent.id)).scalars())


def first_event_times(message_ids: list[int], kinds: tuple[str, ...]) -> dict[int, datetime]:
    """The earliest event of the given kinds per message (machine opens excluded)."""
    result: dict[int, datetime] = {}
    for i in range(0, len(message_ids), CHUNK):
        rows = db.session.execute(
            select(MessageEvent.message_id, func.min(MessageEvent.occurred_at))
            .where(and_(MessageEvent.message_id.in_(message_ids[i:i + CHUNK]), MessageEvent.kind.in_(kinds),
                        MessageEvent.machine.is_(False)))
            .group_by(MessageEvent.message_id))
        result.update(dict(rows.all()))
    return result
