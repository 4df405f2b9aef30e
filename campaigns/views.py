"""The dashboard: what is in flight and what needs a person today."""
from __future__ import annotations

from datetime import date

from flask import render_template

from campaigns import bp
from core.security import access


@bp.get("/")
@access("viewer")
def dashboard():
    from campaigns.dashboard import at_a_glance
    from campaigns.responses.services import follow_ups_due

    today = date.today()
    return render_template("campaigns/dashboard.html", glance=at_a_glance(today), due=follow_ups_due(today),
                           today=today)
