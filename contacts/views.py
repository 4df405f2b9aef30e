"""Contact pages: the list with filters and bulk actions, one contact, create, edit, delete, erase."""
from __future__ import annotations

from functools import lru_cache

import pycountry
from flask import Response, abort, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound as HTTPNotFound

from contacts import bp, exporting, privacy, segments, services
from contacts.forms import ContactForm
from contacts.models import KIND_LABELS, STATUSES, Contact, Organisation, Segment, Tag, contact_tags
from core.audit import record
from core.db import db
from core.errors import DomainError, NotFound, ValidationError
from core.security import access, fresh_login_required

PER_PAGE = 50
COUNT_CAP = 10_000
FEW = 500  # a search matching at most this many contacts is read by id


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    return render_template("errors/error.html", error=HTTPNotFound(exc.message)), 404


def current_filters() -> segments.Filters:
    try:
        return segments.filters_from_args(request.args)
    except ValidationError as exc:
        flash(f"Filter ignored: {exc.reason}", "error")
        return segments.Filters()


def list_page(f: segments.Filters, page: int):
    """One page of contacts (with organisation names and tags) and the total count (capped)."""
    cap = max(COUNT_CAP, page * PER_PAGE)
    base = select(Contact, Organisation.name).outerjoin(Organisation)
    if f.q:
        # The matching ids first (at most cap + 1): they give the count, and when they are few the page
        # is read by id. PostgreSQL cannot estimate how many rows a trigram search matches; guessing
        # many, it would walk the whole name index to find a handful of rows in name order.
        ids = list(db.session.execute(segments.apply_filters(select(Contact.id), f).limit(cap + 1)).scalars())
        total = len(ids)
        stmt = base.where(Contact.id.in_(ids)) if total <= FEW else segments.apply_filters(base, f)
    else:
        stmt = segments.apply_filters(base, f)
        total = segments.count_capped(f, cap)
    rows = db.session.execute(stmt.order_by(Contact.name, Contact.id)
                              .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    tags: dict[int, list[str]] = {}
    if rows:
        for contact_id, name in db.session.execute(
                select(contact_tags.c.contact_id, Tag.name).join(Tag)
                .where(contact_tags.c.contact_id.in_([c.id for c, _ in rows])).order_by(Tag.name)):
            tags.setdefault(contact_id, []).append(name)
    return rows, tags, total


COMMON_LANGUAGES = ("en", "ru", "kk", "de", "fr", "es", "it", "pl", "lt", "lv", "et", "uk", "nl", "sv")


@lru_cache(maxsize=1)
def country_codes() -> list[str]:
    """Suggestions for the country filter (from pycountry: no scan of 200,000 contacts per page)."""
    return sorted(c.alpha_2 for c in pycountry.countries)


def choices() -> dict:
    return {
        "kinds": KIND_LABELS, "statuses": STATUSES, "all_tags": services.all_tags(),
        "countries": country_codes(), "languages": COMMON_LANGUAGES,
        "saved_segments": db.session.execute(select(Segment.id, Segment.name).order_by(Segment.name)).all(),
    }


@bp.get("/")
@access("viewer")
def index():
    f = current_filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    try:
        rows, tags, total = list_page(f, page)
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("contacts.index"))
    organisation = db.session.get(Organisation, f.organisation_id) if f.organisation_id else None
    return render_template("contacts/list.html", rows=rows, tags=tags, total=total, page=page, per_page=PER_PAGE,
                           cap=max(COUNT_CAP, page * PER_PAGE),
                           f=f, args=f.as_query_args(), organisation=organisation, **choices())


@bp.get("/count")
@access("viewer")
def live_count():
    """How many contacts the filter in the query string selects (the segment form's live count)."""
    try:
        return jsonify({"count": segments.count(segments.filters_from_args(request.args))})
    except DomainError as exc:
        return jsonify({"count": None, "error": exc.message})  # 200: a half-typed filter is no failure


