"""Plain data about the cases and campaign a mailing is about, for the template context."""
from __future__ import annotations

from sqlalchemy import select

from core.db import db


def case_data(case_ids: list[int]) -> list[dict]:
    if not case_ids:
        return []
    from campaigns.cases.models import Case
    from campaigns.cases.services import case_data as plain

    found = {c.id: c for c in db.session.execute(select(Case).where(Case.id.in_(case_ids))).scalars()}
    return [plain(found[i]) for i in case_ids if i in found]


def campaign_data(campaign_id: int | None) -> dict | None:
    if campaign_id is None:
        return None
    from campaigns.models import Campaign
    from campaigns.services import campaign_data as plain

    campaign = db.session.get(Campaign, campaign_id)
    return plain(campaign) if campaign else None
