"""The message ledger under any order of claims, provider answers, crashes, time and provider events.

A stateful Hypothesis test drives the real ledger functions (`claim`, `outcome_state`,
`write_results`, `settle`) and the real event ingestion (`record_events`) against a real database,
with the clock under its control. The provider is the only thing modelled: it answers 202, 400, 429,
5xx or times out, and for every message it really took it sends an event for the message's key
within EVENT_DELAY (shorter than the quarantine, as the pipeline's settings require of a provider).

Invariants, after every step: no message reaches the provider twice; a claim never hands out a
message an earlier attempt may have delivered; a message the ledger calls queued, failed or cancelled
never reached the provider, and one it calls sent (or delivered...) did. At the end, with every
answer given and the pump run to completion, every recipient is settled and none is lost.
"""
from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import delete, select, update

from campaigns.mailings import ledger
from campaigns.mailings.models import Mailing, Message
from core.mail import states
from campaigns.responses.events import Event
from campaigns.responses.ingest import record_events
from campaigns.responses.models import MessageEvent
from core import mail
from core.db import db, utcnow
from tests.campaigns.mailings.factories import make_contacts, make_mailing

LEASE = 120.0
QUARANTINE = 900.0
RETRY_BASE = 2.0
EVENT_DELAY = 600.0  # the provider's events arrive within this; the quarantine is longer
MAX_HOLD = LEASE + QUARANTINE + 300.0 + 1.0  # lease, quarantine and the largest backoff, and a second
RECIPIENTS = 4

ANSWERS = {  # what the provider does with one request: (outcome, did it take the message?)
    "accepted": (mail.Outcome(mail.SENT, provider_id="sg-1"), True),
    "bad request 400": (mail.Outcome(mail.REJECTED, reason="HTTP 400: invalid address"), False),
    "rate limited 429": (mail.Outcome(mail.RETRY, reason="HTTP 429", retry_after=1.0), False),
    "server error 500, taken": (mail.Outcome(mail.AMBIGUOUS, reason="HTTP 500"), True),
    "server error 503, not taken": (mail.Outcome(mail.AMBIGUOUS, reason="HTTP 503"), False),
    "timeout, taken": (mail.Outcome(mail.AMBIGUOUS, reason="no answer: read timeout"), True),
    "timeout, not taken": (mail.Outcome(mail.AMBIGUOUS, reason="no answer: read timeout"), False),
    "connection refused": (mail.Outcome(mail.RETRY, reason="cannot connect"), False),
}