@bp.get("/export.csv")
@access("viewer")
@fresh_login_required()
def export():
    f = current_filters()
    record("contacts.export", None, {"filters": f.as_query_args(), "count": segments.count(f)})
    db.session.commit()
    return Response(stream_with_context(exporting.csv_chunks(f)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})


@bp.post("/bulk")
@access("campaigner")
def bulk():
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    action, tag = request.form.get("action", ""), request.form.get("tag", "")
    back = request.form.get("next") or url_for("contacts.index")
    if not back.startswith("/contacts/"):
        back = url_for("contacts.index")
    if not ids:
        flash("Select at least one contact first.", "error")
        return redirect(back)
    try:
        if action == "tag":
            flash(f"Tagged {services.tag_contacts(ids, tag)} contacts “{tag}”.", "success")
        elif action == "untag":
            flash(f"Removed “{tag}” from {services.untag_contacts(ids, tag)} contacts.", "success")
        elif action == "delete":
            flash(f"Deleted {services.delete_contacts(ids)} contacts.", "success")
        else:
            flash("Choose an action.", "error")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(back)


def _apply_errors(form: ContactForm, exc: ValidationError) -> None:
    for name, reason in (exc.fields or {exc.field: exc.reason}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors or []) + [reason]
        else:
            flash(f"{name}: {reason}", "error")


@bp.route("/new", methods=["GET", "POST"])
@access("campaigner")
def create():
    form = ContactForm()
    if request.method == "GET":
        form.status.data = "active"
    if form.validate_on_submit():
        try:
            contact = services.save_contact(services.ContactData.from_mapping(form.plain()))
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            flash("Contact created.", "success")
            return redirect(url_for("contacts.show", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=None)


@bp.get("/<int:contact_id>")
@access("viewer")
def show(contact_id: int):
    contact = db.session.get(Contact, contact_id) or abort(404)
    checking = db.session.execute(select(func.count()).select_from(Contact).where(
        Contact.id == contact_id, segments.needs_checking_clause())).scalar_one()
    history = privacy.history_of(contact.id)
    return render_template("contacts/show.html", contact=contact, needs_checking=bool(checking), history=history,
                           kinds=KIND_LABELS)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@access("campaigner")
def edit(contact_id: int):
    contact = db.session.get(Contact, contact_id) or abort(404)
    form = ContactForm()
    if request.method == "GET":
        form.process(data={
            **{name: getattr(contact, name) for name in form._fields if hasattr(Contact, name) and name != "tags"},
            "organisation": contact.organisation.name if contact.organisation else "",
            "tags": ", ".join(contact.tag_names)})
    if form.validate_on_submit():
        try:
            services.save_contact(services.ContactData.from_mapping(form.plain()), contact_id)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("Contact saved.", "success")
            return redirect(url_for("contacts.show", contact_id=contact_id))
    return render_template("contacts/form.html", form=form, contact=contact)


@bp.post("/<int:contact_id>/delete")
@access("campaigner")
def delete(contact_id: int):
    services.delete_contacts([contact_id]) or abort(404)
    flash("Contact deleted.", "success")
    return redirect(url_for("contacts.index"))


@bp.get("/<int:contact_id>/data.json")
@access("campaigner")
def person_data(contact_id: int):
    """Everything held about one person (a subject access request); logged."""
    data = exporting.person_data(contact_id)
    record("contacts.person_export", f"contact:{contact_id}", {})
    db.session.commit()
    response = jsonify(data)
    response.headers["Content-Disposition"] = f'attachment; filename="contact-{contact_id}.json"'
    return response


@bp.post("/<int:contact_id>/erase")
@access("campaigner")
def erase(contact_id: int):
    privacy.erase_contact(contact_id)
    flash("The contact was erased. Only a keyed hash of the address is kept, so it is never mailed again.",
          "success")
    return redirect(url_for("contacts.index"))


from contacts import import_views, organisation_views, segment_views  # noqa: E402,F401
