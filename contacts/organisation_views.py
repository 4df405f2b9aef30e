"""Organisation pages: every embassy, delegation, ministry or outlet, and the people in it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from contacts import bp, services
from contacts.forms import OrganisationForm
from contacts.models import KIND_LABELS, Contact, Organisation
from core.db import db
from core.errors import ValidationError
from core.security import access


@bp.get("/organisations/")
@access("viewer")
def organisations():
    return render_template("contacts/organisations.html", rows=services.organisations_with_counts(),
                           kinds=KIND_LABELS)


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@access("viewer")
def organisation(organisation_id: int):
    org = db.session.get(Organisation, organisation_id) or abort(404)
    form = OrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            services.save_organisation(organisation_id, form.name.data or "", form.kind.data or "",
                                       form.country.data or "", form.city.data or "")
        except ValidationError as exc:
            for name, reason in exc.fields.items():
                getattr(form, name).errors = [reason]
        else:
            flash("Organisation saved.", "success")
            return redirect(url_for("contacts.organisation", organisation_id=organisation_id))
    people = db.session.execute(select(Contact).where(Contact.organisation_id == organisation_id)
                                .order_by(Contact.name).limit(500)).scalars().all()
    return render_template("contacts/organisation.html", org=org, form=form, people=people, kinds=KIND_LABELS)
