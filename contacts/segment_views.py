"""Saved audiences: a named filter over tags, kind, country, language and status, with a live count."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from contacts import bp, segments
from contacts.models import Segment
from contacts.views import choices
from core.db import db
from core.errors import DomainError, ValidationError
from core.security import access


@bp.get("/segments/")
@access("viewer")
def segment_list():
    return render_template("contacts/segments.html", rows=segments.list_segments())


@bp.route("/segments/new", methods=["GET", "POST"])
@access("campaigner")
def segment_new():
    return _segment_form(None)


@bp.route("/segments/<int:segment_id>", methods=["GET", "POST"])
@access("viewer")
def segment_edit(segment_id: int):
    return _segment_form(segment_id)


def _segment_form(segment_id: int | None):
    segment = db.session.get(Segment, segment_id) if segment_id else None
    if segment_id and segment is None:
        abort(404)
    source = request.form if request.method == "POST" else request.args
    error = None
    try:
        f = segments.filters_from_args(source) if (request.method == "POST" or not segment) \
            else segments.segment_filters(segment)
    except ValidationError as exc:
        f, error = segments.Filters(), exc.message
    name = source.get("name", segment.name if segment else "")
    if request.method == "POST" and error is None:
        try:
            saved = segments.save_segment(name, f, segment_id)
        except DomainError as exc:
            error = exc.message
        else:
            flash(f"Segment “{saved.name}” saved: {segments.count(segments.Filters(segment_id=saved.id))} contacts.",
                  "success")
            return redirect(url_for("contacts.segment_edit", segment_id=saved.id))
    return render_template("contacts/segment_form.html", segment=segment, f=f, name=name, error=error,
                           count=segments.count(f), **choices())


@bp.post("/segments/<int:segment_id>/delete")
@access("campaigner")
def segment_delete(segment_id: int):
    segments.delete_segment(segment_id)
    flash("Segment deleted.", "success")
    return redirect(url_for("contacts.segment_list"))
