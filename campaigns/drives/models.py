"""Letter drives, their signatures and every delivery of them to the targets.

Supporters' names, cities and addresses are encrypted at rest; an address is kept only until it is
confirmed (a keyed hash stays, so signing again updates rather than duplicates). A signature counts
when it is confirmed and visible: `counted_clause()` is the one definition of that.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, and_)
from sqlalchemy.orm import Mapped, mapped_column, relationship

import campaigns.cases.models  # noqa: F401  (drive_cases refers to cases)
import campaigns.senders.models  # noqa: F401  (a drive sends under an identity)
import contacts.models  # noqa: F401  (targets refer to contacts and segments)
from campaigns.mailings.models import Message
from core.crypto import EncryptedText
from core.mail import states
from core.db import Base, UTCDateTime, utcnow

LANGUAGES = ("en", "ru", "kk")
DISPLAYS = ("full", "initial", "anonymous")
MODERATION = ("visible", "held", "hidden")
DELIVERY_MODES = ("compiled", "mailto")
DELIVERY_KINDS = ("compiled", "digest", "mailto")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Drive(Base):
    __tablename__ = "drives"
    __table_args__ = (
        CheckConstraint("goal >= 0", name="goal"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint(_in("delivery", DELIVERY_MODES), name="delivery"),
        CheckConstraint("digest_days >= 1", name="digest_days"),
        CheckConstraint(_in("default_display", DISPLAYS), name="default_display"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    default_language: Mapped[str] = mapped_column(String(8), default="en")
    goal: Mapped[int] = mapped_column(Integer, default=1000)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    delivery: Mapped[str] = mapped_column(String(10), default="compiled")
    audience_tags: Mapped[list] = mapped_column(JSON, default=list)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id", ondelete="SET NULL"), index=True)
    digest_days: Mapped[int] = mapped_column(Integer, default=7)
    # The choice the public sign form starts with: the least identifying unless the campaigner says so.
    default_display: Mapped[str] = mapped_column(String(10), default="anonymous", server_default="anonymous")
    # Deliveries and confirmation mails go out under this identity (None: MAIL_FROM).
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("sender_identities.id", ondelete="RESTRICT"),
                                                  index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow)

    letters: Mapped[list["DriveLetter"]] = relationship(
        back_populates="drive", cascade="all, delete-orphan", order_by="DriveLetter.language")

    def is_open(self, today: date) -> bool:
        return self.status == "open" and (self.deadline is None or today <= self.deadline)

    def letter(self, language: str) -> "DriveLetter | None":
        by_language = {letter.language: letter for letter in self.letters}
        return by_language.get(language) or by_language.get(self.default_language) or next(
            iter(by_language.values()), None)


class DriveLetter(Base):
    """The letter in one language: a title and a plain-text body (paragraphs split by blank lines)."""

    __tablename__ = "drive_letters"
    __table_args__ = (UniqueConstraint("drive_id", "language", name="drive_language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)

    drive: Mapped[Drive] = relationship(back_populates="letters")


class DriveTarget(Base):
    """A contact chosen by hand as a target, besides those the drive's tags or segment select."""

    __tablename__ = "drive_targets"

    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class DriveCase(Base):
    __tablename__ = "drive_cases"

    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True)


class Signature(Base):
    __tablename__ = "drive_signatures"
    __table_args__ = (
        CheckConstraint(_in("display", DISPLAYS), name="display"),
        CheckConstraint(_in("moderation", MODERATION), name="moderation"),
        UniqueConstraint("drive_id", "email_hash", name="drive_email"),
        # The counter and the "recent signatures" list both walk this index.
        Index("ix_drive_signatures_public", "drive_id", "moderation", "confirmed_at"),
        Index("ix_drive_signatures_unconfirmed", "confirmed_at", "created_at"),
        Index("ix_drive_signatures_batch", "drive_id", "batch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(EncryptedText)
    city: Mapped[str] = mapped_column(EncryptedText)
    country: Mapped[str] = mapped_column(String(2))
    display: Mapped[str] = mapped_column(String(10))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Kept only until confirmed (the confirmation mail needs it), then erased; the hash stays.
    email: Mapped[str | None] = mapped_column(EncryptedText)
    email_hash: Mapped[str | None] = mapped_column(String(64))
    confirm_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    moderation: Mapped[str] = mapped_column(String(10), default="visible")
    held_reason: Mapped[str | None] = mapped_column(String(40))
    # A re-signing of a confirmed signature: applied only once its address confirms it.
    pending: Mapped[dict | None] = mapped_column(JSON)
    copy_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The delivery run that first took this signature to the targets (None: not yet delivered).
    batch: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow)


def counted_clause():
    return and_(Signature.moderation == "visible", Signature.confirmed_at.is_not(None))


class DriveDelivery(Base):
    """One delivery to one target: the compiled letter, a digest of new signatures, or a mailto copy.

    A letter or digest we send is a single message of the one outgoing ledger (`sent`), written in the
    same transaction as this row: its state, time and error are the ledger's. A mailto copy is the
    supporter's own mail, counted when it reached our copy address: it is sent by definition.
    """

    __tablename__ = "drive_deliveries"
    __table_args__ = (
        CheckConstraint(_in("kind", DELIVERY_KINDS), name="kind"),
        Index("ix_drive_deliveries_target", "drive_id", "contact_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("drive_signatures.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))
    # The delivery batch of the drive this sends up to; the next digest starts after it.
    batch: Mapped[int] = mapped_column(Integer, default=0)
    signatures: Mapped[int] = mapped_column(Integer, default=0)
    named: Mapped[int] = mapped_column(Integer, default=0)
    sent_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, index=True)
    sent: Mapped["Message | None"] = relationship(foreign_keys=[sent_id], lazy="joined")

    @property
    def state(self) -> str:
        return self.sent.state if self.sent is not None else states.SENT

    @property
    def sent_at(self) -> datetime | None:
        return self.sent.sent_at if self.sent is not None else self.created_at

    @property
    def error(self) -> str | None:
        return self.sent.last_error if self.sent is not None else None


class RateWindow(Base):
    """Hits per (keyed hash of an address or network, fixed window) when Redis is not configured."""

    __tablename__ = "drive_rate_windows"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
