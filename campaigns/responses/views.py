"""Pages for responses: the list, one response (classify, follow up), logging one, a message's history."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from campaigns.cases.models import Case
from campaigns.mailings.models import Mailing, Message
from campaigns.responses import bp
from campaigns.responses.classify import LABELS as CLASS_LABELS
from campaigns.responses.ingest import events_for
from campaigns.responses.models import KIND_LABELS, LOGGED_KINDS, OUTCOMES, Chase, ResponseAttachment
from campaigns.responses.services import (LoggedResponse, complete_follow_up, follow_ups_due, get_response,
                                          list_responses, log_response, review_response)
from contacts.models import Contact
from core.db import db
from core.errors import DomainError, ValidationError
from core.security import access


def parse_date(value: str | None, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field, "is not a date (YYYY-MM-DD)") from None


def parse_id(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(field, "must be a number")
    return int(value)


def case_choices() -> list[tuple[int, str]]:
    return [tuple(r) for r in db.session.execute(select(Case.id, Case.name).order_by(Case.name).limit(1000))]


def contact_choices() -> list[tuple[int, str]]:
    return [(i, n or e or f"#{i}") for i, n, e in db.session.execute(
        select(Contact.id, Contact.name, Contact.email).order_by(Contact.name).limit(2000))]


@bp.get("/")
@access("viewer")
def index():
    kind = request.args.get("kind", "")
    classification = request.args.get("classification", "")
    page = request.args.get("page", 1, type=int) or 1
    rows, more = list_responses(kind=kind, classification=classification, page=page)
    return render_template("responses/index.html", rows=rows, more=more, page=page, kind=kind,
                           classification=classification, kinds=KIND_LABELS, classes=CLASS_LABELS,
                           due=follow_ups_due(date.today()), today=date.today())


@bp.route("/new", methods=["GET", "POST"])
@access("campaigner")
def new():
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            data = LoggedResponse(
                kind=form.get("kind", ""), occurred_on=parse_date(form.get("occurred_on"), "occurred_on"),
                contact_id=parse_id(form.get("contact_id"), "contact_id"),
                case_id=parse_id(form.get("case_id"), "case_id"),
                message_id=parse_id(form.get("message_id"), "message_id"),
                summary=form.get("summary", ""), outcome=form.get("outcome") or None,
                follow_up_on=parse_date(form.get("follow_up_on"), "follow_up_on"))
            response = log_response(data, current_user.id)
            flash(f"{KIND_LABELS[response.kind]} recorded.", "success")
            return redirect(url_for("responses.show", response_id=response.id))
        except ValidationError as exc:
            errors = exc.fields
    values = form if request.method == "POST" else request.args
    return render_template("responses/new.html", errors=errors, values=values, kinds=LOGGED_KINDS,
                           kind_labels=KIND_LABELS, outcomes=OUTCOMES, contacts=contact_choices(),
                           cases=case_choices(), today=date.today()), 422 if errors else 200


@bp.get("/<int:response_id>")
@access("viewer")
def show(response_id: int):
    try:
        response = get_response(response_id)
    except DomainError:
        abort(404)
    message = db.session.get(Message, response.message_id) if response.message_id else None
    mailing = db.session.get(Mailing, message.mailing_id) if message else None
    contact = db.session.get(Contact, response.contact_id) if response.contact_id else None
    attachments = db.session.execute(select(ResponseAttachment.id, ResponseAttachment.filename, ResponseAttachment.size)
                                     .where(ResponseAttachment.response_id == response.id)).all()
    return render_template("responses/show.html", response=response, message=message, mailing=mailing,
                           contact=contact, attachments=attachments, kinds=KIND_LABELS, classes=CLASS_LABELS,
                           outcomes=OUTCOMES, errors={})


@bp.post("/<int:response_id>/review")
@access("viewer", write="campaigner")
def review(response_id: int):
    form = request.form
    try:
        review_response(response_id, form.get("classification") or None, form.get("outcome") or None,
                        parse_date(form.get("follow_up_on"), "follow_up_on"))
        flash("Saved.", "success")
    except ValidationError as exc:
        flash(exc.message, "error")
    except DomainError:
        abort(404)
    return redirect(url_for("responses.show", response_id=response_id))


@bp.post("/<int:response_id>/follow-up-done")
@access("viewer", write="campaigner")
def follow_up_done(response_id: int):
    try:
        complete_follow_up(response_id)
    except DomainError:
        abort(404)
    flash("Follow-up marked done.", "success")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/") and not
                    request.form.get("next", "").startswith("//") else url_for("responses.index"))


@bp.get("/messages/<int:message_id>")
@access("viewer")
def message(message_id: int):
    found = db.session.get(Message, message_id)
    if found is None:
        abort(404)
    rows, _ = list_responses(message_id=message_id, per_page=200)
    chase = db.session.execute(select(Chase).where(Chase.message_id == message_id)).scalar()
    return render_template("responses/message.html", message=found, events=events_for(message_id),
                           responses=rows, chase=chase, mailing=db.session.get(Mailing, found.mailing_id),
                           contact=db.session.get(Contact, found.contact_id) if found.contact_id else None,
                           kinds=KIND_LABELS)


from campaigns.responses import reports  # noqa: E402,F401  (dashboards, chasing, evidence pages)
