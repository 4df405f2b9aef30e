"""A saved sender identity. Mailings copy its values when composed (the record of what was sent);
campaigns name a default one and drives send under one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class SenderIdentity(Base):
    __tablename__ = "sender_identities"
    __table_args__ = (
        CheckConstraint("length(label) > 0", name="label"),
        CheckConstraint("from_email LIKE '%_@_%'", name="from_email"),
        CheckConstraint("reply_to IS NULL OR reply_to LIKE '%_@_%'", name="reply_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(100), unique=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    from_email: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow)
