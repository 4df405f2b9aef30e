"""Sending in-process (no Redis) to the outbox: who gets it, who does not and why, and what each gets."""
from __future__ import annotations

import email
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from campaigns.mailings import services
from core.db import db, utcnow
from tests.campaigns.mailings.factories import make_contacts, make_mailing, make_template, staff


def _outbox(app):
    from pathlib import Path

    return [email.message_from_bytes(p.read_bytes()) for p in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))]


def test_everyone_gets_their_own_copy_and_the_excluded_are_counted_with_reasons(app):
    from campaigns.mailings.review import review_mailing
    from contacts.models import Contact
    from contacts.suppression import suppress

    with app.app_context():
        ids = make_contacts(8)
        make_contacts(1, start=100, email=None)
        db.session.execute(update(Contact).where(Contact.id == ids[0]).values(status="unsubscribed"))
        suppress("person1@example.org", "bounced")
        db.session.execute(update(Contact).where(Contact.id == ids[1]).values(status="active"))
        db.session.commit()
        mailing_id = make_mailing()
        review = review_mailing(mailing_id, reader=staff())
        assert review.recipients == 6
        assert dict(review.excluded) == {"no email address": 1, "unsubscribed": 1, "on the suppression list": 1}
        assert len(review.samples) == 3 and "Dear Person" in review.samples[0][1].text
        assert services.send_mailing(mailing_id) == 6
        progress = services.progress(mailing_id)
    assert progress["status"] == "done" and progress["counts"]["sent"] == 6 and progress["counts"]["total"] == 6
    sent = _outbox(app)
    assert sorted(m["To"] for m in sent) == sorted(f"person{i}@example.org" for i in range(2, 8))
    assert all(len(m.get_all("To")) == 1 and m["Message-ID"] and m["List-Unsubscribe-Post"] for m in sent)
    assert len({m["Message-ID"] for m in sent}) == 6


def test_contacts_missing_a_field_the_template_needs_are_left_out(app):
    from campaigns.mailings.review import review_mailing
    from contacts.models import Contact

    with app.app_context():
        make_contacts(3)
        db.session.execute(update(Contact).where(Contact.email == "person0@example.org").values(position="Consul"))
        db.session.commit()
        template_id = make_template(body="Dear {{ contact.position }}, about {{ case.name }}.")
        review = review_mailing(make_mailing(template_id=template_id), reader=staff())
    assert review.recipients == 1
    assert dict(review.excluded) == {"missing fields the template needs": 2}
    assert review.missing == {"contact.position": 2}


def test_the_unsubscribe_link_asks_first_and_the_one_click_post_suppresses_at_once(app, client):
    from contacts.suppression import is_suppressed

    with app.app_context():
        make_contacts(1)
        services.send_mailing(make_mailing())
    link = _outbox(app)[0]["List-Unsubscribe"].split(">")[0].lstrip("<")
    path = link.split("127.0.0.1:5000")[-1]
    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe?" in page.data
    with app.app_context():
        assert not is_suppressed("person0@example.org")
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"You are unsubscribed" in done.data
    with app.app_context():
        assert is_suppressed("person0@example.org")
    assert client.get(path[:-3] + "abc").status_code == 404


def test_pause_resume_and_cancel(app):
    from campaigns.mailings.models import Message
    from campaigns.mailings.preparing import prepare_mailing

    with app.app_context():
        make_contacts(5)
        mailing_id = make_mailing()
        prepare_mailing(mailing_id)  # queued, no job has run yet
        assert services.pause_mailing(mailing_id).status == "paused"
        services.resume_mailing(mailing_id)  # in-process, the jobs run at once
        assert services.progress(mailing_id)["status"] == "done"
        other = make_mailing(tag="envoys", name="Second")
        prepare_mailing(other)
        services.cancel_mailing(other)
        states = set(db.session.execute(select(Message.state).where(Message.mailing_id == other)).scalars())
    assert states == {"cancelled"}


def test_resend_to_failed_and_send_to_contacts_added_since(app):
    from campaigns.mailings.models import Message

    with app.app_context():
        make_contacts(4)
        first = make_mailing()
        services.send_mailing(first)
        db.session.execute(update(Message).where(Message.email == "person0@example.org").values(state="failed"))
        db.session.commit()
        retry = services.follow_up(first, "failed_of")
        assert services.send_mailing(retry.id) == 1
        make_contacts(2, start=50)
        since = services.follow_up(first, "added_since")
        assert services.send_mailing(since.id) == 2
        got = set(db.session.execute(select(Message.email).where(Message.mailing_id == since.id)).scalars())
    assert got == {"person50@example.org", "person51@example.org"}


def test_a_scheduled_mailing_starts_when_its_time_comes(app):
    from campaigns.mailings import jobs

    with app.app_context():
        make_contacts(2)
        mailing_id = make_mailing()
        assert services.send_mailing(mailing_id, utcnow() + timedelta(hours=1)) == 0
        assert services.progress(mailing_id)["status"] == "scheduled"
        jobs.run_pump()
        assert services.progress(mailing_id)["status"] == "scheduled"
        from campaigns.mailings.models import Mailing

        db.session.execute(update(Mailing).values(send_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        jobs.run_pump()
        jobs.run_pump()
        assert services.progress(mailing_id)["counts"]["sent"] == 2


def test_a_field_with_a_fallback_is_not_required_and_a_mailing_to_nobody_is_refused_with_the_reason(app):
    """A starter appeal opens with `contact.salutation or "Dear Sir or Madam"`: contacts without a
    salutation still get it. A field printed with no fallback is required; when nobody has it, the
    mailing is not sent, and says why."""
    from campaigns.mailings import services
    from campaigns.mailings.models import Message
    from core.errors import Conflict
    from tests.campaigns.mailings.factories import make_contacts, make_mailing, make_template

    with app.app_context():
        make_contacts(3, salutation=None)
        fallback = make_template(body='{{ contact.salutation or "Dear Sir or Madam" }},\n\n'
                                      '{% if contact.position %}As {{ contact.position }}, you{% else %}You{% endif %} '
                                      'can help.')
        assert services.send_mailing(make_mailing(template_id=fallback)) == 3
        bare = make_mailing(template_id=make_template(body="{{ contact.salutation }},\n\nYou can help."))
        with pytest.raises(Conflict) as refused:
            services.send_mailing(bare)
        assert "nobody would get this mailing" in refused.value.message
        assert "missing fields: contact.salutation (3)" in refused.value.message
        assert services.get_mailing(bare).status == "draft"
        assert db.session.execute(select(Message.id).where(Message.mailing_id == bare)).first() is None
