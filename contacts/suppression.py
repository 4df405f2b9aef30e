"""The suppression list: addresses that must never be mailed again.

Only a keyed hash of the address is stored (HMAC-SHA256 under a key derived from SECRET_KEY), so the
list survives a person's erasure without keeping the address itself, and a copy of the table alone
does not reveal who is on it. Rotating SECRET_KEY invalidates the hashes (see README).
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Iterable

from flask import current_app
from sqlalchemy import bindparam, select, update

from contacts.models import STATUSES, SUPPRESSION_REASONS, Contact, Suppression
from core.db import db
from core.errors import ValidationError


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"contacts.suppression.v1", hashlib.sha256).digest()


def email_hash(email: str, key: bytes | None = None) -> str:
    return hmac.digest(key or _key(), normalise_email(email).encode(), "sha256").hex()


def hashes_for(emails: Iterable[str]) -> dict[str, str]:
    """Map each address to its keyed hash (one key derivation for a whole batch)."""
    key = _key()
    return {e: email_hash(e, key) for e in emails}


def is_suppressed(email: str) -> bool:
    if not email:
        return False
    found = db.session.execute(
        select(Suppression.id).where(Suppression.email_hash == email_hash(email))).first()
    return found is not None


def suppressed_among(emails: Iterable[str]) -> dict[str, str]:
    """The addresses among `emails` that are suppressed, with their reason: one query per call."""
    by_hash = {h: e for e, h in hashes_for(set(emails)).items()}
    if not by_hash:
        return {}
    rows = db.session.connection().execute(_SUPPRESSED, {"hashes": list(by_hash)})
    return {by_hash[h]: reason for h, reason in rows}


_TABLE = Suppression.__table__
_SUPPRESSED = (select(_TABLE.c.email_hash, _TABLE.c.reason)
               .where(_TABLE.c.email_hash.in_(bindparam("hashes", expanding=True))))


def suppress(email: str, reason: str) -> None:
    """Never mail `email` again; mark the contact holding it. The first reason is kept, except erasure.

    Does not commit: the caller's transaction decides.
    """
    if reason not in SUPPRESSION_REASONS:
        raise ValidationError("reason", f"must be one of {', '.join(SUPPRESSION_REASONS)}")
    email = normalise_email(email or "")
    if not email:
        raise ValidationError("email", "is required")
    digest = email_hash(email)
    exists = db.session.execute(select(Suppression.id).where(Suppression.email_hash == digest)).first()
    if exists is None:
        db.session.add(Suppression(email_hash=digest, reason=reason))
    elif reason == "erased":  # erasure outranks any earlier reason: the address is never imported again
        db.session.execute(update(Suppression).where(Suppression.id == exists.id).values(reason=reason))
    if reason in STATUSES:
        db.session.execute(update(Contact).where(Contact.email == email, Contact.status == "active")
                           .values(status=reason))
    db.session.flush()
