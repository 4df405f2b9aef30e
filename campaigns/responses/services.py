"""Responses a campaigner works with: logging meetings and calls, classifying replies, follow-ups."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from campaigns.mailings.models import Mailing, Message
from campaigns.responses.models import CLASSES, LOGGED_KINDS, OUTCOMES, RESPONSE_KINDS, Response
from contacts.models import Contact, Organisation
from core.db import db, utcnow
from core.errors import NotFound, ValidationError

MAX_SUMMARY = 20_000


@dataclass(frozen=True)
class LoggedResponse:
    kind: str
    occurred_on: date | None
    contact_id: int | None = None
    case_id: int | None = None
    message_id: int | None = None
    summary: str = ""
    outcome: str | None = None
    follow_up_on: date | None = None


@dataclass(frozen=True)
class ResponseRow:
    response: Response
    contact_name: str | None
    organisation: str | None
    mailing_id: int | None
    mailing_name: str | None


def log_response(data: LoggedResponse, user_id: int | None) -> Response:
    """Record a meeting, call, letter, statement or visit; raises ValidationError naming the field."""
    if data.kind not in LOGGED_KINDS:
        raise ValidationError("kind", f"must be one of {', '.join(LOGGED_KINDS)}")
    if data.occurred_on is None:
        raise ValidationError("occurred_on", "is required")
    if data.occurred_on > date.today() + timedelta(days=1):
        raise ValidationError("occurred_on", "cannot be in the future")
    if data.outcome not in OUTCOMES + (None,):
        raise ValidationError("outcome", f"must be one of {', '.join(OUTCOMES)}")
    if len(data.summary) > MAX_SUMMARY:
        raise ValidationError("summary", f"is longer than {MAX_SUMMARY} characters")
    contact_id = data.contact_id
    if data.message_id is not None:
        message = db.session.get(Message, data.message_id)
        if message is None:
            raise ValidationError("message_id", "no such message")
        contact_id = contact_id or message.contact_id
    if contact_id is not None and db.session.get(Contact, contact_id) is None:
        raise ValidationError("contact_id", "no such contact")
    if contact_id is None and data.case_id is None:
        raise ValidationError("contact_id", "name the contact or the case this response belongs to")
    response = Response(kind=data.kind, contact_id=contact_id, case_id=data.case_id, message_id=data.message_id,
                        occurred_at=datetime.combine(data.occurred_on, time(12), tzinfo=timezone.utc),
                        body_text=data.summary.strip(), outcome=data.outcome, follow_up_on=data.follow_up_on,
                        created_by_id=user_id)
    db.session.add(response)
    db.session.commit()
    return response


def get_response(response_id: int) -> Response:
    response = db.session.get(Response, response_id)
    if response is None:
        raise NotFound(f"response {response_id} does not exist")
    return response


def review_response(response_id: int, classification: str | None, outcome: str | None,
                    follow_up_on: date | None) -> Response:
    """The campaigner's judgement of a response: its class, outcome and when to follow up."""
    response = get_response(response_id)
    if classification not in CLASSES + (None,):
        raise ValidationError("classification", f"must be one of {', '.join(CLASSES)}")
    if outcome not in OUTCOMES + (None,):
        raise ValidationError("outcome", f"must be one of {', '.join(OUTCOMES)}")
    response.classification, response.outcome = classification, outcome
    if follow_up_on != response.follow_up_on:
        response.follow_up_on, response.follow_up_done_at = follow_up_on, None
    db.session.commit()
    return response


def complete_follow_up(response_id: int) -> Response:
    response = get_response(response_id)
    response.follow_up_done_at = response.follow_up_done_at or utcnow()
    db.session.commit()
    return response


def _rows(query) -> list[ResponseRow]:
    query = (query.add_columns(Contact.name, Organisation.name, Mailing.id, Mailing.name)
             .outerjoin(Contact, Contact.id == Response.contact_id)
             .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
             .outerjoin(Message, Message.id == Response.message_id)
             .outerjoin(Mailing, Mailing.id == Message.mailing_id))
    return [ResponseRow(*row) for row in db.session.execute(query)]


def list_responses(kind: str = "", classification: str = "", contact_id: int | None = None,
                   message_id: int | None = None, page: int = 1, per_page: int = 50) -> tuple[list[ResponseRow], bool]:
    """Newest first; `classification='none'` lists the replies still to classify."""
    query = select(Response).order_by(Response.occurred_at.desc(), Response.id.desc())
    if kind in RESPONSE_KINDS:
        query = query.where(Response.kind == kind)
    elif kind == "logged":
        query = query.where(Response.kind.in_(LOGGED_KINDS))
    if classification == "none":
        query = query.where(Response.kind == "reply", Response.classification.is_(None))
    elif classification in CLASSES:
        query = query.where(Response.classification == classification)
    if contact_id is not None:
        query = query.where(Response.contact_id == contact_id)
    if message_id is not None:
        query = query.where(Response.message_id == message_id)
    rows = _rows(query.offset((max(page, 1) - 1) * per_page).limit(per_page + 1))
    return rows[:per_page], len(rows) > per_page


def follow_ups_due(today: date, ahead_days: int = 7, limit: int = 50) -> list[ResponseRow]:
    """Open follow-ups due by `today + ahead_days`, the oldest first (overdue ones lead)."""
    query = (select(Response).where(Response.follow_up_on.is_not(None), Response.follow_up_done_at.is_(None),
                                    Response.follow_up_on <= today + timedelta(days=ahead_days))
             .order_by(Response.follow_up_on, Response.id).limit(limit))
    return _rows(query)
