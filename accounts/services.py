"""Account services: create users, authenticate, issue and revoke API tokens."""
from __future__ import annotations

import hashlib
import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from accounts import passwords
from accounts.models import ROLES, ApiToken, User
from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationError

TOKEN_PREFIX = "so_"


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError("email", str(exc)) from None


def create_user(email: str, role: str, password: str | None = None, name: str = "") -> User:
    if role not in ROLES:
        raise ValidationError("role", f"must be one of {', '.join(ROLES)}")
    email = normalise_email(email)
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user with the email {email} already exists", {"email": "already exists"})
    user = User(email=email, role=role, name=name)
    if password is not None:
        passwords.check_policy(password)
        user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def find_user(email: str) -> User:
    user = db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user with the email {email}")
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right; None otherwise, at the same cost either way."""
    user = db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    stored = user.password_hash if user is not None and user.active else None
    if not passwords.verify(stored, password):
        return None
    if passwords.needs_rehash(stored):
        user.password_hash = passwords.hash_password(password)
        db.session.commit()
    return user


def end_sessions(user: User, reason: str = "signout") -> None:
    """Revoke every session cookie of this user, wherever it was copied."""
    user.session_version += 1
    if reason != "signout":
        audit.record("sessions.end_all", target=f"user:{user.id}", detail={"reason": reason})
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every session of the user ends."""
    if not passwords.verify(user.password_hash, current):
        raise ValidationError("current", "is not your current password")
    passwords.check_policy(new)
    if new == current:
        raise ValidationError("new", "must differ from the current password")
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    user.session_version += 1
    audit.record("password.change", target=f"user:{user.id}")
    db.session.commit()


def set_time_zone(user: User, name: str) -> None:
    """The zone this user types and reads times in; stored times stay in UTC."""
    from core.localtime import is_zone

    name = (name or "").strip()
    if not is_zone(name):
        raise ValidationError("time_zone", "choose a time zone from the list")
    user.time_zone = name
    db.session.commit()


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, label: str = "") -> str:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_hash_token(raw), prefix=raw[:10], label=label))
    db.session.commit()
    return raw


def user_for_token(raw: str) -> User | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _hash_token(raw), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if token is None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.commit()
    return token.user


def revoke_token(raw_or_prefix: str) -> int:
    tokens = db.session.execute(
        select(ApiToken).where(
            (ApiToken.token_hash == _hash_token(raw_or_prefix)) | (ApiToken.prefix == raw_or_prefix[:10]),
            ApiToken.revoked_at.is_(None))
    ).scalars().all()
    for token in tokens:
        token.revoked_at = utcnow()
    db.session.commit()
    return len(tokens)