class LedgerMachine(RuleBasedStateMachine):
    mailing_id: int
    ids: list[int]
    unsafe = False  # the deliberately broken variant (no quarantine), which this test must catch

    def __init__(self):
        super().__init__()
        t = Message.__table__
        db.session.execute(delete(MessageEvent.__table__))
        db.session.execute(update(t).where(t.c.mailing_id == self.mailing_id).values(
            state="queued", attempts=0, lease_until=None, provider_seen_at=None, provider_message_id=None,
            sent_at=None, dispatched_at=None, last_error=None))
        db.session.execute(update(Mailing).where(Mailing.id == self.mailing_id).values(status="sending"))
        db.session.commit()
        rows = db.session.execute(select(Message.id, Message.key, Message.email)
                                  .where(Message.mailing_id == self.mailing_id)).all()
        self.keys = {r.id: (r.key, r.email) for r in rows}
        self.clock = utcnow()
        self.rng = random.Random(0)
        self.taken = {i: 0 for i in self.ids}      # how many times the provider took each message
        self.in_flight: list[dict] = []            # claims a worker holds: id, attempts, lease_until, result
        self.pending: list[tuple] = []             # provider events not yet arrived: (id, due)
        self.arrived: list[Event] = []             # events already delivered (for duplicates)
        self.cancelled = False

    # --- workers ---------------------------------------------------------------------------------

    @precondition(lambda self: not self.cancelled)
    @rule(limit=st.integers(1, 3))
    def claim(self, limit):
        claimed = ledger.claim(self.mailing_id, self.ids, limit, self.clock + timedelta(seconds=LEASE), self.clock)
        db.session.commit()
        for c in claimed:
            assert self.taken[c.id] == 0, "handed out again although an earlier attempt reached the provider"
            assert not any(f["id"] == c.id for f in self.in_flight if f["result"] is None
                           and f["lease_until"] > self.clock), "claimed while another worker's lease is live"
            self.in_flight.append({"id": c.id, "attempts": c.attempts, "lease_until": self.clock + timedelta(seconds=LEASE),
                                   "result": None})

    @precondition(lambda self: any(f["result"] is None and f["lease_until"] > self.clock for f in self.in_flight))
    @rule(data=st.data(), answer=st.sampled_from(sorted(ANSWERS)), write_now=st.booleans())
    def provider_answers(self, data, answer, write_now):
        """The worker sends (only while its lease lasts, as `_deliver_chunk`'s deadline makes sure)."""
        live = [f for f in self.in_flight if f["result"] is None and f["lease_until"] > self.clock]
        claim = data.draw(st.sampled_from(live))
        outcome, taken = ANSWERS[answer]
        if taken:
            self.taken[claim["id"]] += 1
            self.pending.append((claim["id"], self.clock + timedelta(seconds=data.draw(st.floats(0, EVENT_DELAY)))))
        state, hold = ledger.outcome_state(outcome, claim["attempts"], self.clock, QUARANTINE, self.unsafe,
                                           rng=self.rng, retry_base=RETRY_BASE)
        claim["result"] = ledger.Result(claim["id"], claim["attempts"], state, outcome.provider_id, outcome.reason, hold)
        if write_now:
            self._write(claim)

    @precondition(lambda self: any(f["result"] is not None for f in self.in_flight))
    @rule(data=st.data())
    def slow_worker_writes_late(self, data):
        self._write(data.draw(st.sampled_from([f for f in self.in_flight if f["result"] is not None])))

    @precondition(lambda self: bool(self.in_flight))
    @rule(data=st.data())
    def worker_killed(self, data):
        """kill -9: before sending, or after the provider answered but before the result was written."""
        self.in_flight.remove(data.draw(st.sampled_from(self.in_flight)))

    def _write(self, claim):
        ledger.write_results([claim["result"]], self.clock)
        db.session.commit()
        self.in_flight.remove(claim)

    # --- the provider's events, time, the pump ---------------------------------------------------

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data(), kind=st.sampled_from(["processed", "delivered", "deferred"]))
    def provider_event_arrives(self, data, kind):
        self._arrive(data.draw(st.sampled_from(self.pending)), kind)

    @precondition(lambda self: bool(self.arrived))
    @rule(data=st.data(), same_id=st.booleans(), kind=st.sampled_from(["processed", "delivered", "open"]))
    def late_or_duplicate_event(self, data, same_id, kind):
        earlier = data.draw(st.sampled_from(self.arrived))
        event = earlier if same_id else Event(sg_event_id=uuid.uuid4().hex, kind=kind, key=earlier.key,
                                               email=earlier.email, occurred_at=self.clock)
        record_events([event])

    def _arrive(self, item, kind="processed"):
        message_id, _ = item
        self.pending.remove(item)
        key, email = self.keys[message_id]
        event = Event(sg_event_id=uuid.uuid4().hex, kind=kind, key=key, email=email, occurred_at=self.clock)
        record_events([event])
        self.arrived.append(event)

    @rule(seconds=st.sampled_from([1.0, LEASE / 2, LEASE + 1, QUARANTINE / 2, QUARANTINE + 1, MAX_HOLD]))
    def time_passes(self, seconds):
        later = self.clock + timedelta(seconds=seconds)
        for item in sorted([p for p in self.pending if p[1] <= later], key=lambda p: p[1]):
            self.clock = max(self.clock, item[1])  # events due in between arrive on time
            self._arrive(item)
        self.clock = later

    @rule()
    def pump(self):
        ledger.settle(self.clock, QUARANTINE, self.unsafe)
        db.session.commit()

    @precondition(lambda self: not self.cancelled)
    @rule()
    def campaigner_cancels(self):
        from campaigns.mailings.services import cancel_mailing

        cancel_mailing(self.mailing_id)
        self.cancelled = True

    # --- what must always hold -------------------------------------------------------------------

    def _states(self) -> dict[int, str]:
        rows = db.session.execute(select(Message.id, Message.state).where(Message.mailing_id == self.mailing_id))
        states = dict(rows.all())
        db.session.commit()
        return states

    @invariant()
    def nobody_gets_two_messages_and_the_ledger_tells_the_truth(self):
        for message_id, state in self._states().items():
            taken = self.taken[message_id]
            assert taken <= 1, f"message {message_id} reached the provider {taken} times"
            if state in ("queued", "failed", "cancelled"):
                assert taken == 0, f"message {message_id} is {state} but the provider has it"
            if state in states.ACCEPTED:
                assert taken == 1, f"message {message_id} is {state} but the provider never took it"

    def teardown(self):
        """Every answer given, every event in, the pump run to completion: all settled, none lost."""
        for claim in list(self.in_flight):
            if claim["result"] is not None:
                self._write(claim)
        self.in_flight.clear()
        for _ in range(10):
            self.time_passes(MAX_HOLD)
            self.pump()
            if self.cancelled:
                continue
            claimed = ledger.claim(self.mailing_id, self.ids, len(self.ids), self.clock + timedelta(seconds=LEASE),
                                   self.clock)
            db.session.commit()
            for c in claimed:
                assert self.taken[c.id] == 0, "handed out again although an earlier attempt reached the provider"
                self.taken[c.id] += 1
                self.pending.append((c.id, self.clock))
                state, hold = ledger.outcome_state(ANSWERS["accepted"][0], c.attempts, self.clock, QUARANTINE)
                ledger.write_results([ledger.Result(c.id, c.attempts, state, "sg-1", "", hold)], self.clock)
                db.session.commit()
            self.nobody_gets_two_messages_and_the_ledger_tells_the_truth()
        found = self._states()
        assert not [s for s in found.values() if s in states.OPEN], f"left unsettled: {sorted(found.values())}"
        assert sorted(found) == sorted(self.ids), "a recipient was lost"
        for message_id, state in found.items():
            expected = 1 if state in states.ACCEPTED else 0
            assert self.taken[message_id] == expected, f"message {message_id} ended {state}"


