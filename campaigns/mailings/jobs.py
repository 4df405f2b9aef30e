"""The mailing's background jobs: prepare the ledger, deliver batches, and the pump that keeps it moving.

Jobs take ids only and are idempotent: running one twice, or after a crash, changes nothing that a
single run would not. The database is the truth; Redis only carries work and shared rates.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from campaigns.mailings import ledger
from campaigns.mailings.models import Mailing, Message
from campaigns.mailings.throttle import Throttle
from core import mail
from core.mail import states
from core.db import db, utcnow
from core.queue import enqueue, redis_connection

log = logging.getLogger(__name__)
PUMP_KEY = "mailings:pump:running"
DELIVER = "campaigns.mailings.jobs.deliver_batch"
PUMP = "campaigns.mailings.jobs.pump"


def _redis():
    return redis_connection() if current_app.config.get("REDIS_URL") else None


def start_mailing(mailing_id: int) -> None:
    """Scheduled start: prepare the ledger once the send time has come (idempotent)."""
    from campaigns.mailings.preparing import prepare_mailing

    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.status != "scheduled":
        return
    if mailing.send_at and mailing.send_at > utcnow():
        return  # moved later: the pump or a later job will start it
    prepare_mailing(mailing_id)
    dispatch(mailing_id)


@dataclass
class _Chunk:
    """Claimed, rendered messages whose sends may be in flight while the job prepares the next."""

    sendable: list          # (Claimed, Envelope, content hash) of the messages to send
    results: list           # ledger.Result of those that ended before sending (nothing to render...)
    deadline: float         # no send starts after this (time.monotonic()): the lease ends soon after
    top: int                # the highest id claimed
    sending: mail.Pending | None = None


# A prepared chunk that is not sent after all (the previous one met a 429, stopped the mailing, or
# kept failing): certainly not accepted, so back to queued for this job or another to send.
HELD_BACK = mail.Outcome(mail.RETRY, reason="not sent: held back after the previous chunk's answers")


def deliver_batch(mailing_id: int, message_ids: list[int]) -> dict:
    """Claim, render and send the queued messages among `message_ids`, a chunk at a time.

    Pipelined: while one chunk's requests are in flight, the next is claimed (and committed) and
    rendered, so the provider's latency and the database's round trips overlap. A chunk is only
    sent once the previous one's answers are written and allow it.

    Without provider evidence (SMTP) every claimed row a killed job leaves behind is held for a person,
    so there a job claims no more than the backend sends at once and does not claim ahead: after a
    kill, only messages that may really have been on the wire wait for a decision.
    """
    from campaigns.mailings.compose import Composer

    cfg = current_app.config
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.status != "sending":
        return {"sent": 0}
    composer = Composer(mailing, cfg)
    throttle = Throttle(_redis())
    rates = {"global": cfg["MAIL_RATE_PER_MINUTE"], f"mailing:{mailing_id}": mailing.rate_per_minute or 0}
    pending = sorted(set(message_ids))
    stop_at = time.monotonic() + cfg["MAILING_JOB_SECONDS"]
    session = mail.open_session(cfg)
    tally: dict[str, int] = {}
    strikes = 0
    flying: _Chunk | None = None
    halted = False
    pipelined = mail.has_evidence(cfg)
    chunk_size = cfg["MAILING_CHUNK"] if pipelined else max(1, min(cfg["MAILING_CHUNK"], mail.in_flight(cfg)))
    try:
        while True:
            chunk, wait, nap, exhausted = None, 0.0, 0.0, False
            if pending and not halted and time.monotonic() < stop_at and (pipelined or flying is None):
                if _status(mailing_id) != "sending":
                    halted = True
                elif not (wait := throttle.backoff_left()):
                    want, wait = throttle.take(min(chunk_size, len(pending)), rates)
                    if want:
                        chunk = _prepare_chunk(mailing_id, pending, want, composer)
                        exhausted = chunk is None
                        if chunk is not None:
                            pending = [i for i in pending if i > chunk.top]
                    else:
                        wait = max(wait, 0.05)
            hold_back = halted
            if flying is not None:
                results, outcomes = _finish_chunk(flying)
                flying = None
                retry = _count(tally, results)
                if retry:
                    pending = sorted(set(pending) | retry)
                    exhausted = False
                if any(o.kind == mail.AUTH for o in outcomes):
                    _pause(mailing_id, next(o.reason for o in outcomes if o.kind == mail.AUTH))
                    halted = hold_back = True
                limited = [o.retry_after for o in outcomes if o.retry_after]
                if limited:
                    throttle.back_off(max(limited))
                    hold_back = True
                shaky = sum(o.kind == mail.AMBIGUOUS for o in outcomes)
                strikes = strikes + 1 if outcomes and shaky * 2 >= len(outcomes) else 0
                if strikes:  # most answers were ambiguous: the provider is struggling, give it a moment
                    nap = ledger.backoff(strikes, base=cfg["MAILING_RETRY_SECONDS"] / 4, cap=30)
                    hold_back = True
            if chunk is not None and hold_back:
                results, _ = _finish_chunk(chunk, [HELD_BACK] * len(chunk.sendable))
                pending = sorted(set(pending) | _count(tally, results))
                chunk = None
            if chunk is not None:
                envelopes = [e for _, e, _ in chunk.sendable]
                chunk.sending = session.start_many(envelopes, deadline=chunk.deadline) if envelopes else None
                flying = chunk
                continue
            if halted or not pending or time.monotonic() >= stop_at:
                break
            if exhausted:
                left = _claimable(mailing_id, pending)
                if left:
                    log.warning("mailing %s: %d of this job's messages are queued but could not be claimed",
                                mailing_id, left)
                break  # nothing of ours is queued any more
            if wait or nap:
                time.sleep(max(min(wait, 5), nap))
    finally:
        session.close()
    if _redis() is not None:
        dispatch(mailing_id)  # keep the window full without waiting for the pump
    return tally


def lease_times(cfg) -> tuple[float, float]:
    """(how long after a claim its sends may start, how long the claim holds). The lease adds the
    backend's longest single send (an SMTP relay may take its 10 minutes to answer) to the window, so no
    send is still in flight when the pump settles the claim as stopped."""
    window = max(1.0, cfg["MAILING_LEASE_SECONDS"] * 0.75)
    return window, cfg["MAILING_LEASE_SECONDS"] + mail.longest_send(cfg)


def _count(tally: dict[str, int], results: list) -> set[int]:
    """Add a chunk's results to the job's tally; the ids that went back to queued (to try again)."""
    for r in results:
        tally[r.state] = tally.get(r.state, 0) + 1
    return {r.id for r in results if r.state == "queued"}


def _prepare_chunk(mailing_id, pending, want, composer) -> _Chunk | None:
    """Claim up to `want` of `pending` (committed before any of them is sent), render them and store
    their headers. None when none of them could be claimed."""
    cfg = current_app.config
    now = utcnow()
    window, lease = lease_times(cfg)
    claimed = ledger.claim(mailing_id, pending, want, now + timedelta(seconds=lease), now)
    db.session.commit()  # the claim is durable before the provider hears of any message in it
    if not claimed:
        return None
    deadline = time.monotonic() + window
    envelopes, results, sendable = composer.envelopes(claimed)
    ledger.record_headers([{"b_id": c.id, "b_mid": e.message_id, "b_hash": h} for c, e, h in sendable])
    db.session.commit()
    return _Chunk(sendable, results, deadline, max(c.id for c in claimed))


def _finish_chunk(chunk: _Chunk, outcomes: list[mail.Outcome] | None = None):
    """Wait for the chunk's answers (or take `outcomes`: a chunk held back) and write them."""
    cfg = current_app.config
    if outcomes is None:
        outcomes = chunk.sending.result() if chunk.sending is not None else []
    now = utcnow()
    results = list(chunk.results)
    for (c, _, _), outcome in zip(chunk.sendable, outcomes):
        state, hold = ledger.outcome_state(outcome, c.attempts, now, cfg["MAILING_QUARANTINE_SECONDS"],
                                           cfg["MAILING_UNSAFE_NO_QUARANTINE"], retry_base=cfg["MAILING_RETRY_SECONDS"],
                                           evidence=mail.has_evidence(cfg))
        results.append(ledger.Result(c.id, c.attempts, state, outcome.provider_id, outcome.reason, hold))
    ledger.write_results(results, now)
    db.session.commit()
    return results, outcomes


