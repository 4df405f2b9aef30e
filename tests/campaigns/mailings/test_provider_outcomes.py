"""What each provider answer does to a mailing, in-process against the SendGrid stand-in."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from campaigns.mailings import jobs, services
from core.db import db, utcnow
from tests.campaigns.mailings.factories import make_contacts, make_mailing
from core.mail import states
from tests.campaigns.responses.factories import KEY, PUBLIC_KEY
from tests.standins.live import LiveApp
from tests.standins.sendgrid import Faults, SendgridStandin
from tests.standins.sendgrid_events import EventFaults


@pytest.fixture
def standin():
    with SendgridStandin() as s:
        yield s


@pytest.fixture
def sg_app(config, standin):
    from app import create_app

    app = create_app({**config, "MAIL_BACKEND": "sendgrid", "SENDGRID_API_HOST": standin.url,
                      "SENDGRID_API_KEY": "SG.test", "MAILING_QUARANTINE_SECONDS": 0.2, "MAILING_RETRY_SECONDS": 0.01,
                      "SENDGRID_READ_TIMEOUT": 1.0})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _states(mailing_id):
    from campaigns.mailings.models import Message

    return Counter(db.session.execute(select(Message.state).where(Message.mailing_id == mailing_id)).scalars())


def test_refused_credentials_pause_the_mailing_and_say_why(sg_app, standin):
    with sg_app.app_context():
        make_contacts(3)
        mailing_id = make_mailing()
        standin.api_keys = {"SG.the-right-key"}
        services.send_mailing(mailing_id)
        progress = services.progress(mailing_id)
        assert progress["status"] == "paused" and "refused our credentials" in progress["paused_reason"]
        assert _states(mailing_id) == {"queued": 3}
        standin.api_keys = None  # the campaigner fixed the key
        services.resume_mailing(mailing_id)
        assert services.progress(mailing_id)["counts"]["sent"] == 3
    assert sorted(standin.recipients()) == [f"person{i}@example.org" for i in range(3)]


def test_a_chunk_prepared_while_the_last_was_refused_is_never_sent(sg_app, standin):
    """Jobs claim and render the next chunk while one is in flight: a stop must hold that one back."""
    with sg_app.app_context():
        sg_app.config["MAILING_CHUNK"] = 2
        make_contacts(6)
        mailing_id = make_mailing()
        standin.api_keys = {"SG.the-right-key"}
        services.send_mailing(mailing_id)
        assert services.progress(mailing_id)["status"] == "paused"
        assert _states(mailing_id) == {"queued": 6}
    assert standin.requests == 2  # the first chunk only: the one prepared behind it stayed home


def test_a_bad_request_fails_for_good_with_the_providers_reason(sg_app, standin):
    from campaigns.mailings.models import Message

    with sg_app.app_context():
        make_contacts(2)
        mailing_id = make_mailing()
        db.session.execute(Message.__table__.update().values(email="broken"))  # nothing yet: prepared below
        from campaigns.mailings.preparing import prepare_mailing

        prepare_mailing(mailing_id)
        db.session.execute(Message.__table__.update().where(Message.email == "person0@example.org")
                           .values(email="no-at-sign"))
        db.session.commit()
        jobs.dispatch(mailing_id)
        jobs.finish_done([mailing_id])
        failed = db.session.execute(select(Message.last_error).where(Message.state == "failed")).scalars().all()
        assert _states(mailing_id) == {"sent": 1, "failed": 1} and failed and failed[0]


def test_unanswered_requests_wait_in_quarantine_then_follow_the_providers_events(sg_app, standin):
    sg_app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = PUBLIC_KEY
    sg_app.config["MAILING_QUARANTINE_SECONDS"] = 3.0
    with sg_app.app_context(), LiveApp(sg_app) as live:
        make_contacts(8)
        mailing_id = make_mailing()
        # Half the requests fail before the provider takes them, half after: the sender cannot tell.
        standin.faults = Faults(p503=0.5, p_accept_then_fail=0.5)
        events = standin.post_events_to(f"{live.url}/webhooks/sendgrid/events", KEY,
                                        EventFaults(delay=(0.5, 1.0), p_duplicate=0.5))
        services.send_mailing(mailing_id)
        assert _states(mailing_id) == {"unknown": 8}
        taken = len(standin.accepted)
        standin.faults = Faults()
        events.drain()  # the provider's signed events reach the webhook: what it took is settled
        db.session.expire_all()
        assert sum(n for s, n in _states(mailing_id).items() if s in states.ACCEPTED) == taken
        jobs.run_pump()  # still in quarantine: nothing is sent again yet
        assert len(standin.accepted) == taken
        time.sleep(3.1)
        jobs.run_pump()  # quarantine over: those with no event were never taken, and go again
        assert set(_states(mailing_id)) <= set(states.ACCEPTED) and sum(_states(mailing_id).values()) == 8
        assert services.progress(mailing_id)["status"] == "done"
    got = Counter(standin.recipients())
    assert sorted(got) == [f"person{i}@example.org" for i in range(8)] and set(got.values()) == {1}


def test_429_backs_off_every_worker_until_the_reset(sg_app, standin):
    with sg_app.app_context():
        make_contacts(4)
        mailing_id = make_mailing()
        standin.faults = Faults(p429=1.0)
        jobs_started = time.monotonic()
        from campaigns.mailings.preparing import prepare_mailing

        prepare_mailing(mailing_id)
        sg_app.config["MAILING_JOB_SECONDS"] = 1.5
        jobs.dispatch(mailing_id)
        assert _states(mailing_id) == {"queued": 4}  # never accepted, never lost
        assert time.monotonic() - jobs_started >= 0.5  # it waited for the reset instead of hammering
        standin.faults = Faults()
        jobs.run_pump()
        sg_app.config["MAILING_JOB_SECONDS"] = 120.0
        from sqlalchemy import update

        from campaigns.mailings.models import Message

        db.session.execute(update(Message).values(dispatched_at=None))
        db.session.commit()
        jobs.dispatch(mailing_id)
        assert _states(mailing_id) == {"sent": 4}


def test_through_smtp_every_recipient_gets_one_copy_over_the_sessions_connections(config):
    from app import create_app
    from tests.standins.smtp import Relay, running

    with running(Relay()) as relay:
        app = create_app({**config, "MAIL_BACKEND": "smtp", "SMTP_URL": relay.url, "SMTP_CONCURRENCY": 3,
                          "MAILING_CHUNK": 4})
        try:
            with app.app_context():
                make_contacts(10)
                mailing_id = make_mailing()
                services.send_mailing(mailing_id)
                assert services.progress(mailing_id)["counts"]["sent"] == 10
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    assert sorted(c.to[0] for c in relay.copies) == sorted(f"person{i}@example.org" for i in range(10))
    assert len(relay.connections) <= 3
