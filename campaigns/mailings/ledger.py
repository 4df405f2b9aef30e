"""The ledger: how a message moves between states, atomic claims, leases and bulk result writes.

The pure half (`outcome_state`, `settled_state`, `backoff`) decides; the database half applies the
decision with single statements guarded by the state and the attempt number, so a slow or killed
worker can never overwrite what a newer attempt or the pump wrote.

Why it cannot send twice: a claim (queued -> sending, attempts + 1, a lease) commits before the
provider is called. A lease that runs out means the worker died or hung, so nobody knows whether the
provider took the message: it becomes `unknown`. What settles an unknown depends on the provider:
- one that reports events (SendGrid, `evidence=True`): the message is held for a quarantine longer
  than the provider's event delay. If an event for its key arrives (`provider_seen_at`), it is sent;
  if none does, the provider never took it and it is queued again.
- one that never reports (SMTP): nothing can ever prove the relay did not take it, so it is held with
  no end (`lease_until` NULL) and never sent again automatically; a person decides (`decide_unknown`).
Nothing is ever dropped silently either: every claimed row ends in a written outcome, or its lease
runs out and the pump settles it. States and their moves are defined in `core.mail.states`.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, Integer, String, and_, bindparam, column, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB

from campaigns.mailings.models import Mailing, Message
from core import mail
from core.db import db
from core.mail.states import CANCELLED, FAILED, QUEUED, SENDING, SENT, UNKNOWN

# Why a held unknown is waiting for a person (shown on the mailing page and in the API).
NO_EVIDENCE = "the relay's answer was lost; it may have the message, and no provider event can tell"
STOPPED = "the worker stopped mid-send"

@dataclass(frozen=True)
class Claimed:
    id: int
    attempts: int
    email: str
    contact_id: int | None
    language: str | None
    key: str
    message_id_header: str | None


@dataclass(frozen=True)
class Result:
    id: int
    attempts: int
    state: str
    provider_id: str | None = None
    reason: str = ""
    hold_until: datetime | None = None


def backoff(attempt: int, base: float = 2.0, cap: float = 300.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: spreads retries so workers do not stampede together."""
    return (rng or random).uniform(0, min(cap, base * 2 ** max(0, attempt - 1)))


def outcome_state(outcome: mail.Outcome, attempts: int, now: datetime, quarantine: float,
                  unsafe_no_quarantine: bool = False, rng: random.Random | None = None,
                  retry_base: float = 2.0, evidence: bool = True) -> tuple[str, datetime | None]:
    """The state a claimed message moves to after one attempt, and until when it is held there.

    An ambiguous outcome is held for the quarantine when provider events can settle it (`evidence`),
    and with no end (None) when they cannot: then only a person moves it on."""
    if outcome.kind == mail.SENT:
        return SENT, None
    if outcome.kind == mail.REJECTED:
        return FAILED, None
    if outcome.kind in (mail.RETRY, mail.AUTH):
        return QUEUED, None  # certainly not accepted
    if unsafe_no_quarantine:  # the deliberately broken variant the fault test must catch
        return QUEUED, None
    if not evidence:
        return UNKNOWN, None
    return UNKNOWN, now + timedelta(seconds=quarantine + backoff(attempts, base=retry_base, rng=rng))


def settled_state(state: str, lease_expired: bool, provider_seen: bool, mailing_cancelled: bool,
                  held_for_person: bool = False) -> str:
    """What the pump makes of a message it finds (the SQL in `settle` applies the same rule in bulk)."""
    if provider_seen and state in (QUEUED, UNKNOWN):
        return SENT
    if state == SENDING and lease_expired:
        return UNKNOWN
    if state == UNKNOWN and lease_expired and not held_for_person:
        return CANCELLED if mailing_cancelled else QUEUED
    if state == QUEUED and mailing_cancelled:  # a worker's retry written back after the cancel
        return CANCELLED
    return state


# --- the database half -------------------------------------------------------------------------

