"""Mailing pages: list, compose, review (then send), progress, and the one-click follow-ups."""
from __future__ import annotations

from datetime import datetime

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from campaigns.mailings import bp, services
from campaigns.mailings.choices import choices, counts_for, describe_audience
from core.errors import DomainError, ValidationError
from core.localtime import from_local
from core.security import access


@bp.get("/")
@access("viewer")
def index():
    from campaigns.mailings.unknowns import held_single_count

    mailings = services.list_mailings()
    return render_template("mailings/index.html", mailings=mailings, counts=counts_for([m.id for m in mailings]),
                           held_single=held_single_count())


@bp.get("/unknown")
@access("viewer")
def single_unknown():
    """Single messages (reminders, drive letters, confirmations...) whose fate is unknown."""
    from campaigns.mailings.unknowns import held

    return render_template("mailings/unknown.html", held=held(None))


@bp.post("/unknown")
@access("campaigner")
def decide_single_unknown():
    from campaigns.mailings.unknowns import decide_unknown

    decision = request.form.get("decision", "")
    if decision == "resend" and request.form.get("confirm") != "yes":
        flash("Tick the box to confirm that these messages may reach someone twice.", "error")
        return redirect(url_for("mailings.single_unknown"))
    try:
        decide_unknown(None, decision)
        flash("Queued to be sent again." if decision == "resend" else "Recorded as sent.", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("mailings.single_unknown"))


def _form_input(form, zone: str | None) -> tuple[services.MailingInput, datetime | None]:
    """The compose form as plain values; `send_at` is typed in the user's time zone `zone`."""
    def number(name):
        value = (form.get(name) or "").strip()
        if value and not value.isdigit():
            raise ValidationError(name, "choose one from the list")
        return int(value) if value else None

    tags = tuple(t.strip() for t in (form.get("tags") or "").replace(";", ",").split(",") if t.strip())
    when = (form.get("send_at") or "").strip()
    try:
        send_at = from_local(datetime.fromisoformat(when), zone) if when else None
    except ValueError:
        raise ValidationError("send_at", "is not a date and time") from None
    if "sender_id" in form and not form.get("sender_id") and not (form.get("from_email") or "").strip():
        raise ValidationError("from_email", "type the sender's address, or choose a sender above")
    rate = number("rate_per_minute")
    audience = {"tags": list(tags), "segment_id": number("segment_id")}
    if number("informed_of_case"):
        audience["informed_of_case"] = number("informed_of_case")
    return services.MailingInput(
        name=form.get("name", ""), template_id=number("template_id"),
        case_ids=tuple(int(c) for c in form.getlist("case_ids") if c.isdigit()), campaign_id=number("campaign_id"),
        audience=audience, sender_id=number("sender_id"),
        from_name=form.get("from_name", ""), from_email=form.get("from_email", ""),
        reply_to=form.get("reply_to") or None, tracking=form.get("tracking") == "on", rate_per_minute=rate), send_at


@bp.route("/new", methods=["GET", "POST"])
@access("campaigner")
def compose():
    errors = {}
    if request.method == "POST":
        try:
            data, send_at = _form_input(request.form, current_user.time_zone)
            mailing = services.create_mailing(data, current_user.id)
            if send_at:
                mailing.send_at = send_at
                from core.db import db

                db.session.commit()
            return redirect(url_for("mailings.show", mailing_id=mailing.id))
        except ValidationError as exc:
            errors = exc.fields
        form = request.form
    else:
        form = _case_update_form(request.args.get("case_id", ""))
        _choose_sender(form, request.args.get("campaign_id", ""))
    informed = _informed_choice(form.get("informed_of_case", ""))
    return (render_template("mailings/compose.html", errors=errors, form=form, informed=informed, **choices()),
            422 if errors else 200)


def _choose_sender(form: MultiDict, campaign_id: str) -> None:
    """The identity the form starts with: the campaign's default, else the first one."""
    from campaigns.senders.services import default_sender_for

    if campaign_id.isdigit():
        form["campaign_id"] = campaign_id
    identity = default_sender_for(int(campaign_id) if campaign_id.isdigit() else None)
    if identity is not None:
        form["sender_id"] = str(identity.id)


