"""The responses API: messages and their events, responses (create, list), dashboard figures."""
from __future__ import annotations

from datetime import date

from flask import g, jsonify, request
from sqlalchemy import select

from campaigns.mailings.models import Mailing, Message
from campaigns.responses import figures
from campaigns.responses.ingest import events_for
from campaigns.responses.models import Response
from campaigns.responses.services import LoggedResponse, list_responses, log_response
from core.api import bp, documented, json_body, whole_number
from core.db import db, utcnow
from core.errors import NotFound, ValidationError
from core.security import access

NULL_STR = {"type": "string", "nullable": True}
EVENT = {"type": "object", "properties": {"kind": {"type": "string"}, "occurred_at": {"type": "string"},
                                          "machine": {"type": "boolean"}, "detail": {"type": "string"}}}
MESSAGE = {"type": "object", "required": ["id", "mailing_id", "state"], "properties": {
    "id": {"type": "integer"}, "mailing_id": {"type": "integer"}, "contact_id": {"type": "integer", "nullable": True},
    "email": {"type": "string"}, "state": {"type": "string"}, "sent_at": NULL_STR, "provider_seen_at": NULL_STR,
    "message_id_header": NULL_STR, "content_hash": NULL_STR, "events": {"type": "array", "items": EVENT},
    "response_ids": {"type": "array", "items": {"type": "integer"}}}}
RESPONSE = {"type": "object", "required": ["id", "kind", "occurred_at"], "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "message_id": {"type": "integer", "nullable": True},
    "contact_id": {"type": "integer", "nullable": True}, "case_id": {"type": "integer", "nullable": True},
    "occurred_at": {"type": "string"}, "subject": {"type": "string"}, "text": {"type": "string"},
    "classification": NULL_STR, "suggested": NULL_STR, "outcome": NULL_STR, "follow_up_on": NULL_STR}}
CREATE = {"type": "object", "required": ["kind", "occurred_on"], "properties": {
    "kind": {"type": "string", "enum": ["meeting", "call", "letter", "statement", "visit"]},
    "occurred_on": {"type": "string", "format": "date"}, "contact_id": {"type": "integer"},
    "case_id": {"type": "integer"}, "message_id": {"type": "integer"}, "summary": {"type": "string"},
    "outcome": {"type": "string", "enum": ["positive", "neutral", "negative"]},
    "follow_up_on": {"type": "string", "format": "date"}}}
FUNNEL = {"type": "object", "properties": {k: {"type": "integer"} for k in (
    "sent", "delivered", "opened", "clicked", "replied", "bounced", "machine_opens")}}
GROUPS = {"type": "object", "required": ["by", "groups"], "properties": {
    "by": {"type": "string"}, "months": {"type": "array", "items": {"type": "string"}},
    "groups": {"type": "array", "items": {"type": "object", "properties": {
        "label": {"type": "string"}, "appeals": {"type": "integer"}, "answered": {"type": "integer"},
        "rate": {"type": "number"}, "median_days_to_first_reply": {"type": "number", "nullable": True},
        "rate_by_month": {"type": "array", "items": {"type": "number", "nullable": True}}}}}}}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def response_json(r: Response) -> dict:
    return {"id": r.id, "kind": r.kind, "message_id": r.message_id, "contact_id": r.contact_id,
            "case_id": r.case_id, "occurred_at": _iso(r.occurred_at), "subject": r.subject, "text": r.body_text,
            "classification": r.classification, "suggested": r.suggested, "outcome": r.outcome,
            "follow_up_on": _iso(r.follow_up_on)}


def _date(data: dict, name: str) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(name, "is not a date (YYYY-MM-DD)") from None


@bp.get("/messages/<int:message_id>")
@access("viewer")
@documented("A message with its provider events and the responses to it", response_schema=MESSAGE,
            tags=["responses"])
def responses_message(message_id: int):
    m = db.session.get(Message, message_id)
    if m is None:
        raise NotFound(f"message {message_id} does not exist")
    responses = db.session.execute(select(Response.id).where(Response.message_id == m.id)
                                   .order_by(Response.id)).scalars().all()
    return jsonify({"id": m.id, "mailing_id": m.mailing_id, "contact_id": m.contact_id, "email": m.email,
                    "state": m.state, "sent_at": _iso(m.sent_at), "provider_seen_at": _iso(m.provider_seen_at),
                    "message_id_header": m.message_id_header, "content_hash": m.content_hash,
                    "events": [{"kind": e.kind, "occurred_at": _iso(e.occurred_at), "machine": e.machine,
                                "detail": e.detail} for e in events_for(m.id)],
                    "response_ids": list(responses)})


@bp.get("/responses")
@access("viewer")
@documented("Responses, newest first (filters: kind, classification, contact_id, message_id, page)",
            response_schema={"type": "object", "properties": {
                "responses": {"type": "array", "items": RESPONSE}, "more": {"type": "boolean"}}},
            tags=["responses"])
def responses_list():
    args = request.args
    rows, more = list_responses(kind=args.get("kind", ""), classification=args.get("classification", ""),
                                contact_id=args.get("contact_id", type=int), message_id=args.get("message_id", type=int),
                                page=args.get("page", 1, type=int) or 1)
    return jsonify({"responses": [response_json(r.response) for r in rows], "more": more})


@bp.post("/responses")
@access("campaigner")
@documented("Log a meeting, call, letter, public statement or visit", request_schema=CREATE,
            response_schema=RESPONSE, status=201, tags=["responses"])
def responses_create():
    data = json_body()
    response = log_response(LoggedResponse(
        kind=str(data.get("kind") or ""), occurred_on=_date(data, "occurred_on"), contact_id=whole_number(data, "contact_id"),
        case_id=whole_number(data, "case_id"), message_id=whole_number(data, "message_id"), summary=str(data.get("summary") or ""),
        outcome=data.get("outcome"), follow_up_on=_date(data, "follow_up_on")), g.api_user.id)
    return jsonify(response_json(response)), 201


@bp.get("/mailings/<int:mailing_id>/funnel")
@access("viewer")
@documented("A mailing's funnel: sent, delivered, opened (people only), clicked, replied, bounced",
            response_schema=FUNNEL, tags=["responses"])
def responses_funnel(mailing_id: int):
    if db.session.get(Mailing, mailing_id) is None:
        raise NotFound(f"mailing {mailing_id} does not exist")
    return jsonify(figures.funnel(mailing_id))


@bp.get("/responses/figures")
@access("viewer")
@documented("Response rate and median days to first reply per organisation or country (by=...)",
            response_schema=GROUPS, tags=["responses"])
def responses_figures():
    by = request.args.get("by", "organisation")
    if by not in ("organisation", "country"):
        raise ValidationError("by", "must be organisation or country")
    now = utcnow()
    months = figures.month_labels(now)
    return jsonify({"by": by, "months": months, "groups": [
        {"label": g_.label, "appeals": g_.appeals, "answered": g_.replied, "rate": round(g_.rate, 4),
         "median_days_to_first_reply": g_.median_days, "rate_by_month": g_.rate_series(months)}
        for g_ in figures.response_groups(by, now)]})
