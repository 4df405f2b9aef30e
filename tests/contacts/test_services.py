"""Saving contacts through the service: new organisations and tags in one go, without ORM warnings."""
from __future__ import annotations

import warnings

from sqlalchemy import select
from sqlalchemy.exc import SAWarning

from contacts.models import Contact, Organisation, Tag
from contacts.services import ContactData, save_contact, tag_contacts
from core.db import db


def test_a_new_contact_with_a_new_organisation_and_new_tags_saves_without_autoflush_warnings(app):
    with app.app_context(), warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        contact = save_contact(ContactData(email="new@x.example", name="New", organisation="Embassy of Chile",
                                           tags="eu, visit"))
        save_contact(ContactData(email="new@x.example", name="New", organisation="Embassy of Peru",
                                 tags="visit, media", status="bounced"), contact.id)
        other = save_contact(ContactData(email="other@x.example", organisation="Embassy of Peru", tags="media"))
        assert tag_contacts([contact.id, other.id], "fresh") == 2
        db.session.expire_all()
        saved = db.session.get(Contact, contact.id)
        assert saved.organisation.name == "Embassy of Peru" and saved.tag_names == ["fresh", "media", "visit"]
        assert saved.search_text == "new new@x.example "
        assert db.session.execute(select(Organisation.name).order_by(Organisation.name)).scalars().all() == [
            "Embassy of Chile", "Embassy of Peru"]
        assert len(db.session.execute(select(Tag)).scalars().all()) == 4
