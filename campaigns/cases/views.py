"""Case pages: list and filter, read, create, edit; timeline events and photos."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from campaigns.cases import bp, citations, disclosure, services
from campaigns.cases.models import EVENT_KINDS, EVENT_LABELS, STATUS_LABELS, STATUSES
from core.errors import DomainError, NotFound, ValidationError
from core.limits import accepts_upload
from core.security import access


@bp.get("/")
@access("viewer")
def index():
    status = request.args.get("status") or None
    if status not in STATUSES:
        status = None
    page = request.args.get("page", 1, type=int) or 1
    cases, total = services.list_cases(status, request.args.get("q"), page)
    return render_template("cases/list.html", cases=cases, total=total, status=status, page=page,
                           page_size=services.PAGE_SIZE, statuses=STATUS_LABELS, q=request.args.get("q", ""))


@bp.route("/new", methods=["GET", "POST"])
@access("campaigner")
def new():
    errors = {}
    if request.method == "POST":
        try:
            case = services.create_case(request.form.to_dict())
        except ValidationError as exc:
            errors = exc.fields
        else:
            flash("Case created.", "success")
            return redirect(url_for("cases.show", case_id=case.id))
    return render_template("cases/form.html", case=None, form=request.form, errors=errors,
                           statuses=STATUS_LABELS), 422 if errors else 200


def _case_or_404(case_id: int):
    try:
        return services.get_case(case_id)
    except NotFound:
        abort(404)


@bp.get("/<int:case_id>")
@access("viewer")
def show(case_id: int):
    case = _case_or_404(case_id)
    disclosure.open_cases([case], current_user, "case page")
    update = services.pending_update(case)
    return render_template("cases/show.html", case=case, statuses=STATUS_LABELS, event_labels=EVENT_LABELS,
                           event_kinds=EVENT_KINDS, update=update,
                           informed=citations.informed_contact_ids(case.id) if update else [],
                           appeals=citations.appeals_citing(case.id),
                           mailings=[_mailing_row(m) for m in citations.mailings_citing(case.id)],
                           compose_url=_link("mailings.compose", case_id=case.id))


def _link(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _mailing_row(mailing) -> tuple[str, str | None, str]:
    label = getattr(mailing, "name", None) or f"Mailing {mailing.id}"
    return label, _link("mailings.show", mailing_id=mailing.id), str(getattr(mailing, "status", ""))


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@access("campaigner")
def edit(case_id: int):
    case = _case_or_404(case_id)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            services.update_case(case_id, request.form.to_dict())
        except ValidationError as exc:
            errors = exc.fields
        else:
            flash("Case saved.", "success")
            return redirect(url_for("cases.show", case_id=case_id))
    else:
        form = {"name": case.name, "alias": case.alias, "public": case.public, "status": case.status,
                "charges": case.charges, "arrest_date": case.arrest_date or "",
                "place_of_detention": case.place_of_detention, "summary": case.summary, "notes": case.notes}
    return render_template("cases/form.html", case=case, form=form, errors=errors,
                           statuses=STATUS_LABELS), 422 if errors else 200


@bp.post("/<int:case_id>/events")
@access("campaigner")
def add_event(case_id: int):
    _case_or_404(case_id)
    try:
        event = services.add_event(case_id, request.form.to_dict())
    except ValidationError as exc:
        for field, reason in exc.fields.items():
            flash(f"Event not added: {field.replace('_', ' ')} {reason}.", "error")
    else:
        flash(f"{EVENT_LABELS[event.kind]} of {event.happened_on.isoformat()} added to the timeline.", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#timeline")


@bp.post("/<int:case_id>/events/<int:event_id>/delete")
@access("campaigner")
def delete_event(case_id: int, event_id: int):
    try:
        services.delete_event(case_id, event_id)
    except NotFound:
        abort(404)
    flash("Event removed.", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#timeline")


@bp.post("/<int:case_id>/photos")
@access("campaigner")
@accepts_upload
def add_photo(case_id: int):
    _case_or_404(case_id)
    upload = request.files.get("photo")
    try:
        services.add_photo(case_id, upload.read() if upload else b"", request.form.get("caption", ""))
    except DomainError as exc:
        flash(f"Photo not added: {exc.message}.", "error")
    else:
        flash("Photo added; its metadata (EXIF, GPS) was removed.", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#photos")


@bp.get("/<int:case_id>/photos/<int:photo_id>")
@access("viewer")
def photo(case_id: int, photo_id: int):
    try:
        item = services.get_photo(case_id, photo_id)
    except NotFound:
        abort(404)
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.post("/<int:case_id>/photos/<int:photo_id>/delete")
@access("campaigner")
def delete_photo(case_id: int, photo_id: int):
    try:
        services.delete_photo(case_id, photo_id)
    except NotFound:
        abort(404)
    flash("Photo removed.", "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#photos")
