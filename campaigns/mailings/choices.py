"""What the compose form offers (templates, cases, campaigns, segments, senders) and the list page's counts."""
from __future__ import annotations

from sqlalchemy import func, select

from campaigns.mailings.models import Message
from core.db import db
from core.mail import states


def _options(module: str, name: str, label: str) -> list[tuple[int, str]]:
    import importlib

    try:
        model = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return []
    column = getattr(model, label, None) or getattr(model, "name")
    return [(i, str(t)) for i, t in db.session.execute(select(model.id, column).order_by(column).limit(500))]


def choices() -> dict:
    from campaigns.models import Campaign
    from campaigns.senders.services import list_senders

    return {"templates": _options("campaigns.appeals.models", "AppealTemplate", "name"),
            "cases": _options("campaigns.cases.models", "Case", "name"),
            "campaigns": _options("campaigns.models", "Campaign", "name"),
            "segments": _options("contacts.models", "Segment", "name"),
            "senders": list_senders(),
            "campaign_senders": dict(db.session.execute(select(Campaign.id, Campaign.default_sender_id)
                                                        .where(Campaign.default_sender_id.is_not(None))).all())}


def describe_audience(audience: dict | None) -> str:
    """Who a mailing goes to, in words, naming the segment and the case rather than their ids."""
    from campaigns.cases.models import Case
    from contacts.models import Segment

    audience = audience or {}
    case_id, segment_id, tags = audience.get("informed_of_case"), audience.get("segment_id"), audience.get("tags")
    parts = []
    if segment_id:
        name = db.session.execute(select(Segment.name).where(Segment.id == segment_id)).scalar()
        parts.append(f"segment “{name}”" if name else f"segment {segment_id} (deleted)")
    if tags:
        parts.append(("tag " if len(tags) == 1 else "tags ") + ", ".join(tags))
    within = " and ".join(parts)
    if case_id:
        name = db.session.execute(select(Case.name).where(Case.id == case_id)).scalar()
        informed = f"those already informed of the case of {name}" if name else f"those already informed of case {case_id}"
        return f"{informed}, within {within}" if within else informed
    return within or "everyone in Contacts"


def counts_for(mailing_ids: list[int]) -> dict[int, dict]:
    """{mailing id: {"total": n, "sent": n, "failed": n}} in one grouped query."""
    out: dict[int, dict] = {i: {"total": 0, "sent": 0, "failed": 0} for i in mailing_ids}
    if not mailing_ids:
        return out
    rows = db.session.execute(select(Message.mailing_id, Message.state, func.count())
                              .where(Message.mailing_id.in_(mailing_ids)).group_by(Message.mailing_id, Message.state))
    for mailing_id, state, n in rows:
        c = out[mailing_id]
        c["total"] += n
        if state in states.ACCEPTED:
            c["sent"] += n
        elif state == "failed":
            c["failed"] += n
    return out