def _claimable(mailing_id: int, ids: list[int]) -> int:
    m = Message.__table__.c
    left = db.session.execute(select(func.count()).where(m.mailing_id == mailing_id, m.state == "queued",
                                                         m.provider_seen_at.is_(None), m.id.in_(ids))).scalar_one()
    db.session.commit()
    return left


def _status(mailing_id: int) -> str | None:
    status = db.session.execute(select(Mailing.status).where(Mailing.id == mailing_id)).scalar()
    db.session.commit()  # end the read so the next check sees a pause at once
    return status


def _pause(mailing_id: int, reason: str) -> None:
    db.session.execute(update(Mailing).where(Mailing.id == mailing_id, Mailing.status == "sending")
                       .values(status="paused", paused_reason=f"The provider refused our credentials "
                                                              f"({reason[:200]}). Fix the API key, then resume."))
    db.session.commit()


def dispatch(mailing_id: int) -> int:
    """Hand queued rows without a live job to new jobs, keeping at most a window in flight.

    In-process (no Redis) the jobs run right here, so this loops until nothing is left to hand out.
    """
    total, left = 0, None
    while True:
        handed = _dispatch_once(mailing_id)
        total += handed
        if not handed or current_app.config.get("REDIS_URL"):
            return total
        now_left = ledger.counts(mailing_id).get("queued", 0)
        if left is not None and now_left >= left:
            return total  # in-process, a round that settled nothing (the provider keeps refusing): stop
        left = now_left


