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
