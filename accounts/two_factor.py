"""Two-factor sign-in: TOTP codes (each usable once) and one-use recovery codes.

The shared secret is stored encrypted (`EncryptedText`). A code is accepted for the current 30-second
step or one step either side (clock drift), and only for a step later than the last one used, so a
code seen over a shoulder or phished cannot be replayed. Recovery codes are random (60 bits), kept as
keyed hashes, and each works once.
"""
from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from accounts.models import RecoveryCode, User
from core.crypto import keyed_hash
from core.db import db, utcnow

ISSUER = "Solidarity outreach"
STEP = 30
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are typed from paper


def required_for(user: User) -> bool:
    return current_app.config.get("REQUIRE_2FA", "admins") == "all" or user.role == "admin"


def start_enrolment(user: User) -> str:
    """The secret being enrolled: kept (encrypted) on the user until a code proves it, never in a cookie."""
    if user.totp_secret is None or user.totp_enabled_at is not None:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG, drawn on the server: no third party ever sees the secret."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, light="#fff", omitsize=False)
    return Markup(svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1))


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def check_code(user: User, code: str, now: float | None = None) -> bool:
    """True (and the step is used up) if `code` is a fresh TOTP code for this user."""
    code = _normalise(code)
    if user.totp_secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = int((time.time() if now is None else now) // STEP)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP), code):
            user.totp_last_step = step
            return True
    return False


def _hash(code: str) -> str:
    return keyed_hash(_normalise(code), "accounts.recovery")


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the new ones are returned once, to be shown once."""
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    if len(_normalise(code)) != 12:
        return False
    row = db.session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
        RecoveryCode.used_at.is_(None))).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.execute(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn two-factor on if `code` matches the secret being enrolled; returns the recovery codes."""
    if user.totp_secret is None or user.totp_enabled_at is not None or not check_code(user, code):
        return None
    user.totp_enabled_at = utcnow()
    return new_recovery_codes(user)


def verify_second_factor(user: User, code: str) -> str | None:
    """'totp' or 'recovery' when the code signs the user in, None otherwise. Caller commits."""
    if not user.two_factor_enabled:
        return None
    if check_code(user, code):
        return "totp"
    if use_recovery_code(user, code):
        return "recovery"
    return None


def reset(user: User) -> None:
    """Turn two-factor off (lost phone): the user enrols again at their next sign-in if required."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))

