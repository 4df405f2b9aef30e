"""A person's data on request: what other packages hold about a contact, and erasure for good.

Packages that keep data about a contact (mailings keep each message's address, responses keep
replies) register two functions here, so contacts need not import them:
    `register(collect=fn(contact_id, email) -> dict, erase=fn(contact_id, email) -> None)`.
`erase` must remove or anonymise their rows in the current transaction without committing.
"""
from __future__ import annotations

from typing import Callable

from contacts.models import Contact
from contacts.suppression import suppress
from core.audit import record
from core.db import db
from core.errors import NotFound

_collectors: list[Callable[[int, str | None], dict]] = []
_erasers: list[Callable[[int, str | None], None]] = []


def register(collect: Callable[[int, str | None], dict] | None = None,
             erase: Callable[[int, str | None], None] | None = None) -> None:
    if collect and collect not in _collectors:
        _collectors.append(collect)
    if erase and erase not in _erasers:
        _erasers.append(erase)


def collect_related(contact_id: int, email: str | None) -> dict:
    data: dict = {"history": []}
    for collect in _collectors:
        data.update(collect(contact_id, email))
    return data


def erase_contact(contact_id: int) -> None:
    """Delete the contact and everything registered about it; keep only the keyed hash of the address
    in the suppression list, so the person is never mailed or imported again."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    email = contact.email
    for erase in _erasers:
        erase(contact_id, email)
    if email:
        suppress(email, "erased")
    db.session.delete(contact)
    record("contacts.erase", f"contact:{contact_id}", {})
    db.session.commit()
