"""/api/v1/campaigns: campaigns with their goal, dates, cases and templates."""
from __future__ import annotations

from flask import jsonify

from campaigns import services
from core.api import bp, documented, json_body
from core.security import access

CAMPAIGN = {"type": "object", "required": ["id", "name"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "goal": {"type": "string"},
    "starts_on": {"type": "string", "format": "date", "nullable": True},
    "ends_on": {"type": "string", "format": "date", "nullable": True},
    "state": {"type": "string", "enum": ["planned", "running", "ended"]},
    "default_sender_id": {"type": "integer", "nullable": True},
    "case_ids": {"type": "array", "items": {"type": "integer"}},
    "template_ids": {"type": "array", "items": {"type": "integer"}}}}
CAMPAIGN_INPUT = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string"}, "goal": {"type": "string"}, "starts_on": {"type": "string", "format": "date"},
    "ends_on": {"type": "string", "format": "date"}, "default_sender_id": {"type": "integer"}, "case_ids": {"type": "array", "items": {"type": "integer"}}}}


@bp.get("/campaigns")
@access("viewer")
@documented("List campaigns", tags=["campaigns"], response_schema={
    "type": "object", "properties": {"campaigns": {"type": "array", "items": CAMPAIGN}}})
def campaigns_list():
    return jsonify({"campaigns": [services.campaign_data(c) for c in services.list_campaigns()]})


@bp.post("/campaigns")
@access("viewer", write="campaigner")
@documented("Create a campaign", tags=["campaigns"], request_schema=CAMPAIGN_INPUT, response_schema=CAMPAIGN,
            status=201)
def campaigns_create():
    return jsonify(services.campaign_data(services.create_campaign(json_body()))), 201


@bp.get("/campaigns/<int:campaign_id>")
@access("viewer")
@documented("One campaign", tags=["campaigns"], response_schema=CAMPAIGN)
def campaigns_get(campaign_id: int):
    return jsonify(services.campaign_data(services.get_campaign(campaign_id)))
