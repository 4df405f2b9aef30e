"""Who a filter or a saved segment selects: one place that turns filters into a `select(Contact)`.

The list page, the CSV export, the API and later mailings and drives all build on these queries.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, exists, func, or_, select

from contacts.models import KINDS, STATUSES, Contact, Organisation, Segment, Tag, checked_since, contact_tags
from contacts.validation import clean_country, clean_language
from core.db import db, utcnow
from core.errors import NotFound, ValidationError

VERIFY_EVERY = timedelta(days=365)


@dataclass(frozen=True)
class Filters:
    """A filter over contacts. Empty values filter nothing; `tags` selects contacts with ANY of them."""

    q: str = ""
    tags: tuple[str, ...] = ()
    kind: str = ""
    country: str = ""
    language: str = ""
    status: str = ""
    organisation_id: int | None = None
    needs_checking: bool = False
    segment_id: int | None = None

    def as_query_args(self) -> dict:
        args = {k: v for k, v in asdict(self).items() if v not in ("", None, False, ())}
        if "tags" in args:
            args["tag"] = list(args.pop("tags"))
        if args.get("needs_checking"):
            args["needs_checking"] = "1"
        return args

    @property
    def active(self) -> bool:
        return bool(self.as_query_args())


def filters_from_args(args) -> Filters:
    """Build Filters from a MultiDict (query string or form); bad values raise ValidationError."""
    def text(name: str) -> str:
        return (args.get(name) or "").strip()

    kind, status = text("kind"), text("status")
    if kind and kind not in KINDS:
        raise ValidationError("kind", f"must be one of {', '.join(KINDS)}")
    if status and status not in STATUSES:
        raise ValidationError("status", f"must be one of {', '.join(STATUSES)}")
    country = _checked("country", clean_country, text("country"))
    language = _checked("language", clean_language, text("language"))
    tags = tuple(t.strip() for t in args.getlist("tag") if t.strip()) if hasattr(args, "getlist") else ()
    org, seg = text("organisation_id"), text("segment_id")
    return Filters(q=text("q")[:200], tags=tags, kind=kind, country=country, language=language, status=status,
                   organisation_id=int(org) if org.isdigit() else None,
                   needs_checking=text("needs_checking") in ("1", "on", "true", "yes"),
                   segment_id=int(seg) if seg.isdigit() else None)


def _checked(field: str, clean, raw: str) -> str:
    if not raw:
        return ""
    try:
        return clean(raw)
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None


def needs_checking_clause(today: date | None = None):
    """Posting ended, address bounced, or not verified (or, never verified, not created) for a year.

    Each branch is a range or an equality on an indexed column or expression (`checked_since`), so the
    database answers the OR from three indexes instead of testing every contact against now().
    """
    now = utcnow()
    today = today or now.date()
    return or_(Contact.posting_end < today, Contact.status == "bounced", checked_since() < now - VERIFY_EVERY)


def search_clause(q: str):
    """Name, email, position or organisation name containing `q`, case-insensitively.

    The matching organisations are looked up first (a small table), so every branch of the OR is an
    index scan: a trigram index on PostgreSQL (migration 0010) and the organisation_id index.
    """
    like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    org_ids = list(db.session.execute(
        select(Organisation.id).where(func.lower(Organisation.name).like(like, escape="\\"))).scalars())
    branches = [Contact.search_text.like(like, escape="\\")]
    if org_ids:
        branches.append(Contact.organisation_id.in_(org_ids))
    return or_(*branches)


def apply_filters(stmt: Select, f: Filters) -> Select:
    if f.segment_id is not None:
        segment = db.session.get(Segment, f.segment_id)
        if segment is None:
            raise NotFound("no such segment")
        stmt = apply_filters(stmt, segment_filters(segment))
    if f.tags:
        # Tag ids first (a tiny query), then a correlated EXISTS the primary key answers: a page
        # sorted by name stops after 50 matches instead of materialising every tagged contact.
        tag_ids = list(db.session.execute(select(Tag.id).where(Tag.name.in_(f.tags))).scalars()) or [-1]
        stmt = stmt.where(exists().where(contact_tags.c.contact_id == Contact.id,
                                         contact_tags.c.tag_id.in_(tag_ids)))
    for column, value in ((Contact.kind, f.kind), (Contact.country, f.country),
                          (Contact.language, f.language), (Contact.status, f.status)):
        if value:
            stmt = stmt.where(column == value)
    if f.organisation_id is not None:
        stmt = stmt.where(Contact.organisation_id == f.organisation_id)
    if f.needs_checking:
        stmt = stmt.where(needs_checking_clause())
    if f.q:
        stmt = stmt.where(search_clause(f.q))
    return stmt


def segment_filters(segment: Segment) -> Filters:
    return Filters(tags=tuple(segment.tags or ()), kind=segment.kind or "", country=segment.country or "",
                   language=segment.language or "", status=segment.status or "")


def audience_query(tags=None, kind=None, country=None, language=None, status=None,
                   segment_id=None) -> Select:
    """`select(Contact)` of everyone a filter or saved segment selects (all statuses unless given).

    Mailings must still skip suppressed addresses and contacts without an email.
    """
    f = Filters(tags=tuple(tags or ()), kind=kind or "", country=country or "", language=language or "",
                status=status or "", segment_id=segment_id)
    return apply_filters(select(Contact), f)


def count(f: Filters) -> int:
    stmt = apply_filters(select(func.count()).select_from(Contact), f)
    return db.session.execute(stmt).scalar_one()


def count_capped(f: Filters, cap: int) -> int:
    """The count, but stop counting past `cap` (a list page needs "more than 10,000", not the number)."""
    inner = apply_filters(select(Contact.id), f).limit(cap + 1).subquery()
    return db.session.execute(select(func.count()).select_from(inner)).scalar_one()


def save_segment(name: str, f: Filters, segment_id: int | None = None) -> Segment:
    name = name.strip()
    if not name:
        raise ValidationError("name", "is required")
    if len(name) > 120:
        raise ValidationError("name", "is longer than 120 characters")
    clash = db.session.execute(select(Segment.id).where(Segment.name == name)).scalar()
    if clash is not None and clash != segment_id:
        raise ValidationError("name", "another segment has this name")
    segment = db.session.get(Segment, segment_id) if segment_id else Segment()
    if segment is None:
        raise NotFound("no such segment")
    segment.name, segment.tags = name, list(f.tags)
    segment.kind, segment.country = f.kind or None, f.country or None
    segment.language, segment.status = f.language or None, f.status or None
    db.session.add(segment)
    db.session.commit()
    return segment


def list_segments() -> list[tuple[Segment, int]]:
    segments = db.session.execute(select(Segment).order_by(Segment.name)).scalars().all()
    return [(s, count(Filters(segment_id=s.id))) for s in segments]


def delete_segment(segment_id: int) -> None:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        raise NotFound("no such segment")
    db.session.delete(segment)
    db.session.commit()