def _dispatch_once(mailing_id: int) -> int:
    cfg = current_app.config
    now = utcnow()
    stale = now - timedelta(seconds=cfg["MAILING_REDISPATCH_SECONDS"])
    if _status(mailing_id) != "sending":
        return 0
    c = Message.__table__.c
    open_rows = (c.mailing_id == mailing_id, c.state == "queued")
    in_flight = db.session.execute(select(func.count()).where(*open_rows, c.dispatched_at >= stale)).scalar_one()
    room = cfg["MAILING_WINDOW"] - in_flight
    if room <= 0:
        return 0
    ids = list(db.session.execute(select(c.id).where(*open_rows, (c.dispatched_at.is_(None)) | (c.dispatched_at < stale))
                                  .order_by(c.id).limit(room)).scalars())
    if not ids:
        return 0
    size = cfg["MAILING_BATCH_SIZE"]
    batches = [ids[i:i + size] for i in range(0, len(ids), size)]
    for batch in batches:
        db.session.execute(update(Message.__table__).where(c.id.in_(batch), c.state == "queued")
                           .values(dispatched_at=now))
    db.session.commit()  # commit, then enqueue
    for batch in batches:
        enqueue(DELIVER, mailing_id, batch, queue="mail", timeout=cfg["MAILING_JOB_SECONDS"] + lease_times(cfg)[1] + 30)
    return len(ids)


def pump() -> dict:
    """The periodic job (every MAILING_PUMP_SECONDS, enqueued by the workers themselves)."""
    redis = _redis()
    if redis is None:
        return run_pump()
    period = current_app.config["MAILING_PUMP_SECONDS"]
    if not redis.set(PUMP_KEY, "1", nx=True, px=int(max(2.0, 4 * period) * 1000)):
        return {"skipped": 1}  # another pump is running right now
    try:
        return run_pump()
    finally:
        redis.delete(PUMP_KEY)


def run_pump() -> dict:
    """The database-driven recovery: settle leases, start due mailings, refill the queue, finish.

    Also run from cron by `flask --app app mailings pump`; safe anywhere, any number of times at once.
    """
    from campaigns.mailings.preparing import prepare_mailing

    cfg = current_app.config
    now = utcnow()
    done = ledger.settle(now, cfg["MAILING_QUARANTINE_SECONDS"], cfg["MAILING_UNSAFE_NO_QUARANTINE"],
                         evidence=mail.has_evidence(cfg))
    db.session.commit()
    due = db.session.execute(select(Mailing.id).where(Mailing.status == "scheduled", Mailing.send_at <= now)).scalars()
    for mailing_id in list(due):
        prepare_mailing(mailing_id)
    sending = list(db.session.execute(select(Mailing.id).where(Mailing.status == "sending")).scalars())
    for mailing_id in sending:
        done[f"dispatched:{mailing_id}"] = dispatch(mailing_id)
    finish_done(sending)
    from campaigns.mailings import outgoing

    done["single"] = outgoing.dispatch_single()
    done["wiped"] = outgoing.wipe_settled()
    db.session.commit()
    return done


def finish_done(mailing_ids: list[int]) -> None:
    """Mark mailings with no open message left as done. Unknowns held for a person do not keep a
    mailing sending: it is done, and its page asks for the decision."""
    for mailing_id in mailing_ids:
        open_left = db.session.execute(select(Message.id).where(
            Message.mailing_id == mailing_id, Message.state.in_(states.OPEN),
            ~ledger.held_for_person(mailing_id)).limit(1)).first()
        if open_left is None:
            db.session.execute(update(Mailing).where(Mailing.id == mailing_id, Mailing.status == "sending")
                               .values(status="done", finished_at=utcnow()))
    db.session.commit()


def ensure_pump() -> None:
    """Run the pump soon (in-process: now) rather than at its next period."""
    if _redis() is None:
        pump()
    else:
        enqueue(PUMP, queue="mail")
