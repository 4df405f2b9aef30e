"""Contacts, organisations, tags, saved segments and the suppression list.

Every column a page filters on has an index; the rules that must never break (unique emails, known
kinds and statuses, a tag once per contact) are constraints in the schema.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, CheckConstraint, Column, Computed, Date, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint, cast, func)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import EncryptedText
from core.db import Base, UTCDateTime, utcnow

KINDS = ("embassy", "eu_delegation", "ministry", "parliament", "international_body", "media", "ngo")
KIND_LABELS = {"embassy": "Embassy", "eu_delegation": "EU delegation", "ministry": "Ministry",
               "parliament": "Parliament", "international_body": "International body", "media": "Media",
               "ngo": "NGO"}
STATUSES = ("active", "unsubscribed", "bounced", "complained")
MAILBOXES = ("personal", "generic")
SUPPRESSION_REASONS = ("unsubscribed", "bounced", "complained", "erased")
SEARCH_TEXT = "lower(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(position, ''))"


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({listed})" + (f" OR {column} IS NULL" if nullable else "")


contact_tags = Table(
    "contact_tags",
    Base.metadata,
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (CheckConstraint(_in("kind", KINDS, nullable=True), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str | None] = mapped_column(String(30), index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)

    contacts: Mapped[list["Contact"]] = relationship(back_populates="organisation", passive_deletes=True)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS, nullable=True), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("mailbox", MAILBOXES, nullable=True), name="mailbox"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="", index=True)
    salutation: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str | None] = mapped_column(String(30), index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(35), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    mailbox: Mapped[str | None] = mapped_column(String(10))
    posting_start: Mapped[date | None] = mapped_column(Date)
    posting_end: Mapped[date | None] = mapped_column(Date, index=True)
    # Not indexed alone: "needs checking" reads coalesce(verified_at, created_at), which has its own index.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    verified_source: Mapped[str | None] = mapped_column(String(200))
    lawful_basis: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # What the list's text search looks in, kept by the database: one column (and on PostgreSQL one
    # trigram index) instead of three, so an import updates one index per row, not three.
    search_text: Mapped[str | None] = mapped_column(Text, Computed(SEARCH_TEXT, persisted=True))

    organisation: Mapped[Organisation | None] = relationship(back_populates="contacts")
    tags: Mapped[list[Tag]] = relationship(secondary=contact_tags, order_by=Tag.name)

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]


def checked_since(contact=None):
    """When a contact was last known good: verified, or else added. "Not verified for a year" is a range
    on this expression, which has an index of its own (the same expression, so the planner finds it)."""
    contact = contact or Contact
    return func.coalesce(contact.verified_at, contact.created_at)


def _trigram_index(name: str, expression, key: str) -> Index:
    """A PostgreSQL trigram index: answers `LIKE '%text%'` without reading every row (none on SQLite)."""
    return Index(name, expression, postgresql_using="gin",
                 postgresql_ops={key: "gin_trgm_ops"}).ddl_if(dialect="postgresql")


Index("ix_contacts_checked_since", checked_since())
# The no-op cast makes the index an expression to Alembic, which then leaves it out of SQLite's
# comparison (Alembic does not honour ddl_if); PostgreSQL stores it as a plain column index.
_trigram_index("ix_contacts_search_text_trgm", cast(Contact.search_text, Text).label("search_text"), "search_text")
_trigram_index("ix_organisations_name_trgm", func.lower(Organisation.name).label("lower_name"), "lower_name")


class Segment(Base):
    """A saved audience: a named filter, evaluated live by `segments.audience_query`."""

    __tablename__ = "segments"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS, nullable=True), name="kind"),
        CheckConstraint(_in("status", STATUSES, nullable=True), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    kind: Mapped[str | None] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str | None] = mapped_column(String(35))
    status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class Suppression(Base):
    """An address that must never be mailed again, kept only as a keyed hash (survives erasure)."""

    __tablename__ = "suppressions"
    __table_args__ = (CheckConstraint(_in("reason", SUPPRESSION_REASONS), name="reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


IMPORT_STATES = ("uploaded", "queued", "running", "done", "failed")
UPLOAD_PARTS = ("file", "report")


class ImportUpload(Base):
    """A CSV file uploaded from the page, between its preview and the end of its import; also the
    import's progress row, which the job updates and the page reads. Kept a day at most."""

    __tablename__ = "import_uploads"
    __table_args__ = (CheckConstraint(_in("state", IMPORT_STATES), name="state"),
                      CheckConstraint("rows_done >= 0", name="rows_done"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: it is in the page's URL
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_email: Mapped[str] = mapped_column(String(254))  # for the audit trail the job writes
    filename: Mapped[str] = mapped_column(EncryptedText)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    mapping: Mapped[list | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10), default="uploaded")
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str | None] = mapped_column(EncryptedText)  # JSON: counts, first rejections and warnings
    failure: Mapped[str | None] = mapped_column(Text)
    beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, index=True)


class ImportChunk(Base):
    """A piece of an upload's file (or of its rejected-rows report), encrypted: contacts' addresses.
    (A surrogate key: `flask keys rotate` walks every encrypted table by a single-column key.)"""

    __tablename__ = "import_chunks"
    __table_args__ = (CheckConstraint(_in("part", UPLOAD_PARTS), name="part"),
                      UniqueConstraint("upload_id", "part", "seq", name="uq_import_chunks_upload_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("import_uploads.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(6))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(EncryptedText)  # base64 of the bytes, then encrypted
