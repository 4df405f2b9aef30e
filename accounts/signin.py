"""Sign-in steps as services: password, second factor, confirmation. Throttled and audited.

Each takes plain values (the network address and whether the browser is a known device come from
the view) and returns an `Outcome`; none touches the request or the session.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select

from accounts import passwords, services, throttle, two_factor
from accounts.models import User
from core import audit
from core.db import db


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    wait_seconds: int = 0
    method: str = ""

    @property
    def throttled(self) -> bool:
        return self.wait_seconds > 0


def _account(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()


def _record(action: str, user: User | None, **detail) -> None:
    # A failed sign-in for an address with no account records no address: people type passwords
    # into the email field, and the trail is kept for ever.
    if user is None:
        audit.record(action, detail={**detail, "account": "unknown"})
    else:
        audit.record(action, target=f"user:{user.id}", detail=detail, actor_id=user.id, actor_email=user.email)


def _throttled(email: str, addr: str | None, known_device: bool, step: str) -> Outcome | None:
    if step == "confirm":
        wait = throttle.confirm_wait_seconds(email, addr)
    else:
        wait = throttle.wait_seconds(email, addr, known_device)
    if wait <= 0:
        return None
    _record("signin.throttled", _account(email), step=step, wait=math.ceil(wait))
    db.session.commit()
    return Outcome(wait_seconds=math.ceil(wait))


def check_password(email: str, password: str, addr: str | None, known_device: bool) -> Outcome:
    """The first step: the user if the password is right (the caller then asks for the code)."""
    throttled = _throttled(email, addr, known_device, "password")
    if throttled:
        return throttled
    user = services.authenticate(email, password)
    if user is None:
        throttle.failed(email, addr)
        _record("signin.failure", _account(email), step="password")
        db.session.commit()
        return Outcome()
    throttle.succeeded(email, addr)
    db.session.commit()
    return Outcome(user=user, method="password")


def check_second_factor(user: User, code: str, addr: str | None, known_device: bool) -> Outcome:
    throttled = _throttled(user.email, addr, known_device, "code")
    if throttled:
        return throttled
    method = two_factor.verify_second_factor(user, code)
    if method is None:
        throttle.failed(user.email, addr)
        _record("signin.failure", user, step="code")
        db.session.commit()
        return Outcome()
    db.session.commit()  # the used time step or recovery code
    return Outcome(user=user, method=method)


def confirm(user: User, password: str, code: str, addr: str | None) -> Outcome:
    """Re-authentication of a signed-in user before a sensitive action (a fresh sign-in)."""
    throttled = _throttled(user.email, addr, False, "confirm")
    if throttled:
        return throttled
    ok = passwords.verify(user.password_hash, password)
    if ok and user.two_factor_enabled:
        ok = two_factor.verify_second_factor(user, code) is not None
    if not ok:
        throttle.failed(user.email, addr)
        _record("signin.failure", user, step="confirm")
        db.session.commit()
        return Outcome()
    _record("signin.confirm", user)
    db.session.commit()
    return Outcome(user=user, method="confirm")
