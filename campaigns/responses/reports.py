"""Pages for the figures: the responses dashboard, a mailing's funnel and chasing, a case's evidence trail."""
from __future__ import annotations

from datetime import date

from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.utils import secure_filename

from campaigns.cases.models import Case
from campaigns.mailings.models import Mailing
from campaigns.responses import bp, charts, chasing, evidence, figures
from campaigns.responses.exporting import trail_csv
from campaigns.responses.models import ResponseAttachment
from campaigns.responses.views import case_choices, parse_id
from core.audit import record
from core.db import db, utcnow
from core.errors import DomainError, ValidationError
from core.security import access

FUNNEL_STEPS = (("sent", "Sent"), ("delivered", "Delivered"), ("opened", "Opened"), ("clicked", "Clicked"),
                ("replied", "Replied"), ("bounced", "Bounced"))


def funnel_chart(mailing: Mailing, numbers: dict[str, int]):
    return charts.funnel(f"Funnel of {mailing.name}", [(label, numbers[key]) for key, label in FUNNEL_STEPS])


@bp.get("/dashboard")
@access("viewer")
def dashboard():
    now = utcnow()
    months = figures.month_labels(now)
    by = request.args.get("by", "organisation")
    by = by if by in ("organisation", "country") else "organisation"
    groups = figures.response_groups(by, now)[:40]
    rate_chart = charts.bar_chart(f"Response rate by {by}", [
        (g.label, g.rate * 100, f"{g.rate:.0%} of {g.appeals}") for g in groups[:15]])
    mailings = [(m, figures.funnel(m.id)) for m in figures.recent_mailings(8)]
    return render_template("responses/dashboard.html", groups=groups, by=by, months=months, rate_chart=rate_chart,
                           spark=charts.sparkline, mailings=mailings, funnel_chart=funnel_chart)


@bp.get("/mailings/<int:mailing_id>")
@access("viewer")
def mailing(mailing_id: int):
    found = db.session.get(Mailing, mailing_id)
    if found is None:
        abort(404)
    numbers = figures.funnel(mailing_id)
    return render_template("responses/mailing.html", mailing=found, numbers=numbers, steps=FUNNEL_STEPS,
                           chart=funnel_chart(found, numbers), rule=chasing.rule_for(mailing_id),
                           proposals=chasing.proposals(mailing_id, date.today()),
                           chases=chasing.chases_for(mailing_id))


@bp.post("/mailings/<int:mailing_id>/rule")
@access("viewer", write="campaigner")
def chase_rule(mailing_id: int):
    form = request.form
    try:
        days = parse_id(form.get("working_days"), "working_days") or 0
        chasing.set_rule(mailing_id, days, form.get("body", ""), form.get("subject_prefix", "Reminder: "))
        flash("Chasing rule saved.", "success")
    except ValidationError as exc:
        flash(exc.message, "error")
    except DomainError:
        abort(404)
    return redirect(url_for("responses.mailing", mailing_id=mailing_id))


@bp.route("/messages/<int:message_id>/chase", methods=["GET", "POST"])
@access("campaigner")
def chase(message_id: int):
    """GET: who the reminder goes to, and the button; POST (with `confirm`): send it."""
    mailing_id = request.values.get("mailing_id", type=int)
    if request.method == "GET" or not request.form.get("confirm"):
        if request.method == "POST":
            flash("Nothing was sent: confirm on this page, which says who gets the reminder.", "error")
        return _confirm_chase(message_id, mailing_id)
    try:
        sent = chasing.chase(message_id, current_user.id)
        record("responses.chase", f"message:{message_id}", {"chase_id": sent.id, "state": sent.state})
        db.session.commit()
        flash(*chasing.outcome_message(sent))
    except DomainError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    if mailing_id:
        return redirect(url_for("responses.mailing", mailing_id=mailing_id))
    return redirect(url_for("responses.message", message_id=message_id))


def _confirm_chase(message_id: int, mailing_id: int | None):
    from sqlalchemy import select

    from campaigns.mailings.models import Message
    from contacts.models import Contact

    message = db.session.get(Message, message_id)
    if message is None:
        abort(404)
    name = db.session.execute(select(Contact.name).where(Contact.id == message.contact_id)).scalar() \
        if message.contact_id else None
    return render_template("responses/chase.html", message=message, name=name, mailing_id=mailing_id,
                           rule=chasing.rule_for(message.mailing_id))


def case_title(case_id: int) -> tuple[str, bool]:
    """The case's name as campaigners see it, and whether it may be made public."""
    case = db.session.get(Case, case_id)
    if case is None:
        return f"Case {case_id}", False
    return case.name, bool(case.public)


@bp.get("/evidence")
@access("viewer")
def evidence_index():
    return render_template("responses/evidence_index.html", cases=case_choices())


@bp.get("/cases/<int:case_id>/evidence")
@access("viewer")
def case_evidence(case_id: int):
    trail = evidence.trail(case_id)
    title, public = case_title(case_id)
    if request.args.get("print") or not public:  # printing is an export; a confidential case is audited
        record("evidence.print" if request.args.get("print") else "evidence.view", f"case:{case_id}",
               {"records": len(trail.rows)})
        db.session.commit()
    return render_template("responses/evidence.html", trail=trail, case_id=case_id, title=title,
                           printing=bool(request.args.get("print")), generated=utcnow())


@bp.get("/cases/<int:case_id>/evidence.csv")
@access("viewer")
def case_evidence_csv(case_id: int):
    trail = evidence.trail(case_id)
    record("evidence.export", f"case:{case_id}", {"format": "csv", "records": len(trail.rows), "head": trail.head})
    db.session.commit()
    return HttpResponse(trail_csv(trail), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="evidence-case-{case_id}.csv"'})


@bp.get("/attachments/<int:attachment_id>")
@access("viewer")
def attachment(attachment_id: int):
    found = db.session.get(ResponseAttachment, attachment_id)
    if found is None:
        abort(404)
    record("responses.attachment", f"attachment:{attachment_id}", {"response_id": found.response_id})
    db.session.commit()
    # Never rendered inline: whatever a sender attached is only ever downloaded.
    return HttpResponse(found.data, mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=\"{secure_filename(found.filename) or 'attachment.bin'}\"",
        "X-Content-Type-Options": "nosniff"})
