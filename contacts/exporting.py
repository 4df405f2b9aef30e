"""CSV export of any filter or segment, and a person's data as JSON.

CSV is written as UTF-8 with a BOM (Excel then shows Cyrillic; LibreOffice too) and cells that a
spreadsheet would run as a formula are neutralised with a leading apostrophe.
"""
from __future__ import annotations

import csv
import io
from typing import Iterator

from sqlalchemy import select

from contacts.models import Contact, Organisation, Tag, contact_tags
from contacts.segments import Filters, apply_filters
from core.db import db
from core.errors import NotFound
from core.spreadsheets import safe_cell

COLUMNS = ("email", "name", "salutation", "position", "organisation", "kind", "country", "city", "language",
           "status", "tags", "mailbox", "posting_start", "posting_end", "verified_at", "verified_source",
           "lawful_basis", "source", "notes")
CHUNK = 1000


def _rows(f: Filters) -> Iterator[dict]:
    stmt = apply_filters(select(Contact, Organisation.name).outerjoin(Organisation), f).order_by(Contact.id)
    result = db.session.execute(stmt.execution_options(yield_per=CHUNK))
    for chunk in result.partitions():
        ids = [c.id for c, _ in chunk]
        tags: dict[int, list[str]] = {}
        for contact_id, name in db.session.execute(
                select(contact_tags.c.contact_id, Tag.name).join(Tag).where(contact_tags.c.contact_id.in_(ids))
                .order_by(Tag.name)):
            tags.setdefault(contact_id, []).append(name)
        for contact, organisation in chunk:
            row = {c: getattr(contact, c, None) for c in COLUMNS}
            row["organisation"], row["tags"] = organisation, "; ".join(tags.get(contact.id, []))
            yield row
        db.session.expunge_all()


def csv_chunks(f: Filters) -> Iterator[str]:
    """The export as text pieces, streamed (the first piece carries the BOM and the header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for n, row in enumerate(_rows(f), start=1):
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
        if n % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_to_file(f: Filters, path: str) -> int:
    """Write the export to `path`; returns the number of contacts written."""
    rows = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in _rows(f):
            writer.writerow([safe_cell(row[c]) for c in COLUMNS])
            rows += 1
    return rows


def person_data(contact_id: int) -> dict:
    """Everything held about one contact, for a subject access request."""
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    data = {c: safe_json(getattr(contact, c)) for c in COLUMNS if c not in ("organisation", "tags")}
    data.update(id=contact.id, created_at=safe_json(contact.created_at), updated_at=safe_json(contact.updated_at),
                tags=contact.tag_names,
                organisation=None if contact.organisation is None else {
                    "name": contact.organisation.name, "kind": contact.organisation.kind,
                    "country": contact.organisation.country, "city": contact.organisation.city})
    from contacts.privacy import collect_related

    data.update(collect_related(contact.id, contact.email))
    return data


def safe_json(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