def _prepared():
    from campaigns.mailings.preparing import prepare_mailing

    make_contacts(RECIPIENTS)
    mailing_id = make_mailing()
    prepare_mailing(mailing_id)
    ids = sorted(db.session.execute(select(Message.id).where(Message.mailing_id == mailing_id)).scalars())
    assert len(ids) == RECIPIENTS
    return mailing_id, ids


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_no_sequence_of_answers_crashes_and_events_sends_twice_or_loses_anyone(app):
    with app.app_context():
        mailing_id, ids = _prepared()
        machine = type("Ledger", (LedgerMachine,), {"mailing_id": mailing_id, "ids": ids})
        run_state_machine_as_test(machine, settings=settings(max_examples=60, stateful_step_count=30, **SETTINGS))
        db.session.remove()


def test_the_machine_catches_a_ledger_that_requeues_ambiguous_sends_at_once(app):
    """The same rules against MAILING_UNSAFE_NO_QUARANTINE: a duplicate send must be found."""
    with app.app_context():
        mailing_id, ids = _prepared()
        machine = type("UnsafeLedger", (LedgerMachine,), {"mailing_id": mailing_id, "ids": ids, "unsafe": True})
        with pytest.raises(AssertionError, match="the provider has it|reached the provider|handed out again"):
            run_state_machine_as_test(machine, settings=settings(
                max_examples=300, stateful_step_count=30, database=None, phases=[Phase.generate], **SETTINGS))
        db.session.remove()
