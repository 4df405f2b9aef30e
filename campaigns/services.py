"""Campaigns: create, edit, list and read; which cases and templates each one groups."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaigns.cases.models import Case
from campaigns.cases.services import parse_date
from campaigns.models import Campaign
from core.db import db
from core.errors import Conflict, NotFound, ValidationError


def _fields(data: dict) -> dict:
    name = (data.get("name") or "").strip()
    if not name:
        raise ValidationError("name", "is required")
    if len(name) > 200 or any(c in name for c in "\r\n\x00"):
        raise ValidationError("name", "must be one line of at most 200 characters")
    goal = (data.get("goal") or "").strip()
    if len(goal) > 5000:
        raise ValidationError("goal", "is longer than 5000 characters")
    starts_on = parse_date(data.get("starts_on"), "starts_on")
    ends_on = parse_date(data.get("ends_on"), "ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("ends_on", "is before the start date")
    ids = sorted({int(i) for i in data.get("case_ids") or [] if str(i).strip()})
    cases = list(db.session.execute(select(Case).where(Case.id.in_(ids))).scalars()) if ids else []
    if len(cases) != len(ids):
        raise ValidationError("case_ids", f"no case with id {sorted(set(ids) - {c.id for c in cases})[0]}")
    from campaigns.senders.services import find_sender

    sender = find_sender(data.get("default_sender_id"), "default_sender_id")
    return {"name": name, "goal": goal, "starts_on": starts_on, "ends_on": ends_on, "cases": cases,
            "default_sender_id": sender.id if sender else None}


def _commit(campaign: Campaign) -> Campaign:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("a campaign with this name already exists", {"name": "is already used"}) from None
    return campaign


def create_campaign(data: dict) -> Campaign:
    campaign = Campaign(**_fields(data))
    db.session.add(campaign)
    return _commit(campaign)


def update_campaign(campaign_id: int, data: dict) -> Campaign:
    campaign = get_campaign(campaign_id)
    for key, value in _fields(data).items():
        setattr(campaign, key, value)
    return _commit(campaign)


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    return campaign


def list_campaigns() -> list[Campaign]:
    stmt = select(Campaign).order_by(Campaign.starts_on.desc().nulls_last(), Campaign.name)
    return list(db.session.execute(stmt).scalars())


def campaign_data(campaign: Campaign, today: date | None = None) -> dict:
    return {"id": campaign.id, "name": campaign.name, "goal": campaign.goal,
            "starts_on": campaign.starts_on.isoformat() if campaign.starts_on else None,
            "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None,
            "state": campaign.state(today or date.today()), "default_sender_id": campaign.default_sender_id,
            "case_ids": [c.id for c in campaign.cases], "template_ids": [t.id for t in campaign.templates]}
