"""Building contacts for tests through the same services the app uses."""
from __future__ import annotations

from contacts.services import ContactData, save_contact


def add_contact(app, **values) -> int:
    with app.app_context():
        return save_contact(ContactData(**values)).id
