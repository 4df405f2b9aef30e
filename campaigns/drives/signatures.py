"""Signing, confirming, moderating, counting, exporting and purging signatures (services).

Functions take plain values and raise domain errors; the public page, the API and the CLI share them.
The count is always a count of rows (confirmed and visible), so concurrent signers cannot lose an
update; the public page reads it through a per-process cache of a second or two.
"""
from __future__ import annotations

import csv
import hashlib
import io
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from campaigns.drives import limits
from campaigns.drives.models import Drive, Signature, counted_clause
from campaigns.drives.signing import SignInput
from core.crypto import keyed_hash
from core.db import db, utcnow
from core.errors import Conflict, DomainError, NotFound
from core.spreadsheets import safe_cell

RECENT = 12


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


@dataclass(frozen=True)
class SignResult:
    outcome: str  # "counted", "check_mail" or "held"
    signature_id: int
    copy_token: str | None


def email_lookup_hash(email: str) -> str:
    return keyed_hash(email, "drives.signer")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def drive_by_slug(slug: str) -> Drive:
    drive = db.session.execute(select(Drive).where(Drive.slug == slug)).scalar_one_or_none()
    if drive is None:
        raise NotFound("no such drive")
    return drive


def _fields(data: SignInput) -> dict:
    return {"name": data.name, "city": data.city, "country": data.country, "display": data.display,
            "consent": data.consent, "language": data.language}


@dataclass(frozen=True)
class DriveInfo:
    """What signing and the thank-you page need of a drive, cached per process for a moment."""

    id: int
    slug: str
    default_language: str
    delivery: str
    open: bool
    titles: dict

    def title(self, language: str) -> str:
        return self.titles.get(language) or self.titles.get(self.default_language) or next(
            iter(self.titles.values()), "")


def drive_info(slug: str) -> DriveInfo:
    cache = current_app.extensions.setdefault("drives_info", {})
    hit = cache.get(slug)
    now = time.monotonic()
    if hit and hit[0] > now:
        return hit[1]
    drive = drive_by_slug(slug)
    info = DriveInfo(drive.id, drive.slug, drive.default_language, drive.delivery, drive.is_open(utcnow().date()),
                     {letter.language: letter.title for letter in drive.letters})
    cache[slug] = (now + current_app.config.get("DRIVE_STATS_SECONDS", 2.0), info)
    return info


# Built once: the busiest write of the app, an INSERT ... RETURNING without the unit of work.
_INSERT_COUNTED = insert(Signature.__table__).returning(Signature.__table__.c.id)


def sign(slug: str, data: SignInput, address: str) -> SignResult:
    """Add (or, for a known address, update) a signature; mail a confirmation link when needed.

    The public counter catches up within DRIVE_STATS_SECONDS: signing does not empty the cache, so a
    busy drive's page is not recounted after every signature.
    """
    drive = drive_info(slug)
    if not drive.open:
        raise Conflict("this drive is closed")
    verdict, reason = limits.check(drive.id, address)
    if verdict == limits.REJECT:
        raise RateLimited("too many signatures from this address; try again in a few minutes")
    moderation = "held" if verdict == limits.HOLD else "visible"
    if data.email is None:
        now, copy_token = utcnow(), _copy_token(drive.delivery)
        if not db.session().in_transaction():
            # Nothing else was written (Redis counted the limits): the INSERT commits by itself, which
            # spares the BEGIN and COMMIT round trips. Otherwise the commit below takes the counters too.
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        signature_id = db.session.execute(_INSERT_COUNTED, {
            "drive_id": drive.id, "confirmed_at": now, "created_at": now, "updated_at": now,
            "moderation": moderation, "held_reason": reason, "copy_token": copy_token, **_fields(data)}).scalar_one()
        db.session.commit()
        return SignResult("held" if reason else "counted", signature_id, copy_token)
    signature_id = _sign_with_email(drive.id, data, moderation, reason)
    from core.queue import enqueue

    enqueue("campaigns.drives.jobs.send_confirmation", signature_id, queue="mail")
    return SignResult("check_mail", signature_id, None)


