"""Sender identities on both databases: validation, one label each, what deleting one does."""
from __future__ import annotations

import pytest

from core.errors import Conflict, ValidationError

IDENTITY = {"label": "Press office", "from_name": "Justice for Aigul", "from_email": "Press@Example.NET",
            "reply_to": "team@example.net"}


def test_an_identity_is_saved_with_normalised_addresses(app):
    from campaigns.senders.services import create_sender, list_senders, update_sender

    with app.app_context():
        identity = create_sender(IDENTITY)
        assert (identity.from_email, identity.reply_to) == ("press@example.net", "team@example.net")
        update_sender(identity.id, {**IDENTITY, "reply_to": ""})
        assert [(s.label, s.reply_to) for s in list_senders()] == [("Press office", None)]


@pytest.mark.parametrize("field, value, reason", [
    ("label", "  ", "is required"), ("from_email", "", "is required"), ("from_email", "not an address", "invalid"),
    ("reply_to", "team@", "invalid"), ("from_name", "two\nlines", "one line")])
def test_bad_fields_are_refused_with_the_field_named(app, field, value, reason):
    from campaigns.senders.services import create_sender

    with app.app_context(), pytest.raises(ValidationError) as caught:
        create_sender({**IDENTITY, field: value})
    assert caught.value.field == field and reason in caught.value.reason


def test_a_label_is_used_once(app):
    from campaigns.senders.services import create_sender

    with app.app_context():
        create_sender(IDENTITY)
        with pytest.raises(Conflict):
            create_sender({**IDENTITY, "from_email": "other@example.net"})


def test_the_database_refuses_an_identity_without_an_address(app):
    from sqlalchemy.exc import IntegrityError

    from campaigns.senders.models import SenderIdentity
    from core.db import db

    with app.app_context():
        db.session.add(SenderIdentity(label="Broken", from_name="", from_email="nobody"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_deleting_an_identity_keeps_what_mailings_were_sent_from_and_is_refused_while_a_drive_uses_it(app):
    from campaigns.drives.models import Drive
    from campaigns.mailings.models import Mailing
    from campaigns.senders.services import create_sender, delete_sender, list_senders
    from campaigns.services import create_campaign
    from core.db import db

    with app.app_context():
        identity = create_sender(IDENTITY)
        campaign = create_campaign({"name": "Free Aigul", "default_sender_id": identity.id})
        mailing = Mailing(name="Appeal", sender_id=identity.id, from_email=identity.from_email)
        drive = Drive(slug="free-aigul", title="Free Aigul", sender_id=identity.id)
        db.session.add_all([mailing, drive])
        db.session.commit()
        with pytest.raises(Conflict, match="Free Aigul"):
            delete_sender(identity.id)
        drive.sender_id = None
        db.session.commit()
        delete_sender(identity.id)
        assert list_senders() == []
        db.session.expire_all()
        assert campaign.default_sender_id is None
        assert (mailing.sender_id, mailing.from_email) == (None, "press@example.net")


def test_a_new_mailing_starts_with_the_campaigns_default_identity_else_the_first(app):
    from campaigns.senders.services import create_sender, default_sender_for
    from campaigns.services import create_campaign

    with app.app_context():
        assert default_sender_for(None) is None
        first = create_sender({**IDENTITY, "label": "A team"})
        press = create_sender(IDENTITY)
        campaign = create_campaign({"name": "Free Aigul", "default_sender_id": press.id})
        other = create_campaign({"name": "Free Bakyt"})
        assert default_sender_for(campaign.id).id == press.id
        assert default_sender_for(other.id).id == first.id
        assert default_sender_for(None).id == first.id
