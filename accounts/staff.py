"""Admin services over staff accounts: roles, deactivation, two-factor reset. All audited."""
from __future__ import annotations

from sqlalchemy import func, select

from accounts import two_factor
from accounts.models import ROLES, User
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationError

def list_users() -> list[User]:
    return list(db.session.execute(select(User).order_by(User.active.desc(), User.email)).scalars())

def _get(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user

def _other_active_admins(user: User) -> int:
    return db.session.execute(select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)).scalar_one()

def set_role(actor: User, user_id: int, role: str) -> User:
    if role not in ROLES:
        raise ValidationError("role", f"must be one of {', '.join(ROLES)}")
    user = _get(user_id)
    if user.role == role:
        return user
    if user.role == "admin" and not _other_active_admins(user):
        raise Conflict("this is the last active admin; make someone else admin first")
    old, user.role = user.role, role
    user.session_version += 1  # the new role takes effect at the next sign-in, on every device
    audit.record("user.role_change", target=f"user:{user.id}", detail={"from": old, "to": role})
    db.session.commit()
    return user

def set_active(actor: User, user_id: int, active: bool) -> User:
    user = _get(user_id)
    if user.active == active:
        return user
    if not active:
        if user.id == actor.id:
            raise Conflict("you cannot deactivate your own account")
        if user.role == "admin" and not _other_active_admins(user):
            raise Conflict("this is the last active admin")
        user.session_version += 1
        for token in user.tokens:
            if token.revoked_at is None:
                token.revoked_at = utcnow()
    user.active = active
    audit.record("user.activate" if active else "user.deactivate", target=f"user:{user.id}")
    db.session.commit()
    return user

def reset_two_factor(actor: User, user_id: int) -> User:
    user = _get(user_id)
    two_factor.reset(user)
    user.session_version += 1
    audit.record("2fa.reset", target=f"user:{user.id}")
    db.session.commit()
    return user