def claim(mailing_id: int, ids: list[int], limit: int, lease_until: datetime, now: datetime) -> list[Claimed]:
    """Atomically move up to `limit` queued messages among `ids` to sending. Commit before sending."""
    if not ids or limit <= 0:
        return []
    m = Message.__table__.c
    pick = (select(m.id).where(m.mailing_id == mailing_id, m.state == QUEUED, m.provider_seen_at.is_(None),
                               m.id.in_(ids)).order_by(m.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        # A locking CTE runs once; an IN (subquery) may be re-run by the planner and pass the limit.
        picked = pick.with_for_update(skip_locked=True).cte("picked")
        chosen = m.id == picked.c.id
    else:  # SQLite: one writer at a time, and the IN list is built once
        chosen = m.id.in_(pick.scalar_subquery())
    stmt = (update(Message.__table__).where(chosen, m.state == QUEUED)
            .values(state=SENDING, attempts=m.attempts + 1, lease_until=lease_until, updated_at=now)
            .returning(m.id, m.attempts, m.email, m.contact_id, m.language, m.key, m.message_id_header))
    rows = db.session.execute(stmt).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _rows_table(rows: list[dict], columns: dict):
    """PostgreSQL: a chunk's rows as ONE JSON parameter, read back as a typed table `v`.

    One UPDATE ... FROM per chunk instead of one UPDATE per row: at hundreds of messages per second
    the per-row statements were a third of a core on the database server. Datetimes travel as epoch
    seconds (None stays None).
    """
    data = [{name: (value.timestamp() if kind is Float and value is not None else value)
             for name, kind in columns.items() for value in (row[name],)} for row in rows]
    return (func.jsonb_to_recordset(literal(data, JSONB))
            .table_valued(*[column(name, kind) for name, kind in columns.items()])
            .render_derived(name="v", with_types=True))


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def record_headers(values: list[dict]) -> None:
    """Store each claimed message's Message-ID (and content hash) before it goes out."""
    if not values:
        return
    t = Message.__table__
    if _postgres():
        v = _rows_table(values, {"b_id": Integer, "b_mid": String, "b_hash": String})
        db.session.execute(update(t).where(t.c.id == v.c.b_id)
                           .values(message_id_header=v.c.b_mid, content_hash=v.c.b_hash))
        return
    db.session.execute(update(t).where(t.c.id == bindparam("b_id"))
                       .values(message_id_header=bindparam("b_mid"), content_hash=bindparam("b_hash")), values)


def write_results(results: list[Result], now: datetime) -> None:
    """Write a chunk's outcomes in a few bulk statements, each guarded by state and attempt."""
    t = Message.__table__
    c = t.c
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(r.state, []).append({"b_id": r.id, "b_att": r.attempts, "b_pid": r.provider_id,
                                               "b_err": r.reason[:300] or None, "b_hold": r.hold_until})
    postgres = _postgres()

    def run(rows: list[dict], guard, make_values) -> None:
        """`make_values(p)` builds the SET clause; `p(name)` is the row's value of `name`."""
        if postgres:  # one statement for the group, the values joined from the JSON rows
            v = _rows_table(rows, {"b_id": Integer, "b_att": Integer, "b_pid": String, "b_err": String,
                                   "b_hold": Float})
            row = {"b_pid": v.c.b_pid, "b_err": v.c.b_err, "b_hold": func.to_timestamp(v.c.b_hold)}
            db.session.execute(update(t).where(c.id == v.c.b_id, c.attempts == v.c.b_att, guard)
                               .values(**make_values(row.__getitem__)))
        else:
            same_attempt = and_(c.id == bindparam("b_id"), c.attempts == bindparam("b_att"))
            db.session.execute(update(t).where(same_attempt, guard).values(**make_values(bindparam)), rows)

    if groups.get(SENT):
        # A late success still counts if the pump already called the row unknown.
        run(groups[SENT], or_(c.state == SENDING, c.state == UNKNOWN),
            lambda p: dict(state=SENT, provider_message_id=p("b_pid"), sent_at=now, lease_until=None,
                           last_error=None, updated_at=now))
    for state in (FAILED, QUEUED, UNKNOWN):
        if groups.get(state):
            def make(p, state=state):
                values = dict(state=state, last_error=p("b_err"), updated_at=now,
                              lease_until=p("b_hold") if state == UNKNOWN else None)
                if state == QUEUED:
                    values["dispatched_at"] = None
                return values
            run(groups[state], c.state == SENDING, make)


def settle(now: datetime, quarantine: float, unsafe_no_quarantine: bool = False,
           evidence: bool = True) -> dict[str, int]:
    """The pump's bulk reconciliation of leases and quarantines (see `settled_state`).

    Without provider evidence an expired lease becomes an unknown held for a person (no lease), which
    the requeue below never matches (`NULL < now` is not true)."""
    c = Message.__table__.c
    t = Message.__table__
    done = {}
    seen = update(t).where(c.state.in_((QUEUED, UNKNOWN)), c.provider_seen_at.is_not(None)).values(
        state=SENT, sent_at=func.coalesce(c.sent_at, c.provider_seen_at), lease_until=None, updated_at=now)
    done["seen"] = db.session.execute(seen).rowcount
    expired = update(t).where(c.state == SENDING, c.lease_until < now)
    if unsafe_no_quarantine:
        expired = expired.values(state=QUEUED, lease_until=None, dispatched_at=None, updated_at=now)
    else:
        hold = now + timedelta(seconds=quarantine) if evidence else None
        expired = expired.values(state=UNKNOWN, lease_until=hold, updated_at=now,
                                 last_error=STOPPED if evidence else f"{STOPPED}: {NO_EVIDENCE}")
    done["expired"] = db.session.execute(expired).rowcount
    cancelled = select(Mailing.id).where(Mailing.status == "cancelled")
    base = update(t).where(c.state == UNKNOWN, c.lease_until < now, c.provider_seen_at.is_(None))
    done["cancelled"] = db.session.execute(base.where(c.mailing_id.in_(cancelled)).values(
        state=CANCELLED, lease_until=None, updated_at=now)).rowcount
    not_cancelled = or_(c.mailing_id.is_(None), c.mailing_id.not_in(cancelled))  # single messages have none
    done["requeued"] = db.session.execute(base.where(not_cancelled).values(
        state=QUEUED, lease_until=None, dispatched_at=None, updated_at=now)).rowcount
    # A worker that was sending when the mailing was cancelled may write its retries back as queued.
    done["cancelled"] += db.session.execute(update(t).where(
        c.state == QUEUED, c.provider_seen_at.is_(None), c.mailing_id.in_(cancelled)).values(
        state=CANCELLED, lease_until=None, updated_at=now)).rowcount
    return done


def held_for_person(mailing_id: int | None):
    """The mailing's unknowns that no provider event can settle: a person decides (`decide_unknown`)."""
    c = Message.__table__.c
    return and_(c.mailing_id == mailing_id, held_unknown())


def held_unknown():
    """Any message of unknown fate that no provider event can settle, whatever it belongs to."""
    c = Message.__table__.c
    return and_(c.state == UNKNOWN, c.lease_until.is_(None), c.provider_seen_at.is_(None))


def release_held(mailing_id: int, ids: list[int] | None, decision: str, now: datetime) -> int:
    """A person's decision on held unknowns: `resend` queues them again, `sent` records them as sent."""
    c = Message.__table__.c
    which = held_for_person(mailing_id)
    if ids is not None:
        which = and_(which, c.id.in_(ids))
    if decision == "sent":
        values = dict(state=SENT, sent_at=now, last_error="marked as sent by a person", updated_at=now)
    else:
        values = dict(state=QUEUED, dispatched_at=None, last_error=None, updated_at=now)
    return db.session.execute(update(Message.__table__).where(which).values(**values)).rowcount


def counts(mailing_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Message.state, func.count()).where(Message.mailing_id == mailing_id)
                              .group_by(Message.state)).all()
    return {state: n for state, n in rows}


def cancel_queued(mailing_id: int, now: datetime) -> int:
    c = Message.__table__.c
    return db.session.execute(update(Message.__table__).where(c.mailing_id == mailing_id, c.state == QUEUED)
                              .values(state=CANCELLED, updated_at=now)).rowcount
