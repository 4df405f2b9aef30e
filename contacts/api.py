"""/api/v1/contacts: list, read, create, update, delete contacts, and import a CSV file."""
from __future__ import annotations

import tempfile

from flask import jsonify, request
from sqlalchemy import select

from contacts import segments, services
from contacts.importing import import_stream
from contacts.models import KINDS, STATUSES, Contact
from contacts.validation import clean_tags
from core.api import bp, documented, json_body
from core.audit import record
from core.db import db
from core.errors import DomainError, NotFound
from core.limits import accepts_upload
from core.security import access

MAX_PER_PAGE = 200
TEXT = {"type": "string"}
NULLABLE_TEXT = {"type": "string", "nullable": True}
CONTACT_SCHEMA = {
    "type": "object", "required": ["id", "email", "name", "status", "tags"],
    "properties": {
        "id": {"type": "integer"}, "email": NULLABLE_TEXT, "name": TEXT, "salutation": NULLABLE_TEXT,
        "position": NULLABLE_TEXT, "organisation": NULLABLE_TEXT,
        "kind": {"type": "string", "nullable": True, "enum": list(KINDS)}, "country": NULLABLE_TEXT,
        "city": NULLABLE_TEXT, "language": NULLABLE_TEXT, "status": {"type": "string", "enum": list(STATUSES)},
        "mailbox": NULLABLE_TEXT, "posting_start": {"type": "string", "format": "date", "nullable": True},
        "posting_end": {"type": "string", "format": "date", "nullable": True},
        "verified_at": {"type": "string", "format": "date-time", "nullable": True},
        "verified_source": NULLABLE_TEXT, "lawful_basis": NULLABLE_TEXT, "source": NULLABLE_TEXT,
        "notes": NULLABLE_TEXT, "tags": {"type": "array", "items": TEXT},
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    },
}
WRITE_SCHEMA = {"type": "object", "properties": {
    **{k: TEXT for k in ("email", "name", "salutation", "position", "organisation", "kind", "country", "city",
                         "language", "status", "mailbox", "posting_start", "posting_end", "verified_at",
                         "verified_source", "lawful_basis", "source", "notes")},
    "tags": {"type": "array", "items": TEXT}}}
LIST_SCHEMA = {"type": "object", "required": ["items", "total", "page", "per_page"], "properties": {
    "items": {"type": "array", "items": CONTACT_SCHEMA}, "total": {"type": "integer"},
    "page": {"type": "integer"}, "per_page": {"type": "integer"}}}
IMPORT_SCHEMA = {"type": "object", "required": ["created", "updated", "unchanged", "rejected", "rejections"],
                 "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"},
                                "unchanged": {"type": "integer"}, "rejected": {"type": "integer"},
                                "dry_run": {"type": "boolean"},
                                "rejections": {"type": "array", "items": {"type": "object", "properties": {
                                    "row": {"type": "integer"}, "email": TEXT, "reason": TEXT}}},
                                "warnings": {"type": "array", "items": {"type": "object", "properties": {
                                    "row": {"type": "integer"}, "column": TEXT, "value": TEXT, "reason": TEXT}}}}}


def _iso(value):
    return value.isoformat() if value is not None else None


def contact_json(contact: Contact) -> dict:
    return {
        "id": contact.id, "email": contact.email, "name": contact.name, "salutation": contact.salutation,
        "position": contact.position, "organisation": contact.organisation.name if contact.organisation else None,
        "kind": contact.kind, "country": contact.country, "city": contact.city, "language": contact.language,
        "status": contact.status, "mailbox": contact.mailbox, "posting_start": _iso(contact.posting_start),
        "posting_end": _iso(contact.posting_end), "verified_at": _iso(contact.verified_at),
        "verified_source": contact.verified_source, "lawful_basis": contact.lawful_basis, "source": contact.source,
        "notes": contact.notes, "tags": contact.tag_names, "created_at": _iso(contact.created_at),
        "updated_at": _iso(contact.updated_at),
    }


