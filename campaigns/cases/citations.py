"""Who has cited a case, and who has already been told about it.

Appeals cite cases through `appeal_template_cases`. Mailings (campaigns.mailings) may not exist yet
in a given installation: these functions look for their models when called and answer from what is
there, so the case page is honest ("no mailing has cited this case yet") rather than guessing.
"""
from __future__ import annotations

from sqlalchemy import select

from campaigns.appeals.models import AppealTemplate, template_cases
from core.db import db
from core.mail import states



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


def _citing_mailing_ids(Mailing, case_id: int) -> list[int]:
    """Mailings that named the case (`case_ids`/`case_id`) or sent an appeal citing it."""
    ids: set[int] = set()
    if hasattr(Mailing, "template_id"):
        citing = select(template_cases.c.template_id).where(template_cases.c.case_id == case_id)
        ids.update(db.session.execute(select(Mailing.id).where(Mailing.template_id.in_(citing))).scalars())
    if hasattr(Mailing, "case_id"):
        ids.update(db.session.execute(select(Mailing.id).where(Mailing.case_id == case_id)).scalars())
    if hasattr(Mailing, "case_ids"):  # a JSON list: read once and filter here, the same on every database
        ids.update(mid for mid, named in db.session.execute(select(Mailing.id, Mailing.case_ids))
                   if case_id in (named or []))
    return sorted(ids)


def mailings_citing(case_id: int) -> list:
    """Mailings that named this case, or used an appeal citing it (empty until mailings exist)."""
    Mailing, _ = _mailing_models()
    if Mailing is None:
        return []
    ids = _citing_mailing_ids(Mailing, case_id)
    if not ids:
        return []
    return list(db.session.execute(select(Mailing).where(Mailing.id.in_(ids)).order_by(Mailing.id.desc())).scalars())


def informed_contact_ids(case_id: int) -> list[int]:
    """The hook for a 'case update': contacts already sent a message about this case."""
    Mailing, Message = _mailing_models()
    if Mailing is None or Message is None:
        return []
    ids = _citing_mailing_ids(Mailing, case_id)
    if not ids:
        return []
    stmt = (select(Message.contact_id).where(Message.mailing_id.in_(ids), Message.contact_id.is_not(None),
                                            Message.state.in_(states.INFORMED))
            .distinct().order_by(Message.contact_id))
    return list(db.session.execute(stmt).scalars())
