"""The steps of a sign-in kept in the session, and the "known device" cookie.

After a right password, an account with two-factor (or one that must enrol) is not signed in yet:
the session holds a *pending* sign-in (user id, session version, time) for five minutes, and only
the second step calls `begin`. The known-device cookie is signed and names accounts only by keyed
hash; it never signs anyone in, it only exempts this browser from the account's sign-in delay.
"""
from __future__ import annotations

import time

from flask import current_app, request, session
from flask_login import login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from accounts.models import User
from core import audit
from core.crypto import keyed_hash
from core.db import db, utcnow
from core.security import stamp_sign_in

PENDING = "pending_signin"
PENDING_SECONDS = 300
DEVICE_COOKIE = "so_device"
DEVICE_DAYS = 180


def set_pending(user: User, stage: str, next_url: str | None) -> None:
    session.pop(PENDING, None)
    session[PENDING] = {"uid": user.id, "ver": user.session_version, "at": time.time(),
                        "stage": stage, "next": next_url}


def pending(stage: str) -> tuple[User | None, str | None]:
    """The user whose sign-in waits for `stage` ('code' or 'enrol'), if still valid."""
    data = session.get(PENDING)
    if not isinstance(data, dict) or data.get("stage") != stage or time.time() - data.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or user.session_version != data.get("ver"):
        return None, None
    return user, data.get("next")


def begin(user: User, method: str) -> None:
    """Sign the user in for real: a new session, its clocks started, the event in the audit trail."""
    session.clear()  # no state from before sign-in survives (session fixation)
    login_user(user)
    stamp_sign_in()
    user.last_login_at = utcnow()
    audit.record("signin.success", target=f"user:{user.id}", detail={"method": method},
                 actor_id=user.id, actor_email=user.email)
    db.session.commit()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="accounts.known-device")


def _device_key(email: str) -> str:
    return keyed_hash(email.strip().lower(), "accounts.device")[:32]


def known_device(email: str) -> bool:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return False
    try:
        keys = _serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return False
    return isinstance(keys, list) and _device_key(email) in keys


def remember_device(response, email: str):
    keys = []
    raw = request.cookies.get(DEVICE_COOKIE)
    if raw:
        try:
            keys = list(_serializer().loads(raw, max_age=DEVICE_DAYS * 86400))
        except (BadSignature, TypeError):
            keys = []
    key = _device_key(email)
    keys = ([key] + [k for k in keys if k != key])[:5]
    response.set_cookie(DEVICE_COOKIE, _serializer().dumps(keys), max_age=DEVICE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response
