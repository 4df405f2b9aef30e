"""A person's data on request: what other packages hold about a contact, and erasure for good.

Packages that keep data about a contact (mailings keep each message's address, responses keep
replies) register their functions here, so contacts need not import them:
    `register(collect=fn(contact_id, email) -> dict, erase=fn(contact_id, email) -> None,
              history=fn(contact_id) -> list[HistoryItem])`.
`collect` adds keys to the person's JSON export; `erase` must remove or anonymise their rows in the
current transaction without committing; `history` gives the lines of the contact page's history.
Erasers run newest-registered first: a package that links to another's rows (responses to messages)
imports that package's registration first, so its own rows are erased while the links still hold.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from contacts.models import Contact
from contacts.suppression import suppress
from core.audit import record
from core.db import db
from core.errors import NotFound


@dataclass(frozen=True)
class HistoryItem:
    """One line of a contact's history: something sent to them or something that came back."""

    at: datetime
    direction: str        # "sent" or "received"
    what: str             # "Appeal for X", "Reply", "Meeting"...
    state: str = ""       # a message's state (delivered, opened, bounced...) or a response's outcome
    detail: str = ""      # a subject, a follow-up date...
    endpoint: str | None = None                   # the page that shows it: url_for(endpoint, **args)
    args: dict = field(default_factory=dict)


_collectors: list[Callable[[int, str | None], dict]] = []
_erasers: list[Callable[[int, str | None], None]] = []
_histories: list[Callable[[int], list[HistoryItem]]] = []


def register(collect: Callable[[int, str | None], dict] | None = None,
             erase: Callable[[int, str | None], None] | None = None,
             history: Callable[[int], list[HistoryItem]] | None = None) -> None:
    for fn, registry in ((collect, _collectors), (erase, _erasers), (history, _histories)):
        if fn and fn not in registry:
            registry.append(fn)


def history_of(contact_id: int) -> list[HistoryItem]:
    """Everything sent to the contact and everything that came back, newest first."""
    items = [item for history in _histories for item in history(contact_id)]
    return sorted(items, key=lambda item: item.at, reverse=True)


def collect_related(contact_id: int, email: str | None) -> dict:
    """What other packages hold about the person, for the JSON export (`history` lists it by date)."""
    data: dict = {}
    for collect in _collectors:
        data.update(collect(contact_id, email))
    data["history"] = [{"at": item.at.isoformat(), "direction": item.direction, "what": item.what,
                        "state": item.state, "detail": item.detail} for item in history_of(contact_id)]
    return data


def erase_contact(contact_id: int) -> None:
    """Delete the contact and everything registered about it; keep only the keyed hash of the address
    in the suppression list, so the person is never mailed or imported again."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    email = contact.email
    for erase in reversed(_erasers):
        erase(contact_id, email)
    if email:
        suppress(email, "erased")
    db.session.delete(contact)
    record("contacts.erase", f"contact:{contact_id}", {})
    db.session.commit()
