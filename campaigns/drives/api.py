"""/api/v1/drives: create, list and read drives and their signatures (no supporter addresses, ever)."""
from __future__ import annotations

from flask import jsonify, request, url_for

from campaigns.drives import drives, signatures
from campaigns.drives.models import Drive, Signature
from core.api import bp, documented, json_body

from core.errors import NotFound
from core.security import access

DRIVE_SCHEMA = {
    "type": "object", "required": ["id", "slug", "title", "goal", "signatures", "status", "url"],
    "properties": {"id": {"type": "integer"}, "slug": {"type": "string"}, "title": {"type": "string"},
                   "goal": {"type": "integer"}, "signatures": {"type": "integer"}, "status": {"type": "string"},
                   "delivery": {"type": "string"}, "deadline": {"type": "string", "nullable": True},
                   "languages": {"type": "array", "items": {"type": "string"}},
                   "audience": {"type": "object"}, "sender_id": {"type": "integer", "nullable": True},
                   "default_display": {"type": "string"},
                   "url": {"type": "string"}}}
CREATE_SCHEMA = {
    "type": "object", "required": ["slug", "title", "letter", "goal"],
    "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                   "letter": {"description": "the text in `language`, or {language: text or {title, body}}",
                              "oneOf": [{"type": "string"}, {"type": "object"}]},
                   "letters": {"type": "object"}, "language": {"type": "string", "enum": ["en", "ru", "kk"]},
                   "goal": {"type": "integer", "minimum": 0}, "deadline": {"type": "string", "format": "date"},
                   "status": {"type": "string", "enum": ["open", "closed"]},
                   "delivery": {"type": "string", "enum": ["compiled", "mailto"]},
                   "audience": {"type": "object", "properties": {
                       "tags": {"type": "array", "items": {"type": "string"}}, "segment_id": {"type": "integer"},
                       "emails": {"type": "array", "items": {"type": "string"}}}},
                   "case_ids": {"type": "array", "items": {"type": "integer"}},
                   "digest_days": {"type": "integer", "minimum": 1},
                   "sender_id": {"type": "integer", "description": "the sender identity; none: MAIL_FROM"},
                   "default_display": {"type": "string", "enum": ["anonymous", "initial", "full"],
                                       "description": "what the sign form starts with (default: anonymous)"}}}
SIGNATURE_SCHEMA = {
    "type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "city": {"type": "string"},
        "country": {"type": "string"}, "display": {"type": "string"}, "consent": {"type": "boolean"},
        "confirmed": {"type": "boolean"}, "moderation": {"type": "string"}, "signed_at": {"type": "string"}}}


def drive_json(drive: Drive, count: int) -> dict:
    return {"id": drive.id, "slug": drive.slug, "title": drive.title, "goal": drive.goal, "signatures": count,
            "status": drive.status, "delivery": drive.delivery,
            "deadline": drive.deadline.isoformat() if drive.deadline else None,
            "languages": [letter.language for letter in drive.letters],
            "audience": {"tags": list(drive.audience_tags or []), "segment_id": drive.segment_id},
            "sender_id": drive.sender_id, "default_display": drive.default_display,
            "url": url_for("drives.public_page", slug=drive.slug)}


def _drive(slug: str) -> Drive:
    return signatures.drive_by_slug(slug)


@bp.post("/drives")
@access("campaigner")
@documented("Create a letter drive", request_schema=CREATE_SCHEMA, response_schema=DRIVE_SCHEMA, status=201,
            tags=["drives"])
def drive_create():
    drive = drives.save_drive(drives.parse_drive(json_body()))
    return jsonify(drive_json(drive, 0)), 201


@bp.get("/drives")
@access("viewer")
@documented("All letter drives with their counted signatures", tags=["drives"], response_schema={
    "type": "object", "properties": {"drives": {"type": "array", "items": DRIVE_SCHEMA}}})
def drive_list():
    return jsonify({"drives": [drive_json(d, n) for d, n in drives.list_drives()]})


@bp.get("/drives/<slug>")
@access("viewer")
@documented("One letter drive", tags=["drives"], response_schema=DRIVE_SCHEMA)
def drive_read(slug: str):
    drive = _drive(slug)
    return jsonify(drive_json(drive, signatures.count(drive.id)))


@bp.get("/drives/<slug>/signatures")
@access("campaigner")
@documented("Signatures of a drive, newest first (`?state=visible|held|hidden`, `?page=`)", tags=["drives"],
            response_schema={"type": "object", "properties": {
                "signatures": {"type": "array", "items": SIGNATURE_SCHEMA}, "next_page": {"type": "integer",
                                                                                           "nullable": True}}})
def drive_signatures(slug: str):
    drive = _drive(slug)
    state = request.args.get("state") or None
    if state not in (None, "visible", "held", "hidden"):
        raise NotFound("no such state")
    page = max(1, request.args.get("page", 1, type=int))
    rows, more = signatures.signature_page(drive.id, state, page, per_page=100)
    return jsonify({"signatures": [_signature_json(s) for s in rows], "next_page": page + 1 if more else None})


def _signature_json(s: Signature) -> dict:
    return {"id": s.id, "name": s.name, "city": s.city, "country": s.country, "display": s.display,
            "consent": s.consent, "confirmed": s.confirmed_at is not None, "moderation": s.moderation,
            "signed_at": s.created_at.isoformat()}



