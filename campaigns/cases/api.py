"""/api/v1/cases: case files for scripts and other tools."""
from __future__ import annotations

from flask import g, jsonify, request

from campaigns.cases import disclosure, services
from core.api import bp, documented, json_body
from core.security import access

EVENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "happened_on": {"type": "string", "format": "date"}, "kind": {"type": "string"},
    "description": {"type": "string"}, "source_url": {"type": "string"}}}
CASE = {"type": "object", "required": ["id", "name", "status", "public"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "alias": {"type": "string"},
    "public": {"type": "boolean"}, "status": {"type": "string"}, "charges": {"type": "string"},
    "arrest_date": {"type": "string", "format": "date", "nullable": True},
    "place_of_detention": {"type": "string"}, "summary": {"type": "string"},
    "events": {"type": "array", "items": EVENT}, "photos": {"type": "array", "items": {"type": "integer"}},
    "campaigns": {"type": "array", "items": {"type": "integer"}}}}
# One case also carries its confidential notes; lists never do, so a listing is not a bulk dump of them.
CASE_DETAIL = {**CASE, "properties": {**CASE["properties"], "notes": {"type": "string"}}}
CASE_INPUT = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string"}, "alias": {"type": "string"}, "public": {"type": "boolean"},
    "status": {"type": "string", "enum": list(services.STATUSES)}, "charges": {"type": "string"},
    "arrest_date": {"type": "string", "format": "date"}, "place_of_detention": {"type": "string"},
    "summary": {"type": "string"}, "notes": {"type": "string"}}}


@bp.get("/cases")
@access("viewer")
@documented("List cases, newest change first; filter with ?status=. Confidential cases are listed by name "
            "and status only: read one with GET /cases/<id> (audited)", tags=["cases"], response_schema={
    "type": "object", "properties": {"total": {"type": "integer"}, "cases": {"type": "array", "items": CASE}}})
def cases_list():
    cases, total = services.list_cases(request.args.get("status") or None, request.args.get("q"),
                                       request.args.get("page", 1, type=int) or 1)
    return jsonify({"total": total, "cases": [services.case_listing(c) for c in cases]})


@bp.post("/cases")
@access("viewer", write="campaigner")
@documented("Create a case", tags=["cases"], request_schema=CASE_INPUT, response_schema=CASE_DETAIL, status=201)
def cases_create():
    case = services.create_case(json_body())
    return jsonify(services.case_detail(case)), 201


@bp.get("/cases/<int:case_id>")
@access("viewer")
@documented("One case with its timeline and confidential notes (reading a confidential case is audited)",
            tags=["cases"], response_schema=CASE_DETAIL)
def cases_get(case_id: int):
    case = services.get_case(case_id)
    disclosure.open_cases([case], g.api_user, "case api")
    return jsonify(services.case_detail(case))


@bp.post("/cases/<int:case_id>/events")
@access("viewer", write="campaigner")
@documented("Add a dated event with its source to a case's timeline", tags=["cases"], status=201,
            request_schema={"type": "object", "required": ["happened_on", "kind", "description"],
                            "properties": EVENT["properties"]}, response_schema=EVENT)
def cases_add_event(case_id: int):
    event = services.add_event(case_id, json_body())
    return jsonify({"id": event.id, "happened_on": event.happened_on.isoformat(), "kind": event.kind,
                    "description": event.description, "source_url": event.source_url}), 201
