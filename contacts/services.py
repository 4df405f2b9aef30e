"""Creating, changing and deleting contacts and organisations; bulk tag, untag and delete.

Functions take plain values and raise domain errors carrying the field at fault; pages, the API and
the command line all call them.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from contacts import validation as v
from contacts.models import KINDS, STATUSES, Contact, Organisation, Tag, contact_tags
from contacts.parsing import LIMITS
from contacts.suppression import suppress, suppressed_among
from core.audit import record
from core.db import db
from core.errors import Conflict, NotFound, ValidationError

TEXT_FIELDS = ("name", "salutation", "position", "city", "verified_source", "lawful_basis", "source")


@dataclass(frozen=True)
class ContactData:
    """A contact as a form or a JSON body gives it: raw text, cleaned by `save_contact`."""

    email: str = ""
    name: str = ""
    salutation: str = ""
    position: str = ""
    organisation: str = ""
    kind: str = ""
    country: str = ""
    city: str = ""
    language: str = ""
    status: str = "active"
    mailbox: str = ""
    posting_start: str = ""
    posting_end: str = ""
    verified_at: str = ""
    verified_source: str = ""
    lawful_basis: str = ""
    source: str = ""
    notes: str = ""
    tags: str = ""

    @classmethod
    def from_mapping(cls, data) -> "ContactData":
        values = {}
        for f in fields(cls):
            value = data.get(f.name)
            if value is None:
                continue
            if f.name == "tags" and isinstance(value, list):
                value = "; ".join(str(t) for t in value)
            values[f.name] = str(value)
        return cls(**values)


def _clean(data: ContactData) -> dict:
    """Clean every field; collect every problem so a form can show them all at once."""
    clean: dict = {}
    problems: dict[str, str] = {}

    def attempt(name, fn, raw):
        if not raw.strip():
            clean[name] = None
            return
        try:
            clean[name] = fn(raw)
        except ValueError as exc:
            problems[name] = str(exc)

    attempt("email", v.clean_email, data.email)
    attempt("country", v.clean_country, data.country)
    attempt("language", v.clean_language, data.language)
    attempt("kind", v.clean_kind, data.kind)
    attempt("mailbox", v.clean_mailbox, data.mailbox)
    attempt("posting_start", v.clean_date, data.posting_start)
    attempt("posting_end", v.clean_date, data.posting_end)
    attempt("verified_at", lambda s: datetime.combine(v.clean_date(s), datetime.min.time(), timezone.utc),
            data.verified_at)
    for name in TEXT_FIELDS:
        attempt(name, lambda s, n=name: v.clip(s, LIMITS.get(n, 200), n), getattr(data, name))
    attempt("organisation", lambda s: v.clip(s, 200, "organisation"), data.organisation)
    if len(data.notes) > LIMITS["notes"]:
        problems["notes"] = f"notes are longer than {LIMITS['notes']} characters"
    clean["notes"] = data.notes.strip() or None
    if data.status not in STATUSES:
        problems["status"] = f"must be one of {', '.join(STATUSES)}"
    clean["status"] = data.status
    clean["name"] = clean.get("name") or ""
    if not clean["name"] and not clean.get("email"):
        problems["name"] = "give a name or an email address"
    if clean.get("posting_start") and clean.get("posting_end") and clean["posting_end"] < clean["posting_start"]:
        problems["posting_end"] = "ends before the posting starts"
    clean["tags"] = v.clean_tags(data.tags)
    if problems:
        first = next(iter(problems))
        raise ValidationError(first, problems[first], problems)
    return clean


def organisation_named(name: str | None) -> Organisation | None:
    if not name:
        return None
    found = db.session.execute(select(Organisation).where(Organisation.name == name)).scalar()
    if found is None:
        found = Organisation(name=name)
        db.session.add(found)
    return found


def tags_named(names: list[str]) -> list[Tag]:
    if not names:
        return []
    found = {t.name: t for t in db.session.execute(select(Tag).where(Tag.name.in_(names))).scalars()}
    for name in names:
        if name not in found:
            found[name] = Tag(name=name)
            db.session.add(found[name])
    return [found[n] for n in names]


def get_contact(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    return contact


def _locked_contact(contact_id: int) -> Contact:
    """The row to change, locked (PostgreSQL) so that a deletion waits for the change or wins first."""
    contact = db.session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFound("no such contact (it may have been deleted meanwhile)")
    return contact


def save_contact(data: ContactData, contact_id: int | None = None) -> Contact:
    clean = _clean(data)
    contact = _locked_contact(contact_id) if contact_id else Contact()
    if clean["email"]:
        taken = db.session.execute(select(Contact.id).where(Contact.email == clean["email"])).scalar()
        if taken is not None and taken != contact_id:
            raise ValidationError("email", "another contact has this address")
        reason = suppressed_among([clean["email"]]).get(clean["email"])
        if reason and clean["status"] == "active":
            raise ValidationError("status", f"this address is on the suppression list ({reason}); it stays suppressed")
    for name in ("email", "name", "salutation", "position", "kind", "country", "city", "language", "status",
                 "mailbox", "posting_start", "posting_end", "verified_at", "verified_source", "lawful_basis",
                 "source", "notes"):
        setattr(contact, name, clean[name])
    db.session.add(contact)
    with db.session.no_autoflush:
        contact.organisation = organisation_named(clean["organisation"])
        contact.tags = tags_named(clean["tags"])
    if clean["email"] and clean["status"] != "active":
        suppress(clean["email"], clean["status"])
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("the contact changed at the same time; try again") from None
    return contact


def delete_contacts(ids: list[int]) -> int:
    """Delete contacts (their tags go with them). The addresses may be imported again later."""
    if not ids:
        return 0
    # Lock the contacts first, in the order a change takes its locks (contact, then its tags).
    db.session.execute(select(Contact.id).where(Contact.id.in_(ids)).with_for_update())
    # The schema cascades, but SQLite enforces foreign keys only when asked to: without this, a reused
    # id would inherit the deleted contact's tags (and a new contact with the same tag would fail).
    db.session.execute(delete(contact_tags).where(contact_tags.c.contact_id.in_(ids)))
    gone = db.session.execute(delete(Contact).where(Contact.id.in_(ids))).rowcount
    record("contacts.delete", None, {"count": gone, "ids": ids[:100]})
    db.session.commit()
    return gone


def tag_contacts(ids: list[int], tag: str) -> int:
    names = v.clean_tags(tag)
    if not names:
        raise ValidationError("tag", "give a tag")
    (tag_row,) = tags_named(names[:1])
    db.session.flush()
    have = set(db.session.execute(select(contact_tags.c.contact_id).where(
        contact_tags.c.tag_id == tag_row.id, contact_tags.c.contact_id.in_(ids))).scalars())
    known = set(db.session.execute(select(Contact.id).where(Contact.id.in_(ids))).scalars())
    todo = [{"contact_id": i, "tag_id": tag_row.id} for i in sorted(known - have)]
    if todo:
        db.session.execute(contact_tags.insert(), todo)
    db.session.commit()
    return len(todo)


def untag_contacts(ids: list[int], tag: str) -> int:
    tag_id = db.session.execute(select(Tag.id).where(Tag.name == " ".join(tag.split()))).scalar()
    if tag_id is None:
        return 0
    gone = db.session.execute(delete(contact_tags).where(
        contact_tags.c.tag_id == tag_id, contact_tags.c.contact_id.in_(ids))).rowcount
    db.session.commit()
    return gone


def all_tags() -> list[str]:
    return list(db.session.execute(select(Tag.name).order_by(Tag.name)).scalars())


def organisations_with_counts() -> list[tuple[Organisation, int]]:
    stmt = (select(Organisation, func.count(Contact.id)).outerjoin(Contact)
            .group_by(Organisation.id).order_by(Organisation.name))
    return [tuple(row) for row in db.session.execute(stmt)]


def get_organisation(organisation_id: int) -> Organisation:
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("no such organisation")
    return org


def save_organisation(organisation_id: int, name: str, kind: str, country: str, city: str) -> Organisation:
    org = get_organisation(organisation_id)
    problems = {}
    name = " ".join(name.split())
    if not name:
        problems["name"] = "is required"
    elif db.session.execute(select(Organisation.id).where(Organisation.name == name,
                                                          Organisation.id != org.id)).first():
        problems["name"] = "another organisation has this name"
    if kind and kind not in KINDS:
        problems["kind"] = f"must be one of {', '.join(KINDS)}"
    try:
        country = v.clean_country(country) if country.strip() else None
    except ValueError as exc:
        problems["country"] = str(exc)
    if problems:
        first = next(iter(problems))
        raise ValidationError(first, problems[first], problems)
    org.name, org.kind, org.country, org.city = name, kind or None, country, " ".join(city.split()) or None
    db.session.commit()
    return org
