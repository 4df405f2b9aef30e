"""/api/v1/senders: sender identities (label, From name and address, Reply-To)."""
from __future__ import annotations

from flask import jsonify

from campaigns.senders import services
from core.api import bp, documented, json_body
from core.security import access

SENDER = {"type": "object", "required": ["id", "label", "from_email"], "properties": {
    "id": {"type": "integer"}, "label": {"type": "string"}, "from_name": {"type": "string"},
    "from_email": {"type": "string", "format": "email"},
    "reply_to": {"type": "string", "format": "email", "nullable": True}}}
SENDER_INPUT = {"type": "object", "required": ["label", "from_email"], "properties": {
    "label": {"type": "string"}, "from_name": {"type": "string"}, "from_email": {"type": "string"},
    "reply_to": {"type": "string"}}}


@bp.get("/senders")
@access("viewer")
@documented("List sender identities", tags=["senders"], response_schema={
    "type": "object", "properties": {"senders": {"type": "array", "items": SENDER}}})
def senders_list():
    return jsonify({"senders": [services.sender_data(s) for s in services.list_senders()]})


@bp.post("/senders")
@access("viewer", write="campaigner")
@documented("Create a sender identity", tags=["senders"], request_schema=SENDER_INPUT, response_schema=SENDER,
            status=201)
def senders_create():
    return jsonify(services.sender_data(services.create_sender(json_body()))), 201


@bp.get("/senders/<int:sender_id>")
@access("viewer")
@documented("One sender identity", tags=["senders"], response_schema=SENDER)
def senders_get(sender_id: int):
    return jsonify(services.sender_data(services.get_sender(sender_id)))


@bp.patch("/senders/<int:sender_id>")
@access("viewer", write="campaigner")
@documented("Change some fields of a sender identity (fields left out keep their value)", tags=["senders"],
            request_schema={**SENDER_INPUT, "required": []}, response_schema=SENDER)
def senders_update(sender_id: int):
    current = services.sender_data(services.get_sender(sender_id))
    given = {k: v for k, v in json_body().items() if v is not None}  # null: not given
    return jsonify(services.sender_data(services.update_sender(sender_id, {**current, **given})))


@bp.delete("/senders/<int:sender_id>")
@access("viewer", write="campaigner")
@documented("Delete a sender identity (refused while a drive sends under it)", tags=["senders"],
            response_schema={"type": "object", "properties": {"deleted": {"type": "integer"}}})
def senders_delete(sender_id: int):
    services.delete_sender(sender_id)
    return jsonify({"deleted": 1})
