"""The ledger: the pure state rules, and atomic claims, guarded writes and settling on both databases."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns.mailings import ledger
from core import mail
from core.mail import states
from core.db import utcnow
from tests.campaigns.mailings.factories import make_contacts, make_mailing
from tests.campaigns.responses.factories import PUBLIC_KEY, event, post_events

NOW = utcnow()


@pytest.mark.parametrize("kind, state", [(mail.SENT, "sent"), (mail.REJECTED, "failed"), (mail.RETRY, "queued"),
                                         (mail.AUTH, "queued"), (mail.AMBIGUOUS, "unknown")])
def test_each_outcome_moves_a_message_to_one_state(kind, state):
    got, hold = ledger.outcome_state(mail.Outcome(kind), 1, NOW, quarantine=900)
    assert got == state
    assert (hold is not None) == (state == "unknown")
    if hold:
        assert hold >= NOW + timedelta(seconds=900)


def test_an_ambiguous_outcome_is_never_requeued_at_once_unless_the_broken_variant_is_asked_for():
    assert ledger.outcome_state(mail.Outcome(mail.AMBIGUOUS), 1, NOW, 60)[0] == "unknown"
    assert ledger.outcome_state(mail.Outcome(mail.AMBIGUOUS), 1, NOW, 60, unsafe_no_quarantine=True)[0] == "queued"


@pytest.mark.parametrize("state, expired, seen, cancelled, result", [
    ("sending", False, False, False, "sending"),
    ("sending", True, False, False, "unknown"),
    ("unknown", False, False, False, "unknown"),
    ("unknown", True, True, False, "sent"),
    ("unknown", True, False, False, "queued"),
    ("unknown", True, False, True, "cancelled"),
    ("queued", False, True, False, "sent"),
    ("sent", True, True, False, "sent"),
])
def test_the_pump_settles_by_lease_and_provider_sightings(state, expired, seen, cancelled, result):
    assert ledger.settled_state(state, expired, seen, cancelled) == result


def test_backoff_has_full_jitter_and_a_cap():
    rng = random.Random(7)
    waits = [ledger.backoff(n, base=1, cap=10, rng=rng) for n in range(1, 30)]
    assert all(0 <= w <= 10 for w in waits) and len(set(waits)) == len(waits)


def test_only_listed_transitions_are_allowed():
    assert states.can_move("queued", "sending") and states.can_move("unknown", "queued")
    assert not states.can_move("sent", "queued") and not states.can_move("queued", "failed")


def _prepared(app, n=10):
    from campaigns.mailings.models import Message
    from campaigns.mailings.preparing import prepare_mailing
    from core.db import db

    make_contacts(n)
    mailing_id = make_mailing()
    prepare_mailing(mailing_id)
    ids = list(db.session.execute(select(Message.id).where(Message.mailing_id == mailing_id)).scalars())
    return mailing_id, ids


def test_a_message_is_claimed_once_even_by_concurrent_claims(app):
    from core.db import db

    with app.app_context():
        mailing_id, ids = _prepared(app)
        lease = utcnow() + timedelta(seconds=60)
        first = ledger.claim(mailing_id, ids, 6, lease, utcnow())
        db.session.commit()
        second = ledger.claim(mailing_id, ids, 100, lease, utcnow())
        db.session.commit()
        third = ledger.claim(mailing_id, ids, 100, lease, utcnow())
    assert len(first) == 6 and len(second) == 4 and third == []
    assert {c.id for c in first}.isdisjoint({c.id for c in second})
    assert all(c.attempts == 1 for c in first + second)


def test_postgres_claims_skip_rows_locked_by_another_claim(app):
    import sqlalchemy as sa

    from core.db import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
        mailing_id, ids = _prepared(app)
        lease = utcnow() + timedelta(seconds=60)
        first = ledger.claim(mailing_id, ids, 5, lease, utcnow())  # not committed: rows stay locked
        other = sa.orm.Session(db.engine)
        try:
            with other.begin():
                m = ledger.Message.__table__.c
                pick = (sa.select(m.id).where(m.mailing_id == mailing_id, m.state == "queued")
                        .with_for_update(skip_locked=True))
                free = set(other.execute(pick).scalars())
        finally:
            other.close()
        db.session.commit()
    assert free == set(ids) - {c.id for c in first}


def test_a_stale_worker_cannot_overwrite_a_newer_attempt(app):
    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        mailing_id, ids = _prepared(app, 1)
        old = ledger.claim(mailing_id, ids, 1, utcnow() - timedelta(seconds=1), utcnow())[0]
        db.session.commit()
        ledger.settle(utcnow(), quarantine=0)  # lease over: unknown, quarantine 0: ...
        db.session.commit()
        ledger.settle(utcnow() + timedelta(seconds=1), quarantine=0)  # ... then queued again
        db.session.commit()
        new = ledger.claim(mailing_id, ids, 1, utcnow() + timedelta(seconds=60), utcnow())[0]
        db.session.commit()
        ledger.write_results([ledger.Result(old.id, old.attempts, "failed", reason="late")], utcnow())
        db.session.commit()
        state = db.session.execute(select(Message.state, Message.attempts)).one()
    assert new.attempts == 2 and tuple(state) == ("sending", 2)


def test_expired_leases_wait_out_the_quarantine_and_then_follow_the_provider(app):
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = PUBLIC_KEY
    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        mailing_id, ids = _prepared(app, 2)
        claimed = ledger.claim(mailing_id, ids, 2, utcnow() - timedelta(seconds=1), utcnow())
        db.session.commit()
        ledger.settle(utcnow(), quarantine=30)
        db.session.commit()
        assert set(db.session.execute(select(Message.state)).scalars()) == {"unknown"}
        response = post_events(app.test_client(), [event("processed", {"key": claimed[0].key, "email": claimed[0].email},
                                                              at=utcnow())])  # the provider's signed event
        assert response.status_code == 200 and response.get_json()["recorded"] == 1
        later = utcnow() + timedelta(seconds=31)
        ledger.settle(later, quarantine=30)
        db.session.commit()
        states = dict(db.session.execute(select(Message.id, Message.state)).all())
    assert states == {claimed[0].id: "sent", claimed[1].id: "queued"}
