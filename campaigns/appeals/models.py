"""Appeal templates and their language variants.

One variant is the source (`AppealTemplate.source_language`); the others are translations of it.
When the source's text changes its `version` goes up, and every other variant whose
`source_version` is older is flagged `needs_review` until someone saves it again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db, utcnow

# The cases an appeal cites; a case's page lists the appeals that cite it.
template_cases = Table(
    "appeal_template_cases", db.metadata,
    Column("template_id", ForeignKey("appeal_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_appeal_template_cases_case_id", "case_id"),
)


class AppealTemplate(db.Model):
    __tablename__ = "appeal_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    source_language: Mapped[str] = mapped_column(String(35), default="en")
    # Set for templates from the starter library, so loading it twice adds nothing.
    starter_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    variants: Mapped[list["TemplateVariant"]] = relationship(
        back_populates="template", cascade="all, delete-orphan", passive_deletes=True,
        order_by="TemplateVariant.language")
    campaign: Mapped["Campaign | None"] = relationship(back_populates="templates")  # noqa: F821
    cases: Mapped[list["Case"]] = relationship(secondary=template_cases, order_by="Case.name")  # noqa: F821

    def variant(self, language: str) -> "TemplateVariant | None":
        return next((v for v in self.variants if v.language == language), None)


class TemplateVariant(db.Model):
    __tablename__ = "appeal_template_variants"
    __table_args__ = (UniqueConstraint("template_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("appeal_templates.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(35))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # For a translation: the source version it was last checked against.
    source_version: Mapped[int | None] = mapped_column(Integer)
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    template: Mapped[AppealTemplate] = relationship(back_populates="variants")