def _case_update_form(case_id: str) -> MultiDict:
    """Compose opened from a case's "send a case update": the case, its latest news, an appeal citing it,
    and those already informed of the case as the audience, all changeable before review."""
    from campaigns.cases import services as cases
    from campaigns.cases.citations import appeals_citing
    from campaigns.cases.models import EVENT_LABELS

    case = cases.get_case(int(case_id)) if case_id.isdigit() else None
    if case is None:
        return MultiDict()
    form = MultiDict([("case_ids", str(case.id)), ("informed_of_case", str(case.id))])
    update = cases.pending_update(case)
    news = f" ({EVENT_LABELS[update.kind].lower()}, {update.happened_on.isoformat()})" if update else ""
    form["name"] = f"Case update: {case.name}{news}"[:200]
    appeals = appeals_citing(case.id)
    if appeals:
        form["template_id"] = str(appeals[0].id)
    return form


def _informed_choice(case_id: str) -> tuple[int, str, int] | None:
    """(case id, case name, how many contacts were informed of it) for the audience option, if one is chosen."""
    if not case_id.isdigit():
        return None
    from campaigns.cases import services as cases
    from campaigns.cases.citations import informed_contact_ids

    try:
        case = cases.get_case(int(case_id))
    except DomainError:
        return None
    return case.id, case.name, len(informed_contact_ids(case.id))


@bp.get("/<int:mailing_id>")
@access("viewer")
def show(mailing_id: int):
    mailing = services.get_mailing(mailing_id)
    if mailing.status == "draft":
        from campaigns.mailings.review import review_mailing

        from flask import current_app

        from campaigns.senders.addresses import reply_route

        review = review_mailing(mailing_id, reader=current_user)
        return render_template("mailings/review.html", mailing=mailing, review=review,
                               reply=reply_route(mailing, current_app.config),
                               audience=describe_audience(mailing.audience))
    from campaigns.mailings.unknowns import held

    return render_template("mailings/progress.html", mailing=mailing, p=services.progress(mailing_id),
                           held=held(mailing_id))


@bp.get("/<int:mailing_id>/progress")
@access("viewer")
def progress(mailing_id: int):
    """The progress bar's JSON for the page's own poll (the session's, not a Bearer token's)."""
    return jsonify(services.progress(mailing_id))


def _act(mailing_id: int, fn, done: str):
    try:
        fn()
        flash(done, "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("mailings.show", mailing_id=mailing_id))


@bp.post("/<int:mailing_id>/send")
@access("campaigner")
def send(mailing_id: int):
    """Only from the review page's form, which says how many people it mails (its `confirm` field)."""
    mailing = services.get_mailing(mailing_id)
    if not request.form.get("confirm"):
        flash("Nothing was sent: confirm on this page, which says who gets the mailing.", "error")
        return redirect(url_for("mailings.show", mailing_id=mailing_id))
    return _act(mailing_id, lambda: services.send_mailing(mailing_id, mailing.send_at),
                "Scheduled." if mailing.send_at else "Sending started.")


@bp.post("/<int:mailing_id>/test")
@access("campaigner")
def test(mailing_id: int):
    return _act(mailing_id, lambda: services.test_send(mailing_id, current_user.email, current_user),
                f"A test copy went to {current_user.email}.")


@bp.post("/<int:mailing_id>/<any(pause, resume, cancel):action>")
@access("campaigner")
def act(mailing_id: int, action: str):
    fn = {"pause": services.pause_mailing, "resume": services.resume_mailing, "cancel": services.cancel_mailing}[action]
    return _act(mailing_id, lambda: fn(mailing_id), {"pause": "Paused.", "resume": "Resumed.",
                                                      "cancel": "Cancelled."}[action])


@bp.post("/<int:mailing_id>/discard")
@access("campaigner")
def discard(mailing_id: int):
    try:
        services.discard_draft(mailing_id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("mailings.show", mailing_id=mailing_id))
    flash("The draft was discarded.", "success")
    return redirect(url_for("mailings.index"))


@bp.post("/<int:mailing_id>/unknown")
@access("campaigner")
def decide_unknown(mailing_id: int):
    from campaigns.mailings.unknowns import decide_unknown

    decision = request.form.get("decision", "")
    if decision == "resend" and request.form.get("confirm") != "yes":
        flash("Tick the box to confirm that these messages may reach someone twice.", "error")
        return redirect(url_for("mailings.show", mailing_id=mailing_id))
    return _act(mailing_id, lambda: decide_unknown(mailing_id, decision),
                "Queued to be sent again." if decision == "resend" else "Recorded as sent.")


@bp.post("/<int:mailing_id>/<any(failed_of, added_since):source>")
@access("campaigner")
def follow_up(mailing_id: int, source: str):
    try:
        child = services.follow_up(mailing_id, source, current_user.id)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("mailings.show", mailing_id=mailing_id))
    flash("A new draft: check who gets it, then send.", "success")
    return redirect(url_for("mailings.show", mailing_id=child.id))
