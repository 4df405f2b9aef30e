"""Case files: a person at risk, their charges and detention, a dated timeline with sources, photos.

What could hurt someone if a database dump leaked (the summary, charges, place of detention,
confidential notes, the timeline's descriptions and sources) is `EncryptedText`: it cannot be
searched or sorted in SQL. The name and alias stay plain because the case list searches them and
every case picker sorts by name.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import EncryptedText
from core.db import UTCDateTime, db, utcnow

STATUSES = ("detained", "on_trial", "sentenced", "house_arrest", "released", "other")
STATUS_LABELS = {"detained": "Detained", "on_trial": "On trial", "sentenced": "Sentenced",
                 "house_arrest": "House arrest", "released": "Released", "other": "Other"}
EVENT_KINDS = ("arrest", "hearing", "sentence", "transfer", "health", "hunger_strike", "release", "other")
EVENT_LABELS = {"arrest": "Arrest", "hearing": "Hearing", "sentence": "Sentence", "transfer": "Transfer",
                "health": "Health", "hunger_strike": "Hunger strike", "release": "Release", "other": "Other"}
# Events after which everyone already informed of the case should hear of it.
UPDATE_KINDS = ("transfer", "sentence", "hunger_strike", "release")


def _in(column: str, values: tuple) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (CheckConstraint(_in("status", STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    alias: Mapped[str] = mapped_column(String(200), default="")
    # Families sometimes refuse publicity: only public cases may appear on public pages.
    public: Mapped[bool] = mapped_column(default=False, index=True)
    status: Mapped[str] = mapped_column(String(20), default="detained", index=True)
    charges: Mapped[str] = mapped_column(EncryptedText, default="")
    arrest_date: Mapped[date | None] = mapped_column(Date)
    place_of_detention: Mapped[str] = mapped_column(EncryptedText, default="")
    summary: Mapped[str] = mapped_column(EncryptedText, default="")
    # Confidential working notes (the lawyer's and family's contacts, sources who must stay hidden):
    # for staff on the case page and the API only, never in appeal templates or public pages.
    notes: Mapped[str] = mapped_column(EncryptedText, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)

    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(CaseEvent.happened_on, CaseEvent.id)")
    photos: Mapped[list["CasePhoto"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True, order_by="CasePhoto.id")
    campaigns: Mapped[list["Campaign"]] = relationship(  # noqa: F821
        secondary="campaign_cases", back_populates="cases")

    @property
    def display_name(self) -> str:
        return self.name if self.public or not self.alias else f"{self.alias} ({self.name})"


class CaseEvent(db.Model):
    __tablename__ = "case_events"
    __table_args__ = (CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
                      Index("ix_case_events_case_id_happened_on", "case_id", "happened_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    happened_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(EncryptedText, default="")
    source_url: Mapped[str] = mapped_column(EncryptedText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")


class CasePhoto(db.Model):
    """A photo re-encoded on upload: the stored bytes carry no EXIF, GPS or other metadata."""

    __tablename__ = "case_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(30))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="photos")
