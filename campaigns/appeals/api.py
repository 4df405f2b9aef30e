"""/api/v1/templates: appeal templates, their language variants, and a render preview."""
from __future__ import annotations

from flask import g, jsonify

from campaigns.appeals import services
from core.api import bp, documented, json_body
from core.errors import ValidationError
from core.security import access

VARIANT = {"type": "object", "properties": {
    "language": {"type": "string"}, "subject": {"type": "string"}, "body": {"type": "string"},
    "version": {"type": "integer"}, "needs_review": {"type": "boolean"}}}
TEMPLATE = {"type": "object", "required": ["id", "name", "source_language", "variants"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "source_language": {"type": "string"},
    "campaign_id": {"type": "integer", "nullable": True}, "case_ids": {"type": "array", "items": {"type": "integer"}},
    "variants": {"type": "array", "items": VARIANT}}}
TEMPLATE_INPUT = {"type": "object", "required": ["name", "subject", "body"], "properties": {
    "name": {"type": "string"}, "language": {"type": "string", "default": "en"}, "subject": {"type": "string"},
    "body": {"type": "string", "description": "Markdown with Jinja fields"},
    "campaign_id": {"type": "integer"}, "case_ids": {"type": "array", "items": {"type": "integer"}}}}
RENDERED = {"type": "object", "required": ["language", "subject", "html", "text"], "properties": {
    "language": {"type": "string"}, "subject": {"type": "string"}, "html": {"type": "string"},
    "text": {"type": "string"}}}


def template_data(template) -> dict:
    return {"id": template.id, "name": template.name, "source_language": template.source_language,
            "campaign_id": template.campaign_id, "case_ids": [c.id for c in template.cases],
            "variants": [{"language": v.language, "subject": v.subject, "body": v.body, "version": v.version,
                          "needs_review": v.needs_review} for v in template.variants]}


@bp.get("/templates")
@access("viewer")
@documented("List appeal templates with their language variants", tags=["templates"], response_schema={
    "type": "object", "properties": {"templates": {"type": "array", "items": TEMPLATE}}})
def templates_list():
    return jsonify({"templates": [template_data(t) for t in services.list_templates()]})


@bp.post("/templates")
@access("viewer", write="campaigner")
@documented("Create a template; refused with the line and field if it does not compile", tags=["templates"],
            request_schema=TEMPLATE_INPUT, response_schema=TEMPLATE, status=201)
def templates_create():
    data = json_body()
    template = services.create_template(data.get("name"), data.get("language") or "en", data.get("subject") or "",
                                        data.get("body") or "", data.get("campaign_id"), data.get("case_ids") or [])
    return jsonify(template_data(template)), 201


@bp.get("/templates/<int:template_id>")
@access("viewer")
@documented("One template with its variants", tags=["templates"], response_schema=TEMPLATE)
def templates_get(template_id: int):
    return jsonify(template_data(services.get_template(template_id)))


@bp.put("/templates/<int:template_id>/variants/<language>")
@access("viewer", write="campaigner")
@documented("Save a language variant; a new source version flags the other variants for review",
            tags=["templates"], request_schema={"type": "object", "required": ["subject", "body"],
                                                "properties": {"subject": {"type": "string"}, "body": {"type": "string"}}},
            response_schema=TEMPLATE)
def templates_save_variant(template_id: int, language: str):
    data = json_body()
    services.save_variant(template_id, language, data.get("subject") or "", data.get("body") or "")
    return jsonify(template_data(services.get_template(template_id)))


@bp.post("/templates/<int:template_id>/render")
@access("viewer", write="viewer")
@documented("Preview the letter one contact would get for a case (saves nothing)", tags=["templates"],
            request_schema={"type": "object", "properties": {
                "contact_id": {"type": "integer", "description": "omit for the sample contact"},
                "case_id": {"type": "integer"}, "language": {"type": "string"}}},
            response_schema=RENDERED)
def templates_render(template_id: int):
    data = json_body()
    template = services.get_template(template_id)
    contact = services.contact_data(data.get("contact_id"))
    variant = services.variant_for(template_id, data.get("language") or contact.get("language"))
    case_ids = [data["case_id"]] if data.get("case_id") else []
    case_ids += [c.id for c in template.cases]
    for value in case_ids:
        if not isinstance(value, int):
            raise ValidationError("case_id", "must be an integer")
    user = g.api_user
    rendered = services.preview(variant.subject, variant.body, variant.language, contact_id=data.get("contact_id"),
                                case_ids=case_ids, campaign_id=template.campaign_id,
                                sender={"name": user.name or user.email, "email": user.email}, reader=user)
    return jsonify({"language": variant.language, "subject": rendered.subject, "html": rendered.html,
                    "text": rendered.text})
