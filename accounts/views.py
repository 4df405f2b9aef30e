"""Sign-in and sign-out pages."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from accounts import bp, services
from accounts.forms import LoginForm
from core.security import access

WRONG = "Wrong email or password."


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("campaigns.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("campaigns.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
@access("public")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(WRONG, "error")
    elif request.method == "POST":
        flash(WRONG if not form.errors.get("csrf_token") else "The form expired; please try again.", "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@access("viewer", write="viewer")
def logout():
    services.end_sessions(current_user._get_current_object())
    logout_user()
    flash("Signed out.", "info")
    return redirect(url_for("accounts.login"))
