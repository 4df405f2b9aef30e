"""A staff member's own account: password, two-factor, time zone, ending every session."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from accounts import bp, services, two_factor
from accounts.forms import CodeForm, PasswordChangeForm
from core import audit
from core.db import db
from core.errors import ValidationError
from core.security import access, stamp_sign_in


def _me():
    return current_user._get_current_object()


@bp.get("/account")
@access("viewer")
def account():
    user = _me()
    from core.localtime import zone_names

    return render_template("accounts/account.html", user=user, zones=zone_names(),
                           recovery_left=two_factor.remaining_recovery_codes(user) if user.two_factor_enabled else 0)


@bp.post("/account/time-zone")
@access("viewer", write="viewer")
def time_zone():
    try:
        services.set_time_zone(_me(), request.form.get("time_zone", ""))
        flash(f"Times are now shown in {current_user.time_zone}.", "info")
    except ValidationError as exc:
        flash(f"Time zone: {exc.reason}.", "error")
    return redirect(url_for("accounts.account"))


@bp.route("/account/password", methods=["GET", "POST"])
@access("viewer", write="viewer")
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = _me()
        try:
            services.change_password(user, form.current.data, form.new.data)
        except ValidationError as exc:
            field = {"password": "new"}.get(exc.field, exc.field)
            getattr(form, field, form.new).errors.append(exc.reason)
        else:
            # Every other copy of the session has ended with the old version; this one goes on.
            session.clear()
            login_user(user)
            stamp_sign_in()
            flash("Password changed. Every other session of yours has been signed out.", "info")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/password.html", form=form)


@bp.post("/account/sign-out-everywhere")
@access("viewer", write="viewer")
def sign_out_everywhere():
    services.end_sessions(_me(), reason="everywhere")
    logout_user()
    session.clear()
    flash("Signed out on every device, this one included.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access("viewer", write="viewer")
def two_factor_setup():
    user = _me()
    form = CodeForm()
    if user.two_factor_enabled:
        if form.validate_on_submit():  # new recovery codes, proved by a current code
            if two_factor.check_code(user, form.code.data):
                codes = two_factor.new_recovery_codes(user)
                audit.record("2fa.recovery_codes", target=f"user:{user.id}")
                db.session.commit()
                return render_template("accounts/recovery_codes.html", codes=codes,
                                       next_url=url_for("accounts.account"))
            db.session.commit()
            flash("That code is not right, or it has been used already.", "error")
        return render_template("accounts/two_factor_on.html", form=form,
                               left=two_factor.remaining_recovery_codes(user))
    if form.validate_on_submit():
        codes = two_factor.confirm_enrolment(user, form.code.data)
        if codes:
            audit.record("2fa.enable", target=f"user:{user.id}")
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=url_for("accounts.account"))
        db.session.commit()
        flash("That code is not right, or it has been used already.", "error")
    two_factor.start_enrolment(user)
    return render_template("accounts/enrol.html", form=form, user=user, required=False, secret=user.totp_secret,
                           qr=two_factor.qr_svg(two_factor.provisioning_uri(user)))
