"""Admin pages: the audit trail (read-only) and staff accounts (invite, role, deactivate)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from accounts import bp, invitations, staff
from accounts.forms import InviteForm
from accounts.models import ROLES
from core import audit
from core.errors import DomainError, NotFound
from core.security import access


def _day(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


@bp.get("/admin/audit", endpoint="audit")
@access("admin")
def audit_trail():
    args = request.args
    since, until = _day(args.get("since")), _day(args.get("until"))
    page = max(1, args.get("page", 1, type=int) or 1)
    rows, more = audit.search(action=args.get("action", ""), actor=args.get("actor", ""),
                              target=args.get("target", ""), since=since,
                              until=until + timedelta(days=1) if until else None, page=page)
    return render_template("accounts/audit.html", rows=rows, more=more, page=page, args=args,
                           actions=audit.actions(), chain=audit.verify_chain())


@bp.get("/admin/users")
@access("admin")
def users():
    return render_template("accounts/users.html", users=staff.list_users(), invitations=invitations.open_invitations(),
                           invite_form=InviteForm(), roles=ROLES, me=current_user.id)


@bp.post("/admin/invitations")
@access("admin")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitations.invite(form.email.data, form.role.data, current_user._get_current_object())
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash(f"Invitation sent to {form.email.data.strip()}; the link works once, for 48 hours.", "info")
    else:
        flash("Give an email address and a role.", "error")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/invitations/<int:invitation_id>/revoke")
@access("admin")
def revoke_invitation(invitation_id: int):
    return _act(lambda me: invitations.revoke(invitation_id), "Invitation withdrawn.")


@bp.post("/admin/users/<int:user_id>/role")
@access("admin")
def change_role(user_id: int):
    return _act(lambda me: staff.set_role(me, user_id, request.form.get("role", "")), "Role changed.")


@bp.post("/admin/users/<int:user_id>/deactivate")
@access("admin")
def deactivate(user_id: int):
    return _act(lambda me: staff.set_active(me, user_id, False), "Account deactivated; its sessions and tokens ended.")


@bp.post("/admin/users/<int:user_id>/activate")
@access("admin")
def activate(user_id: int):
    return _act(lambda me: staff.set_active(me, user_id, True), "Account activated.")


@bp.post("/admin/users/<int:user_id>/reset-two-factor")
@access("admin")
def reset_two_factor(user_id: int):
    return _act(lambda me: staff.reset_two_factor(me, user_id), "Two-factor reset; they set it up again at sign-in.")


def _act(action, done: str):
    try:
        action(current_user._get_current_object())
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "info")
    return redirect(url_for("accounts.users"))
