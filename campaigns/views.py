"""The dashboard: what needs attention today."""
from __future__ import annotations

from flask import render_template

from campaigns import bp
from core.security import access


@bp.get("/")
@access("viewer")
def dashboard():
    from datetime import date

    from campaigns.responses.services import follow_ups_due

    return render_template("campaigns/dashboard.html", due=follow_ups_due(date.today()), today=date.today())
