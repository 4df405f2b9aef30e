"""Creating and editing drives, and who they go to (services taking plain values)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select

from campaigns.drives.models import (DELIVERY_MODES, DISPLAYS, LANGUAGES, Drive, DriveCase, DriveLetter,
                                     DriveTarget, Signature, counted_clause)
from contacts.models import Contact
from contacts.segments import audience_query
from contacts.suppression import suppressed_among
from core.db import db
from core.errors import NotFound, ValidationError
from core.mail.headers import check_header

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


@dataclass(frozen=True)
class DriveInput:
    slug: str
    title: str
    goal: int
    default_language: str = "en"
    letters: tuple[tuple[str, str, str], ...] = ()  # (language, title, body)
    deadline: date | None = None
    status: str = "open"
    delivery: str = "compiled"
    audience_tags: tuple[str, ...] = ()
    segment_id: int | None = None
    target_emails: tuple[str, ...] = ()
    case_ids: tuple[int, ...] = ()
    digest_days: int = 7
    sender_id: int | None = None  # the identity its mail goes out under (None: MAIL_FROM)
    default_display: str = "anonymous"  # what the sign form starts with: the least identifying choice


def _int(value, field: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(field, "must be a whole number") from None
    if number < minimum:
        raise ValidationError(field, f"must be at least {minimum}")
    return number


def parse_drive(data: dict) -> DriveInput:
    """Build a DriveInput from plain data (the API's JSON or the edit form); raise ValidationError."""
    slug = str(data.get("slug") or "").strip().lower()
    if not SLUG.match(slug):
        raise ValidationError("slug", "use 2-80 lowercase letters, digits and dashes")
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 200:
        raise ValidationError("title", "is required (at most 200 characters)")
    check_header("title", title)  # the subject of the letters delivered to the targets
    language = str(data.get("language") or data.get("default_language") or "en")
    if language not in LANGUAGES:
        raise ValidationError("language", f"must be one of {', '.join(LANGUAGES)}")
    letters = _letters(data, language, title)
    deadline = data.get("deadline") or None
    if deadline and not isinstance(deadline, date):
        try:
            deadline = date.fromisoformat(str(deadline))
        except ValueError:
            raise ValidationError("deadline", "must be a date (YYYY-MM-DD)") from None
    status = str(data.get("status") or "open")
    if status not in ("open", "closed"):
        raise ValidationError("status", "must be open or closed")
    delivery = str(data.get("delivery") or "compiled")
    if delivery not in DELIVERY_MODES:
        raise ValidationError("delivery", f"must be one of {', '.join(DELIVERY_MODES)}")
    default_display = str(data.get("default_display") or "anonymous")
    if default_display not in DISPLAYS:
        raise ValidationError("default_display", f"must be one of {', '.join(DISPLAYS)}")
    audience = data.get("audience") or {}
    if not isinstance(audience, dict):
        raise ValidationError("audience", "must be an object")
    tags = audience.get("tags") or []
    if isinstance(tags, str):
        tags = tags.split(",")
    emails = audience.get("emails") or []
    if isinstance(emails, str):
        emails = emails.split()
    segment = audience.get("segment_id")
    return DriveInput(
        slug=slug, title=title, goal=_int(data.get("goal"), "goal"), default_language=language,
        letters=letters, deadline=deadline, status=status, delivery=delivery,
        audience_tags=tuple(sorted({str(t).strip() for t in tags if str(t).strip()})),
        segment_id=_int(segment, "audience.segment_id", 1) if segment not in (None, "") else None,
        target_emails=tuple(sorted({str(e).strip().lower() for e in emails if str(e).strip()})),
        case_ids=tuple(sorted({_int(c, "case_ids", 1) for c in data.get("case_ids") or ()})),
        digest_days=_int(data.get("digest_days") or 7, "digest_days", 1),
        sender_id=_sender_id(data.get("sender_id")), default_display=default_display)


def paragraphs(text: str) -> list[str]:
    """A letter's paragraphs: split at blank lines, whether it was typed with CRLF, CR or LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def _sender_id(value) -> int | None:
    from campaigns.senders.services import find_sender

    identity = find_sender(value)
    return identity.id if identity else None


def _letters(data: dict, language: str, title: str) -> tuple[tuple[str, str, str], ...]:
    """`letter` is the text in the drive's language, or a map {language: text or {title, body}}."""
    letter = data.get("letter")
    variants = dict(data.get("letters") or {})
    if isinstance(letter, str):
        variants.setdefault(language, letter)
    elif isinstance(letter, dict):
        variants.update(letter)
    out = []
    for lang, value in sorted(variants.items()):
        if lang not in LANGUAGES:
            raise ValidationError(f"letters.{lang}", f"language must be one of {', '.join(LANGUAGES)}")
        if isinstance(value, dict):
            body, vtitle = str(value.get("body") or value.get("letter") or ""), str(value.get("title") or title)
            check_header(f"letters.{lang}.title", vtitle.strip())
        else:
            body, vtitle = str(value or ""), title
        body = body.replace("\r\n", "\n").replace("\r", "\n")  # a browser's textarea sends CRLF
        if body.strip():
            if len(body) > 20000:
                raise ValidationError(f"letters.{lang}", "is longer than 20,000 characters")
            out.append((lang, vtitle.strip()[:200] or title, body.strip()))
    if language not in {lang for lang, _, _ in out}:
        raise ValidationError("letter", "the letter in the drive's own language is required")
    return tuple(out)


def save_drive(data: DriveInput, drive_id: int | None = None) -> Drive:
    drive = db.session.get(Drive, drive_id) if drive_id else Drive()
    if drive is None:
        raise NotFound("no such drive")
    clash = db.session.execute(select(Drive.id).where(Drive.slug == data.slug)).scalar()
    if clash is not None and clash != drive_id:
        raise ValidationError("slug", "another drive has this address")
    contact_ids = _contacts_for(data.target_emails)
    drive.slug, drive.title, drive.goal = data.slug, data.title, data.goal
    drive.default_language, drive.deadline, drive.status = data.default_language, data.deadline, data.status
    drive.delivery, drive.audience_tags, drive.segment_id = data.delivery, list(data.audience_tags), data.segment_id
    drive.digest_days, drive.sender_id = data.digest_days, data.sender_id
    drive.default_display = data.default_display
    existing = {letter.language: letter for letter in drive.letters}
    wanted = {lang for lang, _, _ in data.letters}
    for lang, title, body in data.letters:
        letter = existing.get(lang) or DriveLetter(language=lang)
        letter.title, letter.body = title, body
        if lang not in existing:
            drive.letters.append(letter)
    for lang, letter in existing.items():
        if lang not in wanted:
            drive.letters.remove(letter)
    db.session.add(drive)
    db.session.flush()
    db.session.execute(delete(DriveTarget).where(DriveTarget.drive_id == drive.id))
    db.session.add_all(DriveTarget(drive_id=drive.id, contact_id=c) for c in contact_ids)
    db.session.execute(delete(DriveCase).where(DriveCase.drive_id == drive.id))
    db.session.add_all(DriveCase(drive_id=drive.id, case_id=c) for c in _existing_cases(data.case_ids))
    db.session.commit()
    from campaigns.drives.signatures import forget_cached

    forget_cached(drive.slug)
    return drive


def _contacts_for(emails: tuple[str, ...]) -> list[int]:
    if not emails:
        return []
    found = dict(db.session.execute(select(Contact.email, Contact.id).where(Contact.email.in_(emails))).all())
    missing = [e for e in emails if e not in found]
    if missing:
        raise ValidationError("audience.emails", f"no contact has the address {missing[0]}")
    return sorted(found.values())


def _existing_cases(case_ids: tuple[int, ...]) -> list[int]:
    if not case_ids:
        return []
    from campaigns.drives.cases import case_model

    Case = case_model()
    found = set(db.session.execute(select(Case.id).where(Case.id.in_(case_ids))).scalars())
    missing = [c for c in case_ids if c not in found]
    if missing:
        raise ValidationError("case_ids", f"no case has the id {missing[0]}")
    return sorted(found)


def list_drives() -> list[tuple[Drive, int]]:
    counts = (select(Signature.drive_id, func.count().label("n")).where(counted_clause())
              .group_by(Signature.drive_id).subquery())
    rows = db.session.execute(select(Drive, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.drive_id == Drive.id).order_by(Drive.id.desc()))
    return [(drive, n) for drive, n in rows]


def get_drive(drive_id: int) -> Drive:
    drive = db.session.get(Drive, drive_id)
    if drive is None:
        raise NotFound("no such drive")
    return drive


def targets(drive: Drive) -> list[Contact]:
    """Active contacts with an address, chosen by hand or by the drive's tags or segment, not suppressed."""
    ids: set[int] = set(db.session.execute(select(DriveTarget.contact_id).where(
        DriveTarget.drive_id == drive.id)).scalars())
    if drive.audience_tags or drive.segment_id:
        query = audience_query(tags=drive.audience_tags or None, segment_id=drive.segment_id)
        ids |= set(db.session.execute(query.with_only_columns(Contact.id)).scalars())
    if not ids:
        return []
    contacts = db.session.execute(select(Contact).where(
        Contact.id.in_(ids), Contact.status == "active", Contact.email.is_not(None))
        .order_by(Contact.id)).scalars().all()
    suppressed = suppressed_among(c.email for c in contacts)
    return [c for c in contacts if c.email not in suppressed]


def target_emails(drive_id: int) -> list[str]:
    return list(db.session.execute(select(Contact.email).join(DriveTarget, DriveTarget.contact_id == Contact.id)
                                   .where(DriveTarget.drive_id == drive_id).order_by(Contact.email)).scalars())


def case_ids(drive_id: int) -> list[int]:
    return list(db.session.execute(select(DriveCase.case_id).where(DriveCase.drive_id == drive_id)).scalars())