@bp.get("/contacts")
@access("viewer")
@documented("Contacts matching a filter (q, tag, kind, country, language, status, organisation_id, "
            "needs_checking, segment_id), a page at a time", response_schema=LIST_SCHEMA, tags=["contacts"])
def contacts_list():
    f = segments.filters_from_args(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = min(max(request.args.get("per_page", 50, type=int) or 50, 1), MAX_PER_PAGE)
    stmt = segments.apply_filters(select(Contact), f).order_by(Contact.id).offset((page - 1) * per_page).limit(per_page)
    items = db.session.execute(stmt).scalars().all()
    return jsonify({"items": [contact_json(c) for c in items], "total": segments.count(f), "page": page,
                    "per_page": per_page})


def _get(contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    return contact


@bp.get("/contacts/<int:contact_id>")
@access("viewer")
@documented("One contact", response_schema=CONTACT_SCHEMA, tags=["contacts"])
def contacts_read(contact_id: int):
    return jsonify(contact_json(_get(contact_id)))


@bp.post("/contacts")
@access("viewer", write="campaigner")
@documented("Create a contact", request_schema=WRITE_SCHEMA, response_schema=CONTACT_SCHEMA, status=201,
            tags=["contacts"])
def contacts_create():
    contact = services.save_contact(services.ContactData.from_mapping(json_body()))
    return jsonify(contact_json(contact)), 201


@bp.patch("/contacts/<int:contact_id>")
@access("viewer", write="campaigner")
@documented("Change some fields of a contact (fields left out keep their value)", request_schema=WRITE_SCHEMA,
            response_schema=CONTACT_SCHEMA, tags=["contacts"])
def contacts_update(contact_id: int):
    current = contact_json(_get(contact_id))
    current = {k: ("" if v is None else v) for k, v in current.items()}
    merged = {**current, **{k: ("" if v is None else v) for k, v in json_body().items()}}
    contact = services.save_contact(services.ContactData.from_mapping(merged), contact_id)
    return jsonify(contact_json(contact))


@bp.delete("/contacts/<int:contact_id>")
@access("viewer", write="campaigner")
@documented("Delete a contact", response_schema={"type": "object", "properties": {"deleted": {"type": "integer"}}},
            tags=["contacts"])
def contacts_delete(contact_id: int):
    _get(contact_id)
    return jsonify({"deleted": services.delete_contacts([contact_id])})


@bp.post("/contacts/import")
@access("viewer", write="campaigner")
@accepts_upload
@documented("Import a CSV file (multipart field `file`, or the body as text/csv); query: tag (repeatable), "
            "dry_run=1", response_schema=IMPORT_SCHEMA, tags=["contacts"])
def contacts_import():
    upload = request.files.get("file")
    tags = clean_tags(request.args.getlist("tag") + request.form.getlist("tag"))
    dry_run = (request.args.get("dry_run") or request.form.get("dry_run") or "") in ("1", "true", "yes")
    with tempfile.SpooledTemporaryFile(max_size=4 << 20) as spool:
        if upload is not None:
            while chunk := upload.stream.read(1 << 20):
                spool.write(chunk)
        elif request.mimetype in ("text/csv", "text/plain", "application/octet-stream"):
            while chunk := request.stream.read(1 << 20):
                spool.write(chunk)
        else:
            raise DomainError("send the CSV as a multipart field `file` or as a text/csv body")
        spool.seek(0)
        name = upload.filename if upload is not None else "api upload"
        result = import_stream(spool, tags=tags, dry_run=dry_run, source=f"import {name}"[:200])
    if not dry_run:
        record("contacts.import", None, {"via": "api", "created": result.created, "updated": result.updated,
                                         "unchanged": result.unchanged, "rejected": result.rejected})
        db.session.commit()
    return jsonify(result.as_dict())


