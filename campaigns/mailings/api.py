"""The mailings API: create, send, pause, resume, cancel and follow progress."""
from __future__ import annotations

from flask import g, jsonify

from campaigns.mailings import services
from campaigns.senders.services import default_sender_for
from core.api import bp, documented, json_body, whole_number
from core.errors import ValidationError
from core.security import access

COUNTS = {"type": "object", "required": ["total", "queued", "sent", "failed"],
          "additionalProperties": {"type": "integer"}}
PROGRESS = {"type": "object", "required": ["id", "status", "counts"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "status": {"type": "string"},
    "counts": COUNTS, "percent": {"type": "number"}, "rate_per_second": {"type": "number"},
    "seconds_left": {"type": "integer", "nullable": True}, "done": {"type": "boolean"},
    "needs_decision": {"type": "integer", "description": "messages of unknown fate that a person must settle"}}}
HELD = {"type": "object", "required": ["messages"], "properties": {"messages": {"type": "array", "items": {
    "type": "object", "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "email": {"type": "string"},
                                     "subject_of": {"type": "string"}, "reason": {"type": "string"},
                                     "since": {"type": "string"}}}}}}
DECIDED = {"type": "object", "required": ["moved"], "properties": {"moved": {"type": "integer"}}}
DECIDE = {"type": "object", "required": ["decision"], "properties": {
    "decision": {"type": "string", "enum": ["resend", "sent"]},
    "message_ids": {"type": "array", "items": {"type": "integer"}, "description": "default: all held"}}}
CREATE = {"type": "object", "required": ["name", "template_id", "audience"], "properties": {
    "name": {"type": "string"}, "template_id": {"type": "integer"}, "case_id": {"type": "integer"},
    "case_ids": {"type": "array", "items": {"type": "integer"}}, "campaign_id": {"type": "integer"},
    "audience": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}},
                                                  "segment_id": {"type": "integer"},
                                                  "informed_of_case": {"type": "integer"}}},
    "from_email": {"type": "string"}, "from_name": {"type": "string"}, "reply_to": {"type": "string"},
    "sender_id": {"type": "integer"},
    "tracking": {"type": "boolean"}, "rate_per_minute": {"type": "integer"}}}


@bp.post("/mailings")
@access("campaigner")
@documented("Create a draft mailing", request_schema=CREATE, response_schema=PROGRESS, status=201, tags=["mailings"])
def mailing_create():
    from flask import current_app

    data = json_body()
    audience = data.get("audience") or {}
    if not isinstance(audience, dict) or not all(isinstance(t, str) for t in audience.get("tags", []) or []):
        raise ValidationError("audience", "must be {\"tags\": [...]} or {\"segment_id\": N}")
    case_ids = [whole_number({"case_id": c}, "case_id") for c in data.get("case_ids") or []]
    if data.get("case_id") is not None:
        case_ids.insert(0, whole_number(data, "case_id"))
    user = g.api_user
    from_email = data.get("from_email") or ""
    if not from_email and data.get("sender_id") is None and default_sender_for(data.get("campaign_id")) is None:
        from_email = current_app.config.get("MAIL_FROM") or user.email
    mailing = services.create_mailing(services.MailingInput(
        name=str(data.get("name") or ""), template_id=whole_number(data, "template_id"),
        sender_id=whole_number(data, "sender_id"), from_email=from_email,
        from_name=str(data.get("from_name") or ""), reply_to=data.get("reply_to"), case_ids=tuple(case_ids),
        campaign_id=whole_number(data, "campaign_id"),
        audience={"tags": list(audience.get("tags") or []), "segment_id": whole_number(audience, "segment_id"),
                  **({"informed_of_case": whole_number(audience, "informed_of_case")}
                     if audience.get("informed_of_case") is not None else {})},
        tracking=bool(data.get("tracking")), rate_per_minute=whole_number(data, "rate_per_minute")), user.id)
    return jsonify(services.progress(mailing.id)), 201


@bp.get("/mailings/<int:mailing_id>")
@access("viewer")
@documented("A mailing's status and counts by message state", response_schema=PROGRESS, tags=["mailings"])
def mailing_status(mailing_id: int):
    return jsonify(services.progress(mailing_id))


def _action(name: str, fn, summary: str):
    def view(mailing_id: int):
        fn(mailing_id)
        return jsonify(services.progress(mailing_id))

    view.__name__ = f"mailing_{name}"
    view = documented(summary, response_schema=PROGRESS, tags=["mailings"])(access("campaigner")(view))
    bp.post(f"/mailings/<int:mailing_id>/{name}")(view)


@bp.get("/mailings/<int:mailing_id>/unknown")
@access("viewer")
@documented("Messages of unknown fate waiting for a person's decision (SMTP: no provider evidence)",
            response_schema=HELD, tags=["mailings"])
def mailing_unknown(mailing_id: int):
    from campaigns.mailings.unknowns import held

    return jsonify({"messages": [vars(h) for h in held(mailing_id)]})


@bp.post("/mailings/<int:mailing_id>/unknown")
@access("campaigner")
@documented("Send held messages again, or record them as sent", request_schema=DECIDE, response_schema=PROGRESS,
            tags=["mailings"])
def mailing_decide_unknown(mailing_id: int):
    from campaigns.mailings.unknowns import decide_unknown

    decision, ids = _decision(json_body())
    decide_unknown(mailing_id, decision, ids)
    return jsonify(services.progress(mailing_id))


def _decision(data: dict) -> tuple[str, list[int] | None]:
    ids = data.get("message_ids")
    if ids is not None and not (isinstance(ids, list) and all(type(i) is int for i in ids)):
        raise ValidationError("message_ids", "must be a list of message ids")
    return str(data.get("decision") or ""), ids


@bp.get("/messages/unknown")
@access("viewer")
@documented("Single messages (reminders, drive letters, confirmations...) of unknown fate, waiting for a decision",
            response_schema=HELD, tags=["mailings"])
def single_unknown():
    from campaigns.mailings.unknowns import held

    return jsonify({"messages": [vars(h) for h in held(None)]})


@bp.post("/messages/unknown")
@access("campaigner")
@documented("Send held single messages again, or record them as sent", request_schema=DECIDE,
            response_schema=DECIDED, tags=["mailings"])
def single_decide_unknown():
    from campaigns.mailings.unknowns import decide_unknown

    decision, ids = _decision(json_body())
    return jsonify({"moved": decide_unknown(None, decision, ids)})


_action("send", services.send_mailing, "Send a draft mailing now")
_action("pause", services.pause_mailing, "Pause a mailing (within seconds)")
_action("resume", services.resume_mailing, "Resume a paused mailing")
_action("cancel", services.cancel_mailing, "Cancel a mailing: queued messages are not sent")
