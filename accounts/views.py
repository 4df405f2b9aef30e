"""Sign-in (password, then the second factor or its enrolment), confirmation, sign-out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from accounts import bp, invitations, services, sessions, signin, two_factor
from accounts.forms import CodeForm, LoginForm, ReauthForm, SetPasswordForm
from core import audit
from core.db import db
from core.errors import DomainError, NotFound, ValidationError
from core.security import access, stamp_fresh

WRONG = "Wrong email or password."
WRONG_CODE = "That code is not right, or it has been used already."


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("campaigns.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("campaigns.dashboard")
    return target


def _wait_message(seconds: int) -> str:
    when = f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return f"Too many sign-in attempts. Please wait {when} and try again."


def _signed_in(user, method: str, next_url: str | None):
    sessions.begin(user, method)
    return sessions.remember_device(redirect(_safe_next(next_url)), user.email)


@bp.route("/login", methods=["GET", "POST"])
@access("public")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("campaigns.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data
        outcome = signin.check_password(email, form.password.data, request.remote_addr,
                                        sessions.known_device(email))
        next_url = request.args.get("next")
        if outcome.throttled:
            flash(_wait_message(outcome.wait_seconds), "error")
            return render_template("accounts/login.html", form=form), 429
        if outcome.user is not None:
            user = outcome.user
            if user.two_factor_enabled:
                sessions.set_pending(user, "code", next_url)
                return redirect(url_for("accounts.login_code"))
            if two_factor.required_for(user):
                sessions.set_pending(user, "enrol", next_url)
                return redirect(url_for("accounts.login_enrol"))
            return _signed_in(user, "password", next_url)
        flash(WRONG, "error")
    elif request.method == "POST":
        flash(WRONG if not form.errors.get("csrf_token") else "The form expired; please try again.", "error")
    return render_template("accounts/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@access("public")
def login_code():
    user, next_url = sessions.pending("code")
    if user is None:
        return render_template("accounts/signin_expired.html")
    form = CodeForm()
    if form.validate_on_submit():
        outcome = signin.check_second_factor(user, form.code.data, request.remote_addr,
                                             sessions.known_device(user.email))
        if outcome.throttled:
            flash(_wait_message(outcome.wait_seconds), "error")
            return render_template("accounts/code.html", form=form), 429
        if outcome.user is not None:
            if outcome.method == "recovery":
                flash(f"You signed in with a recovery code; {two_factor.remaining_recovery_codes(user)} "
                      "are left. Set up your authenticator again if it is lost.", "info")
            return _signed_in(user, outcome.method, next_url)
        flash(WRONG_CODE, "error")
    return render_template("accounts/code.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@access("public")
def login_enrol():
    """An account that must use two-factor and has none sets it up before it is signed in."""
    user, next_url = sessions.pending("enrol")
    if user is None:
        return render_template("accounts/signin_expired.html")
    form = CodeForm()
    if form.validate_on_submit():
        codes = two_factor.confirm_enrolment(user, form.code.data)
        if codes:
            audit.record("2fa.enable", target=f"user:{user.id}", actor_id=user.id, actor_email=user.email)
            sessions.begin(user, "totp")  # commits the enrolment, its codes and the audit events
            response = make_response(render_template("accounts/recovery_codes.html", codes=codes,
                                                     next_url=_safe_next(next_url)))
            return sessions.remember_device(response, user.email)
        db.session.commit()
        flash(WRONG_CODE, "error")
    two_factor.start_enrolment(user)
    return render_template("accounts/enrol.html", form=form, user=user, required=True,
                           secret=user.totp_secret, qr=two_factor.qr_svg(two_factor.provisioning_uri(user)))


@bp.route("/login/confirm", methods=["GET", "POST"])
@access("viewer", write="viewer")
def reauth():
    """Type the password (and code) again before a sensitive action such as a bulk export."""
    user = current_user._get_current_object()
    form = ReauthForm()
    next_url = request.args.get("next")
    if form.validate_on_submit():
        outcome = signin.confirm(user, form.password.data, form.code.data or "", request.remote_addr)
        if outcome.throttled:
            flash(_wait_message(outcome.wait_seconds), "error")
            return render_template("accounts/reauth.html", form=form, user=user), 429
        if outcome.user is not None:
            stamp_fresh()
            return redirect(_safe_next(next_url))
        flash("That did not match. Check your password" + (" and code." if user.two_factor_enabled else "."), "error")
    return render_template("accounts/reauth.html", form=form, user=user)


@bp.post("/logout")
@access("viewer", write="viewer")
def logout():
    services.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@access("public")
def accept_invitation(token: str):
    """The invitee chooses a password. The link works once and for 48 hours."""
    if current_user.is_authenticated:
        return render_template("accounts/invitation_invalid.html",
                               reason=f"you are signed in as {current_user.email}; sign out first, then open the link again")
    try:
        invitation = invitations.open_invitation(token)
    except NotFound as exc:
        return render_template("accounts/invitation_invalid.html", reason=exc.message), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            invitations.accept(token, form.new.data, form.name.data or "")
        except ValidationError as exc:
            form.new.errors.append(exc.reason)
        except DomainError as exc:
            return render_template("accounts/invitation_invalid.html", reason=exc.message), 404
        else:
            flash("Your account is ready. Sign in with your new password.", "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/accept.html", form=form, invitation=invitation)
