"""Campaign pages: list, create, read, edit. A campaign groups cases and appeal templates."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for

from campaigns import bp, services
from campaigns.cases.services import all_cases
from campaigns.senders.services import list_senders
from core.errors import Conflict, NotFound, ValidationError
from core.security import access


def _form_data() -> dict:
    data = request.form.to_dict()
    data["case_ids"] = request.form.getlist("case_ids")
    return data


@bp.get("/campaigns/")
@access("viewer")
def campaign_list():
    return render_template("campaigns/list.html", campaigns=services.list_campaigns(), today=date.today())


@bp.route("/campaigns/new", methods=["GET", "POST"])
@access("campaigner")
def campaign_new():
    errors = {}
    if request.method == "POST":
        try:
            campaign = services.create_campaign(_form_data())
        except (ValidationError, Conflict) as exc:
            errors = exc.fields
        else:
            flash("Campaign created.", "success")
            return redirect(url_for("campaigns.campaign_show", campaign_id=campaign.id))
    form = request.form or {}
    chosen = {int(i) for i in request.form.getlist("case_ids")}
    return render_template("campaigns/form.html", campaign=None, form=form, errors=errors, cases=all_cases(),
                           chosen=chosen, senders=list_senders()), 422 if errors else 200


def _campaign_or_404(campaign_id: int):
    try:
        return services.get_campaign(campaign_id)
    except NotFound:
        abort(404)


@bp.get("/campaigns/<int:campaign_id>")
@access("viewer")
def campaign_show(campaign_id: int):
    return render_template("campaigns/show.html", campaign=_campaign_or_404(campaign_id), today=date.today())


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@access("campaigner")
def campaign_edit(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    errors, form = {}, request.form
    chosen = {c.id for c in campaign.cases}
    if request.method == "POST":
        chosen = {int(i) for i in request.form.getlist("case_ids")}
        try:
            services.update_campaign(campaign_id, _form_data())
        except (ValidationError, Conflict) as exc:
            errors = exc.fields
        else:
            flash("Campaign saved.", "success")
            return redirect(url_for("campaigns.campaign_show", campaign_id=campaign_id))
    else:
        form = {"name": campaign.name, "goal": campaign.goal, "starts_on": campaign.starts_on or "",
                "ends_on": campaign.ends_on or "", "default_sender_id": str(campaign.default_sender_id or "")}
    return render_template("campaigns/form.html", campaign=campaign, form=form, errors=errors, cases=all_cases(),
                           chosen=chosen, senders=list_senders()), 422 if errors else 200
