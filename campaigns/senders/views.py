"""Sender identity pages: list (viewers read), create, edit and delete (campaigners and admins)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from campaigns.senders import bp, services
from core.errors import Conflict, NotFound, ValidationError
from core.security import access

FIELDS = ("label", "from_name", "from_email", "reply_to")


def _sender_or_404(sender_id: int):
    try:
        return services.get_sender(sender_id)
    except NotFound:
        abort(404)


@bp.get("/")
@access("viewer")
def index():
    return render_template("senders/list.html", senders=services.list_senders())


@bp.route("/new", methods=["GET", "POST"])
@access("campaigner")
def create():
    return _form(None)


@bp.route("/<int:sender_id>/edit", methods=["GET", "POST"])
@access("campaigner")
def edit(sender_id: int):
    return _form(_sender_or_404(sender_id))


def _form(identity):
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        data = {name: form.get(name, "") for name in FIELDS}
        try:
            if identity is None:
                services.create_sender(data)
            else:
                services.update_sender(identity.id, data)
        except (ValidationError, Conflict) as exc:
            errors = exc.fields
        else:
            flash("Sender saved.", "success")
            return redirect(url_for("senders.index"))
    elif identity is not None:
        form = {name: getattr(identity, name) or "" for name in FIELDS}
    return render_template("senders/form.html", identity=identity, form=form, errors=errors), 422 if errors else 200


@bp.post("/<int:sender_id>/delete")
@access("campaigner")
def delete(sender_id: int):
    identity = _sender_or_404(sender_id)
    try:
        services.delete_sender(identity.id)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("senders.edit", sender_id=sender_id))
    flash("Sender deleted.", "success")
    return redirect(url_for("senders.index"))
