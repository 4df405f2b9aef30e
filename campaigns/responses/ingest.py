"""Recording provider events: thousands per call, each once, in any order, in a few statements.

`record_events` looks up the batch's messages in one query, inserts the events with ON CONFLICT DO
NOTHING (so a retried webhook changes nothing), and raises each message's state in one UPDATE whose
CASE compares ranks inside the database, so two concurrent batches cannot lower a state either.
Hard bounces, complaints and unsubscribes go on the suppression list.

On PostgreSQL each statement carries its rows as one JSON parameter (`jsonb_to_recordset`), not
thousands of placeholders: parsing and binding huge statements cost more than the work itself. SQLite gets the
same statements as multi-row VALUES and executemany.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (Boolean, DateTime, Float, Integer, String, bindparam, case, column, func, literal, or_, select,
                        update)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from campaigns.mailings.models import Message
from campaigns.responses.events import Event, is_machine_open, state_for, suppression_for
from campaigns.responses.models import MessageEvent
from contacts.models import STATUSES, Contact, Suppression
from contacts.suppression import hashes_for
from core.db import UTCDateTime, db, utcnow
from core.mail.states import RANK, higher

CHUNK = 5000  # keeps IN lists and parameter counts well inside every database's limits
EPOCH = object()  # a timestamp column sent to PostgreSQL as epoch seconds (cheaper than ISO text)


@dataclass
class IngestResult:
    received: int = 0
    recorded: int = 0
    duplicates: int = 0
    unmatched: int = 0
    suppressed: int = 0


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _insert(table):
    return (pg_insert if _postgres() else sqlite_insert)(table)


def _among(column, values: list[str]):
    """`column IN values`: on PostgreSQL one JSON parameter unnested in a subquery, which plans as an
    index probe even once psycopg has prepared the statement (a generic plan of `= ANY($1)` may scan
    the whole table; see `contacts.suppression.one_of`)."""
    if _postgres():
        return column.in_(select(func.jsonb_array_elements_text(literal(values, JSONB()))
                                 .cast(String)))
    return column.in_(values)


def _recordset(rows: list[dict], columns: dict):
    """PostgreSQL: rows as one JSON parameter, read back as a typed table `v` (times as epoch seconds)."""
    times = [name for name, kind in columns.items() if kind is EPOCH]
    data = [{name: row[name] for name in columns} for row in rows]
    for item in data:
        for name in times:
            item[name] = item[name].timestamp()
    return (func.jsonb_to_recordset(literal(data, JSONB))
            .table_valued(*[column(name, Float if kind is EPOCH else kind) for name, kind in columns.items()])
            .render_derived(name="v", with_types=True))


def _insert_events(rows: list[dict], received_at) -> set[str]:
    """Insert event rows, skipping sg_event_ids already stored; returns the ids inserted now."""
    table = MessageEvent.__table__
    if not rows:
        return set()
    if _postgres():
        v = _recordset(rows, {"sg_event_id": String, "message_id": Integer, "kind": String, "occurred_at": EPOCH,
                              "machine": Boolean, "detail": String})
        source = select(v.c.sg_event_id, v.c.message_id, v.c.kind, func.to_timestamp(v.c.occurred_at),
                        literal(received_at, DateTime(timezone=True)), v.c.machine, v.c.detail)
        stmt = (pg_insert(table).from_select(["sg_event_id", "message_id", "kind", "occurred_at", "received_at",
                                              "machine", "detail"], source)
                .on_conflict_do_nothing(index_elements=["sg_event_id"]).returning(table.c.sg_event_id))
        return set(db.session.execute(stmt).scalars())
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["sg_event_id"]).returning(table.c.sg_event_id)
    return set(db.session.execute(stmt, [{**row, "received_at": received_at} for row in rows]).scalars())


def _messages_for(events: list[Event]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """(by key, by provider id) -> (id, state, sent_at) for the messages these events name."""
    keys = list({e.key for e in events if e.key})
    by_key: dict[str, tuple] = {}
    cols = (Message.id, Message.state, Message.sent_at, Message.provider_seen_at, Message.provider_message_id)
    for i in range(0, len(keys), CHUNK):
        rows = db.session.execute(select(Message.key, *cols).where(_among(Message.key, keys[i:i + CHUNK])))
        by_key.update({r[0]: tuple(r[1:]) for r in rows})
    orphans = list({e.provider_message_id for e in events
                    if e.provider_message_id and (not e.key or e.key not in by_key)})
    by_provider: dict[str, tuple] = {}
    for i in range(0, len(orphans), CHUNK):
        rows = db.session.execute(select(Message.provider_message_id, *cols)
                                  .where(_among(Message.provider_message_id, orphans[i:i + CHUNK])))
        by_provider.update({r[0]: tuple(r[1:]) for r in rows})
    return by_key, by_provider


def raise_states(changes: list[dict]) -> None:
    """Apply [{'id', 'state', 'seen', 'provider_id'}] with rank-only-up semantics, in one statement."""
    if not changes:
        return
    table = Message.__table__
    rank = case({state: r for state, r in RANK.items()}, value=table.c.state, else_=0)
    if _postgres():
        changes = sorted(changes, key=lambda c: c["id"])  # one lock order for concurrent batches
        v = _recordset([{**c, "rank": RANK[c["state"]], "provider": c.get("provider_id")} for c in changes],
                       {"id": Integer, "rank": Integer, "state": String, "seen": EPOCH, "provider": String})
        new_rank, new_state, seen, provider = v.c.rank, v.c.state, func.to_timestamp(v.c.seen), v.c.provider
        stmt, params = update(table).where(table.c.id == v.c.id), None
    else:
        new_rank, new_state, provider = bindparam("m_rank"), bindparam("m_state"), bindparam("m_provider")
        seen = bindparam("m_seen", type_=UTCDateTime())
        stmt = update(table).where(table.c.id == bindparam("m_id"))
        params = [{"m_id": c["id"], "m_rank": RANK[c["state"]], "m_state": c["state"], "m_seen": c["seen"],
                   "m_provider": c.get("provider_id")} for c in changes]
    stmt = stmt.values(
        state=case((rank < new_rank, new_state), else_=table.c.state),
        provider_seen_at=case((or_(table.c.provider_seen_at.is_(None), table.c.provider_seen_at > seen), seen),
                              else_=table.c.provider_seen_at),
        provider_message_id=func.coalesce(table.c.provider_message_id, provider),
        # A message the sender never saw accepted (unknown after a crash) was sent when the provider saw it.
        sent_at=func.coalesce(table.c.sent_at, seen),
        updated_at=utcnow())
    db.session.execute(stmt, params) if params else db.session.execute(stmt)


def _changes_anything(change: dict, row: tuple) -> bool:
    """Skip messages the batch leaves as they are (the UPDATE's CASE still guards concurrent writers)."""
    _, state, sent_at, seen_at, provider_id = row
    return (RANK.get(change["state"], 0) > RANK.get(state, 0) or sent_at is None or seen_at is None
            or change["seen"] < seen_at or (provider_id is None and change["provider_id"] is not None))


def suppress_many(reasons: dict[str, str]) -> None:
    """contacts.suppression.suppress for a whole batch in three statements (the first reason is kept)."""
    if not reasons:
        return
    hashes = hashes_for(reasons)
    table = Suppression.__table__
    now = utcnow()
    db.session.execute(_insert(table).on_conflict_do_nothing(index_elements=["email_hash"]),
                       [{"email_hash": hashes[e], "reason": r, "created_at": now} for e, r in reasons.items()])
    for reason in {r for r in reasons.values() if r in STATUSES}:
        emails = [e for e, r in reasons.items() if r == reason]
        db.session.execute(update(Contact).where(Contact.email.in_(emails), Contact.status == "active")
                           .values(status=reason).execution_options(synchronize_session=False))


def record_events(events: list[Event], commit: bool = True) -> IngestResult:
    result = IngestResult(received=len(events))
    by_key, by_provider = _messages_for(events)
    rows, matched, matched_rows = [], {}, {}
    now = utcnow()
    for e in events:
        found = by_key.get(e.key) if e.key else None
        found = found or (by_provider.get(e.provider_message_id) if e.provider_message_id else None)
        if found is None:
            result.unmatched += 1
            continue
        message_id, _, sent_at, _, _ = found
        machine = is_machine_open(e, sent_at)
        matched[e.sg_event_id] = (e, found, machine)
        matched_rows[message_id] = found
        rows.append({"sg_event_id": e.sg_event_id, "message_id": message_id, "kind": e.kind,
                     "occurred_at": e.occurred_at, "machine": machine, "detail": e.detail})
    inserted: set[str] = set()
    for i in range(0, len(rows), CHUNK):
        inserted |= _insert_events(rows[i:i + CHUNK], now)
    result.recorded = len(inserted)
    result.duplicates = len(rows) - len(inserted)
    changes: dict[int, dict] = {}
    suppressions: dict[str, str] = {}
    for event_id in inserted:
        e, (message_id, state, *_), machine = matched[event_id]
        change = changes.setdefault(message_id, {"id": message_id, "state": state, "seen": e.occurred_at,
                                                 "provider_id": e.provider_message_id})
        change["state"] = higher(change["state"], state_for(e, machine))
        change["seen"] = min(change["seen"], e.occurred_at)
        reason = suppression_for(e)
        if reason and e.email:
            suppressions.setdefault(e.email, reason)
    raise_states([c for c in changes.values() if _changes_anything(c, matched_rows[c["id"]])])
    suppress_many(suppressions)
    result.suppressed = len(suppressions)
    if commit:
        db.session.commit()
    return result


def events_for(message_id: int) -> list[MessageEvent]:
    return list(db.session.execute(select(MessageEvent).where(MessageEvent.message_id == message_id)
                                   .order_by(MessageEvent.occurred_at, MessageEvent.id)).scalars())

