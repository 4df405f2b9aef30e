"""Who has cited a case, and who has already been told about it.

Appeals cite cases through `appeal_template_cases`. Mailings (campaigns.mailings) may not exist yet
in a given installation: these functions look for their models when called and answer from what is
there, so the case page is honest ("no mailing has cited this case yet") rather than guessing.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from campaigns.appeals.models import AppealTemplate, template_cases
from core.db import db

INFORMED_STATES = ("sent", "delivered", "opened", "clicked", "replied", "unknown")


def appeals_citing(case_id: int) -> list[AppealTemplate]:
    stmt = (select(AppealTemplate).join(template_cases, template_cases.c.template_id == AppealTemplate.id)
            .where(template_cases.c.case_id == case_id).order_by(AppealTemplate.name))
    return list(db.session.execute(stmt).scalars())


def _mailing_models():
    try:
        from campaigns.mailings.models import Mailing, Message
    except ImportError:
        return None, None
    return Mailing, Message


def _citing_condition(Mailing, case_id: int):
    conditions = []
    if hasattr(Mailing, "case_id"):
        conditions.append(Mailing.case_id == case_id)
    if hasattr(Mailing, "template_id"):
        conditions.append(Mailing.template_id.in_(
            select(template_cases.c.template_id).where(template_cases.c.case_id == case_id)))
    return or_(*conditions) if conditions else None


def mailings_citing(case_id: int) -> list:
    """Mailings that named this case, or used an appeal citing it (empty until mailings exist)."""
    Mailing, _ = _mailing_models()
    if Mailing is None:
        return []
    condition = _citing_condition(Mailing, case_id)
    if condition is None:
        return []
    return list(db.session.execute(select(Mailing).where(condition).order_by(Mailing.id.desc())).scalars())


def informed_contact_ids(case_id: int) -> list[int]:
    """The hook for a 'case update': contacts already sent a message about this case."""
    Mailing, Message = _mailing_models()
    if Mailing is None or Message is None:
        return []
    condition = _citing_condition(Mailing, case_id)
    if condition is None:
        return []
    stmt = (select(Message.contact_id).join(Mailing, Mailing.id == Message.mailing_id)
            .where(condition, Message.contact_id.is_not(None), Message.state.in_(INFORMED_STATES))
            .distinct().order_by(Message.contact_id))
    return list(db.session.execute(stmt).scalars())
