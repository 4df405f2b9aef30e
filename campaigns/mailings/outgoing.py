"""Single messages through the one ledger: test copies, reminders, drive letters, confirmations, invitations.

The same rules as a mailing's recipients, on the same table: the message is written (its envelope
sealed) and committed before any provider hears of it; a job claims it with a lease, sends it once,
and writes the outcome through the ledger's guarded statements; the pump settles expired leases and
quarantines and hands requeued ones to new jobs. A `ref` names the one thing a message is for, so
asking twice (a retried job, a double click) queues it once.

Other packages reach this through `core.mail.deliver` (registered by the mailings blueprint), so
`accounts` can send an invitation without importing campaigns.
"""
from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

from flask import current_app
from redis.exceptions import ConnectionError as RedisDown
from sqlalchemy import and_, or_, select, update

from campaigns.mailings import jobs, ledger
from campaigns.mailings.models import KINDS, MAILING_KIND, Message
from core import mail
from core.db import db, utcnow
from core.mail import states, stored
from core.queue import enqueue

DELIVER_ONE = "campaigns.mailings.outgoing.deliver_one"
log = logging.getLogger(__name__)


def queue_one(envelope: mail.Envelope, kind: str, ref: str | None = None, contact_id: int | None = None,
              language: str | None = None) -> Message:
    """Write one message to the ledger (committed), then hand it to a job. Idempotent per (kind, ref)."""
    if ref is not None:
        found = db.session.execute(select(Message).where(Message.kind == kind, Message.ref == ref)).scalar()
        if found is not None:
            return found
    message = write_one(envelope, kind, ref, contact_id, language)
    db.session.commit()  # commit, then enqueue: the job must find the row
    start(message.id)
    db.session.refresh(message)
    return message


def write_one(envelope: mail.Envelope, kind: str, ref: str | None = None, contact_id: int | None = None,
              language: str | None = None) -> Message:
    """Add one message to the ledger in the caller's transaction (the caller commits, then `start`s it),
    for a send that must be recorded atomically with the caller's own row (a reminder, a drive letter)."""
    if kind not in KINDS or kind == MAILING_KIND:
        raise ValueError(f"not a single message's kind: {kind}")
    key = envelope.key or secrets.token_urlsafe(15)
    envelope = _with_key(envelope, key)
    message = Message(kind=kind, ref=ref, email=envelope.to, key=key, contact_id=contact_id, language=language,
                      state=states.QUEUED, sealed=stored.dumps(envelope), message_id_header=envelope.message_id,
                      dispatched_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def start(message_id: int) -> None:
    """Hand a committed single message to a job (in-process: send it now). If Redis is away the row is
    safe in the database: the pump hands it out again once `MAILING_REDISPATCH_SECONDS` have passed."""
    try:
        enqueue(DELIVER_ONE, message_id, queue="mail", timeout=_job_timeout())
    except (RedisDown, OSError) as exc:
        log.warning("message %s is queued in the ledger, but no job could be enqueued now: %s", message_id,
                    type(exc).__name__)


def _with_key(envelope: mail.Envelope, key: str) -> mail.Envelope:
    from dataclasses import replace

    return envelope if envelope.key == key else replace(envelope, key=key)


def deliver(envelope: mail.Envelope, kind: str, ref: str | None = None, contact_id: int | None = None) -> str:
    """`core.mail.deliver`'s implementation: the message's state once queued (and, in-process, sent)."""
    return queue_one(envelope, kind, ref, contact_id).state


def deliver_one(message_id: int) -> str:
    """The job: claim the single message, send it once, write the outcome. Safe to run any number of times."""
    cfg = current_app.config
    now = utcnow()
    window, lease = jobs.lease_times(cfg)
    claimed = ledger.claim(None, [message_id], 1, now + timedelta(seconds=lease), now)
    db.session.commit()  # the claim is durable before the provider hears of the message
    if not claimed:
        return _state(message_id)
    c = claimed[0]
    sealed = db.session.execute(select(Message.sealed).where(Message.id == c.id)).scalar()
    if sealed is None:  # a message from before the ledger kept envelopes, or one erased on request
        outcome = mail.Outcome(mail.REJECTED, reason="nothing to send: the message's content was not kept")
    else:
        session = mail.open_session(cfg)
        try:
            outcome = session.send_many([stored.loads(sealed)], deadline=time.monotonic() + window)[0]
        finally:
            session.close()
    state, hold = ledger.outcome_state(outcome, c.attempts, utcnow(), cfg["MAILING_QUARANTINE_SECONDS"],
                                       cfg["MAILING_UNSAFE_NO_QUARANTINE"], retry_base=cfg["MAILING_RETRY_SECONDS"],
                                       evidence=mail.has_evidence(cfg))
    ledger.write_results([ledger.Result(c.id, c.attempts, state, outcome.provider_id, outcome.reason, hold)], utcnow())
    wipe_settled(c.id)
    db.session.commit()
    if state == states.QUEUED and cfg.get("REDIS_URL") and outcome.kind != mail.AUTH:
        enqueue(DELIVER_ONE, c.id, queue="mail", timeout=_job_timeout(),
                delay_seconds=ledger.backoff(c.attempts, cfg["MAILING_RETRY_SECONDS"]))
    return _state(c.id)


def _job_timeout() -> float:
    return jobs.lease_times(current_app.config)[1] + 30


def _state(message_id: int) -> str:
    state = db.session.execute(select(Message.state).where(Message.id == message_id)).scalar()
    db.session.commit()
    return state


def dispatch_single() -> int:
    """The pump's half for single messages: queued ones without a live job get one."""
    cfg = current_app.config
    now = utcnow()
    stale = now - timedelta(seconds=cfg["MAILING_REDISPATCH_SECONDS"])
    c = Message.__table__.c
    ids = list(db.session.execute(select(c.id).where(
        c.mailing_id.is_(None), c.state == states.QUEUED,
        or_(c.dispatched_at.is_(None), c.dispatched_at < stale)).order_by(c.id).limit(1000)).scalars())
    if not ids:
        return 0
    db.session.execute(update(Message.__table__).where(c.id.in_(ids), c.state == states.QUEUED)
                       .values(dispatched_at=now))
    db.session.commit()
    for message_id in ids:
        enqueue(DELIVER_ONE, message_id, queue="mail", timeout=_job_timeout())
    return len(ids)


def wipe_settled(message_id: int | None = None) -> int:
    """Drop the sealed envelopes of settled single messages: nothing is kept longer than needed."""
    c = Message.__table__.c
    which = and_(c.sealed.is_not(None), c.state.not_in(states.OPEN))
    if message_id is not None:
        which = and_(which, c.id == message_id)
    return db.session.execute(update(Message.__table__).where(which).values(sealed=None)).rowcount
