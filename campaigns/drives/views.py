"""Campaigners' pages: list, create and edit drives, moderate signatures, export, deliver."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from campaigns.drives import bp, cases, drives, signatures
from campaigns.drives.models import DELIVERY_MODES, LANGUAGES
from core.audit import record
from core.db import db
from core.errors import NotFound, ValidationError
from core.security import access, fresh_login_required

PREFIX = "/campaign-drives"
# The sign form's choices as campaigners read them, least identifying first.
DISPLAY_CHOICES = (("anonymous", "Anonymously (“a supporter from Almaty”)"), ("initial", "First name and initial"),
                   ("full", "Full name"))


def _drive(drive_id: int):
    try:
        return drives.get_drive(drive_id)
    except NotFound:
        abort(404)


def _form_data(form) -> dict:
    return {
        "slug": form.get("slug", ""), "title": form.get("title", ""), "goal": form.get("goal", ""),
        "language": form.get("default_language", "en"), "deadline": form.get("deadline", ""),
        "status": form.get("status", "open"), "delivery": form.get("delivery", "compiled"),
        "digest_days": form.get("digest_days", "7"),
        "letters": {lang: {"title": form.get(f"title_{lang}", ""), "body": form.get(f"letter_{lang}", "")}
                    for lang in LANGUAGES},
        "audience": {"tags": form.get("tags", ""), "segment_id": form.get("segment_id", ""),
                     "emails": form.get("target_emails", "")},
        "case_ids": form.getlist("case_ids"), "sender_id": form.get("sender_id", ""),
        "default_display": form.get("default_display", "anonymous"),
    }


def _values_of(drive) -> dict:
    values = {"slug": drive.slug, "title": drive.title, "goal": drive.goal, "default_language": drive.default_language,
              "deadline": drive.deadline.isoformat() if drive.deadline else "", "status": drive.status,
              "delivery": drive.delivery, "digest_days": drive.digest_days, "tags": ", ".join(drive.audience_tags),
              "segment_id": drive.segment_id or "", "target_emails": "\n".join(drives.target_emails(drive.id)),
              "case_ids": [str(c) for c in drives.case_ids(drive.id)], "sender_id": drive.sender_id or "",
              "default_display": drive.default_display}
    for letter in drive.letters:
        values[f"title_{letter.language}"], values[f"letter_{letter.language}"] = letter.title, letter.body
    return values


def _render_form(values: dict, errors: dict, drive=None, status: int = 200):
    from campaigns.senders.services import list_senders
    from contacts.segments import list_segments

    return render_template("drives/form.html", values=values, errors=errors, drive=drive, languages=LANGUAGES,
                           displays=DISPLAY_CHOICES,
                           modes=DELIVERY_MODES, cases=cases.choices(), senders=list_senders(),
                           segments=[s for s, _ in list_segments()]), status


@bp.get(f"{PREFIX}/")
@access("viewer")
def index():
    return render_template("drives/index.html", drives=drives.list_drives())


@bp.route(f"{PREFIX}/new", methods=["GET", "POST"])
@access("campaigner")
def create():
    if request.method == "GET":
        return _render_form({"goal": 1000, "default_language": "en", "status": "open", "delivery": "compiled",
                             "digest_days": 7, "case_ids": []}, {})
    return _save(None)


@bp.route(f"{PREFIX}/<int:drive_id>/edit", methods=["GET", "POST"])
@access("campaigner")
def edit(drive_id: int):
    drive = _drive(drive_id)
    if request.method == "GET":
        return _render_form(_values_of(drive), {}, drive)
    return _save(drive)


def _save(drive):
    try:
        saved = drives.save_drive(drives.parse_drive(_form_data(request.form)), drive.id if drive else None)
    except ValidationError as exc:
        values = request.form.to_dict()
        values["case_ids"] = request.form.getlist("case_ids")
        return _render_form(values, exc.fields, drive, 422)
    flash("Drive saved.", "success")
    return redirect(url_for("drives.detail", drive_id=saved.id))


@bp.get(f"{PREFIX}/<int:drive_id>")
@access("viewer")
def detail(drive_id: int):
    from sqlalchemy import select

    from campaigns.drives.models import DriveDelivery
    from core.db import db

    from sqlalchemy import func

    drive = _drive(drive_id)
    deliveries = db.session.execute(select(DriveDelivery).where(DriveDelivery.drive_id == drive.id)
                                    .order_by(DriveDelivery.id.desc()).limit(50)).scalars().all()
    copies = db.session.execute(select(func.count()).select_from(DriveDelivery).where(
        DriveDelivery.drive_id == drive.id, DriveDelivery.kind == "mailto")).scalar_one()
    return render_template("drives/detail.html", drive=drive, counts=signatures.state_counts(drive.id),
                           targets=drives.targets(drive), deliveries=deliveries, copies=copies)


@bp.get(f"{PREFIX}/<int:drive_id>/signatures")
@access("campaigner")
def signature_list(drive_id: int):
    drive = _drive(drive_id)
    state = request.args.get("state", "held")
    state = state if state in ("held", "visible", "hidden", "all") else "held"
    page = max(1, request.args.get("page", 1, type=int))
    rows, more = signatures.signature_page(drive.id, None if state == "all" else state, page)
    return render_template("drives/signatures.html", drive=drive, rows=rows, state=state, page=page, more=more,
                           counts=signatures.state_counts(drive.id))


@bp.post(f"{PREFIX}/<int:drive_id>/signatures")
@access("campaigner")
def moderate(drive_id: int):
    drive = _drive(drive_id)
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    action = request.form.get("action", "")
    if action not in ("hide", "show") or not ids:
        flash("Choose signatures and an action.", "error")
    else:
        changed = signatures.moderate(drive.id, ids, action)
        flash(f"{changed} signature(s) {'hidden' if action == 'hide' else 'shown'}.", "success")
    return redirect(url_for("drives.signature_list", drive_id=drive.id, state=request.form.get("state", "held")))


@bp.get(f"{PREFIX}/<int:drive_id>/signatures.csv")
@access("campaigner")
@fresh_login_required()
def export(drive_id: int):
    drive = _drive(drive_id)
    body = "\ufeff" + signatures.export_csv(drive.id)
    record("drives.signatures_export", f"drive:{drive.id}", {"slug": drive.slug})
    db.session.commit()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{drive.slug}-signatures.csv"'})


@bp.route(f"{PREFIX}/<int:drive_id>/deliver", methods=["GET", "POST"])
@access("campaigner")
def deliver(drive_id: int):
    """GET: who this would mail, and the button; POST (with `confirm`): start the delivery."""
    from campaigns.drives.identity import drive_sender
    from campaigns.drives.preview import due_targets

    drive = _drive(drive_id)
    if request.method == "GET" and drive.delivery == "compiled":
        return render_template("drives/deliver.html", drive=drive, due=due_targets(drive),
                               sender=drive_sender(drive))
    if drive.delivery != "compiled":
        flash("This drive is delivered from supporters' own mail.", "error")
    elif not request.form.get("confirm"):
        flash("Nothing was sent: confirm on this page, which says who gets the letter.", "error")
        return redirect(url_for("drives.deliver", drive_id=drive.id))
    else:
        from campaigns.drives.jobs import start_delivery

        start_delivery(drive.id)
        flash("Delivery started: each target receives the letter with the signatures it has not had yet.",
              "success")
    return redirect(url_for("drives.detail", drive_id=drive.id))
