"""The dashboard: what needs attention today."""
from __future__ import annotations

from flask import render_template

from campaigns import bp
from core.security import access


@bp.get("/")
@access("viewer")
def dashboard():
    return render_template("campaigns/dashboard.html")