def _sign_with_email(drive_id: int, data: SignInput, moderation: str, reason: str | None) -> int:
    lookup = email_lookup_hash(data.email)
    for _attempt in range(2):
        existing = db.session.execute(select(Signature).where(
            Signature.drive_id == drive_id, Signature.email_hash == lookup)).scalar_one_or_none()
        if existing is None:
            signature = Signature(drive_id=drive_id, email=data.email, email_hash=lookup, moderation=moderation,
                                  held_reason=reason, **_fields(data))
            db.session.add(signature)
        elif existing.confirmed_at is None:
            signature = existing  # not yet counted: the newest details simply replace the old ones
            for key, value in _fields(data).items():
                setattr(signature, key, value)
            signature.email = data.email
        else:
            signature = existing  # counted: the change waits for the address to confirm it
            signature.pending, signature.email = _fields(data), data.email
        try:
            db.session.flush()
            signature_id = signature.id
            db.session.commit()
            return signature_id
        except IntegrityError:  # the same address signed in a parallel request: update that row
            db.session.rollback()
    raise Conflict("this signature is being changed in another request; try again")


def _copy_token(delivery: str) -> str | None:
    return secrets.token_hex(16) if delivery == "mailto" else None


def issue_confirmation(signature_id: int) -> tuple[Signature, str] | None:
    """A fresh confirmation token for a signature that waits for one (only its hash is stored)."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.email is None:
        return None
    token = secrets.token_urlsafe(32)
    signature.confirm_hash = token_hash(token)
    db.session.commit()
    return signature, token


def confirm(slug: str, token: str) -> Signature:
    """Count the signature (or apply its pending change) and erase the address it was confirmed by."""
    signature = db.session.execute(select(Signature).join(Drive, Drive.id == Signature.drive_id).where(
        Signature.confirm_hash == token_hash(token), Drive.slug == slug)).scalar_one_or_none()
    if signature is None:
        raise NotFound("this link is not valid or has expired")
    if signature.pending:
        for key, value in signature.pending.items():
            setattr(signature, key, value)
        signature.pending = None
    if signature.confirmed_at is None:
        signature.confirmed_at = utcnow()
    drive = db.session.get(Drive, signature.drive_id)
    if signature.copy_token is None:
        signature.copy_token = _copy_token(drive.delivery)
    signature.email, signature.confirm_hash = None, None
    db.session.commit()
    forget_cached(slug)
    return signature


def count(drive_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(Signature).where(
        Signature.drive_id == drive_id, counted_clause())).scalar_one()


def state_counts(drive_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Signature.moderation, Signature.confirmed_at.is_not(None), func.count())
                              .where(Signature.drive_id == drive_id)
                              .group_by(Signature.moderation, Signature.confirmed_at.is_not(None)))
    counts = {"counted": 0, "held": 0, "hidden": 0, "unconfirmed": 0}
    for moderation, confirmed, n in rows:
        if not confirmed:
            counts["unconfirmed"] += n
        elif moderation == "visible":
            counts["counted"] += n
        else:
            counts[moderation] += n
    return counts


def recent(drive_id: int, limit: int = RECENT) -> list[tuple[str, str, str]]:
    """(name, city, display) of the latest counted signatures, newest first."""
    rows = db.session.execute(select(Signature.name, Signature.city, Signature.display).where(
        Signature.drive_id == drive_id, counted_clause()).order_by(Signature.confirmed_at.desc()).limit(limit))
    return [tuple(row) for row in rows]


def public_stats(drive_id: int, slug: str) -> tuple[int, list[tuple[str, str, str]]]:
    """(count, recent) as the public page shows them, cached in this process for a moment."""
    cache = current_app.extensions.setdefault("drives_stats", {})
    ttl = current_app.config.get("DRIVE_STATS_SECONDS", 2.0)
    hit = cache.get(slug)
    now = time.monotonic()
    if hit and hit[0] > now:
        return hit[1]
    value = (count(drive_id), recent(drive_id))
    cache[slug] = (now + ttl, value)
    return value


def cached_page(slug: str, variant: str) -> str | None:
    """A page of the drive as rendered a moment ago in this process; `variant` tells renderings apart."""
    hit = current_app.extensions.setdefault("drives_pages", {}).get((slug, variant))
    return hit[1] if hit and hit[0] > time.monotonic() else None


def keep_page(slug: str, variant: str, html: str) -> None:
    ttl = current_app.config.get("DRIVE_STATS_SECONDS", 2.0)
    current_app.extensions.setdefault("drives_pages", {})[(slug, variant)] = (time.monotonic() + ttl, html)


def forget_cached(slug: str) -> None:
    """After a write in this process; other processes catch up within DRIVE_STATS_SECONDS."""
    current_app.extensions.setdefault("drives_stats", {}).pop(slug, None)
    current_app.extensions.setdefault("drives_info", {}).pop(slug, None)
    pages = current_app.extensions.setdefault("drives_pages", {})
    for key in [k for k in list(pages) if k[0] == slug]:  # list(): other threads may add pages meanwhile
        pages.pop(key, None)


def signature_page(drive_id: int, moderation: str | None, page: int, per_page: int = 50) -> tuple[list, bool]:
    query = select(Signature).where(Signature.drive_id == drive_id)
    if moderation:
        query = query.where(Signature.moderation == moderation)
    rows = db.session.execute(query.order_by(Signature.id.desc()).offset((page - 1) * per_page)
                              .limit(per_page + 1)).scalars().all()
    return rows[:per_page], len(rows) > per_page


def moderate(drive_id: int, ids: list[int], action: str) -> int:
    """Hide signatures (spam) or show them (release held ones); returns how many changed."""
    if action not in ("hide", "show"):
        raise DomainError("unknown moderation action")
    target = "hidden" if action == "hide" else "visible"
    result = db.session.execute(update(Signature).where(
        Signature.drive_id == drive_id, Signature.id.in_(ids), Signature.moderation != target)
        .values(moderation=target, held_reason=None, updated_at=utcnow()))
    from core.audit import record

    record(f"drive.signatures.{action}", target=f"drive:{drive_id}", detail={"signatures": len(ids)})
    db.session.commit()
    drive = db.session.get(Drive, drive_id)
    forget_cached(drive.slug)
    return result.rowcount or 0


EXPORT_HEADER = ["id", "signed_at", "confirmed_at", "name", "city", "country", "display", "consent_to_targets",
                 "language", "moderation"]


def export_csv(drive_id: int) -> str:
    """Every signature of a drive as CSV (no addresses: they are not kept), safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    rows = db.session.execute(select(Signature).where(Signature.drive_id == drive_id)
                              .order_by(Signature.id)).scalars()
    n = 0
    for s in rows:
        n += 1
        writer.writerow([safe_cell(v) for v in (
            s.id, s.created_at.isoformat(timespec="seconds"),
            s.confirmed_at.isoformat(timespec="seconds") if s.confirmed_at else "", s.name, s.city, s.country,
            s.display, "yes" if s.consent else "no", s.language, s.moderation)])
    from core.audit import record

    record("drive.signatures.export", target=f"drive:{drive_id}", detail={"rows": n})
    db.session.commit()
    return out.getvalue()


def purge_unconfirmed(days: int) -> tuple[int, int]:
    """Delete signatures whose address was never confirmed, and drop stale pending changes."""
    cutoff = utcnow() - timedelta(days=days)
    deleted = db.session.execute(delete(Signature).where(
        Signature.confirmed_at.is_(None), Signature.created_at < cutoff)).rowcount or 0
    cleared = db.session.execute(update(Signature).where(
        Signature.confirmed_at.is_not(None), Signature.email.is_not(None), Signature.updated_at < cutoff)
        .values(email=None, pending=None, confirm_hash=None)).rowcount or 0
    limits.purge_windows()
    db.session.commit()
    return deleted, cleared
