"""Campaigns: a coordinated effort with a goal and dates, grouping cases, templates and mailings."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow

campaign_cases = Table(
    "campaign_cases", db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_campaign_cases_case_id", "case_id"),
)


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                                      name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    goal: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date | None] = mapped_column(Date, index=True)
    ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    default_sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("sender_identities.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cases: Mapped[list["Case"]] = relationship(  # noqa: F821
        secondary=campaign_cases, back_populates="campaigns", order_by="Case.name")
    templates: Mapped[list["AppealTemplate"]] = relationship(  # noqa: F821
        back_populates="campaign", order_by="AppealTemplate.name")

    def state(self, today: date) -> str:
        if self.starts_on and today < self.starts_on:
            return "planned"
        if self.ends_on and today > self.ends_on:
            return "ended"
        return "running"


from campaigns.appeals import models as _appeals  # noqa: E402,F401 - mapped together
from campaigns.cases import models as _cases  # noqa: E402,F401
from campaigns.senders import models as _senders  # noqa: E402,F401
