"""The suppression list: addresses that must never be mailed again.

Only a keyed hash of the address is stored, `core.crypto.keyed_hash` (HMAC-SHA256 under
DATA_LOOKUP_KEY, which never rotates), so the list survives a person's erasure without keeping the
address itself, and a copy of the table alone does not reveal who is on it.

Rows written before the lookup key existed hold an HMAC under a key derived from SECRET_KEY. They are
still matched (every lookup asks for both hashes), and `suppress` rewrites such a row to the current
hash when the address comes up again. An erased address is never seen again, so its old row stays
as it is: keep SECRET_KEY while such rows may exist (see README).
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Iterable

from flask import current_app
from sqlalchemy import JSON, bindparam, cast, func, literal_column, select, update

from contacts.models import STATUSES, SUPPRESSION_REASONS, Contact, Suppression
from core.crypto import Keyring, keyed_hash, keyring
from core.db import db
from core.errors import ValidationError

PURPOSE = "contacts.suppression"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_hash(email: str, ring: Keyring | None = None) -> str:
    """The stored form of an address: HMAC under DATA_LOOKUP_KEY."""
    return keyed_hash(normalise_email(email), PURPOSE, ring)


def _legacy_key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"contacts.suppression.v1", hashlib.sha256).digest()


def legacy_email_hash(email: str, key: bytes | None = None) -> str:
    """The form rows written before DATA_LOOKUP_KEY hold (HMAC under a key derived from SECRET_KEY)."""
    return hmac.digest(key or _legacy_key(), normalise_email(email).encode(), "sha256").hex()


def hashes_for(emails: Iterable[str]) -> dict[str, str]:
    """Map each address to its keyed hash (one keyring lookup for a whole batch)."""
    ring = keyring()
    return {e: email_hash(e, ring) for e in emails}


def _all_hashes(emails: Iterable[str]) -> dict[str, str]:
    """Current and legacy hash of each address -> the address: what a lookup must match."""
    ring, legacy = keyring(), _legacy_key()
    found: dict[str, str] = {}
    for e in emails:
        found[email_hash(e, ring)] = e
        found[legacy_email_hash(e, legacy)] = e
    return found


def is_suppressed(email: str) -> bool:
    if not email:
        return False
    return bool(suppressed_among([email]))


def suppressed_among(emails: Iterable[str]) -> dict[str, str]:
    """The addresses among `emails` that are suppressed, with their reason: one query per call."""
    by_hash = _all_hashes(set(emails))
    if not by_hash:
        return {}
    conn = db.session.connection()
    rows = conn.execute(_suppressed_query(conn.dialect.name), {"hashes": list(by_hash)}).all()
    return {by_hash[h]: reason for h, reason in rows}


def one_of(column, name: str, dialect: str):
    """`column IN (the list bound as :name)`, the whole list sent as one JSON array and unnested in a
    subquery.

    An expanding IN renders, sends and plans one placeholder per value; for the thousands of addresses
    of an import batch that costs more than the lookup itself. JSON, because psycopg quotes a text
    array element by element. On PostgreSQL the subquery matters too: psycopg prepares a statement run
    five times, and a generic plan of `= ANY($1)` may scan the whole table comparing each row with
    every element (seen: 100 s for one import), while a join with the unnested list probes the index,
    or at worst hashes the list.
    """
    values = bindparam(name, type_=JSON)
    if dialect == "postgresql":
        return column.in_(select(cast(func.json_array_elements_text(values), column.type)))
    if dialect == "sqlite":
        return column.in_(select(literal_column("value")).select_from(func.json_each(values)))
    return column.in_(bindparam(name, expanding=True))


_TABLE = Suppression.__table__


@lru_cache(maxsize=None)
def _suppressed_query(dialect: str):
    return select(_TABLE.c.email_hash, _TABLE.c.reason).where(one_of(_TABLE.c.email_hash, "hashes", dialect))


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
    rows = db.session.execute(select(Suppression.id, Suppression.email_hash, Suppression.reason).where(
        Suppression.email_hash.in_([digest, legacy_email_hash(email)]))).all()
    current = next((r for r in rows if r.email_hash == digest), None)
    if current is None and rows:  # a legacy row: move it to the current hash, keeping its reason
        current = rows[0]
        db.session.execute(update(Suppression).where(Suppression.id == current.id).values(email_hash=digest))
    if current is None:
        db.session.add(Suppression(email_hash=digest, reason=reason))
    elif reason == "erased":  # erasure outranks any earlier reason: the address is never imported again
        db.session.execute(update(Suppression).where(Suppression.id == current.id).values(reason=reason))
    if reason in STATUSES:
        db.session.execute(update(Contact).where(Contact.email == email, Contact.status == "active")
                           .values(status=reason))
    db.session.flush()
