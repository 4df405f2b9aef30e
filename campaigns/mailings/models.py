"""Mailings and their ledger of messages: one row per recipient, the single source of truth.

A mailing's counts are always derived from its messages; nothing else keeps a cursor. The rules that
must never break are constraints: one message per address per mailing, one unique opaque key per
message, known states only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

import campaigns.senders.models  # noqa: F401  (a mailing names the identity it was composed with)
from core.db import Base, UTCDateTime, utcnow

MAILING_STATUSES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")
SEND_STATES = ("queued", "sending", "sent", "unknown", "failed", "cancelled")
DELIVERY_STATES = ("delivered", "deferred", "opened", "clicked", "replied", "bounced", "dropped")
STATES = SEND_STATES + DELIVERY_STATES
# States that count as "the provider took it" on the progress bar.
ACCEPTED_STATES = ("sent",) + DELIVERY_STATES
# States that still need work: a mailing is done when none of its messages is in one of these.
OPEN_STATES = ("queued", "sending", "unknown")
SOURCES = ("audience", "failed_of", "added_since")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Mailing(Base):
    __tablename__ = "mailings"
    __table_args__ = (
        CheckConstraint(_in("status", MAILING_STATUSES), name="status"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint("rate_per_minute IS NULL OR rate_per_minute > 0", name="rate_per_minute"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("appeal_templates.id", ondelete="SET NULL"), index=True)
    case_ids: Mapped[list] = mapped_column(JSON, default=list)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(20), default="audience")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("mailings.id", ondelete="SET NULL"), index=True)
    added_since: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    # The identity chosen when composing; from_name/from_email/reply_to are copied from it and stay the
    # record of what was sent, whatever becomes of the identity.
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("sender_identities.id", ondelete="SET NULL"),
                                                  index=True)
    from_name: Mapped[str] = mapped_column(String(200), default="")
    from_email: Mapped[str] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    rate_per_minute: Mapped[int | None] = mapped_column(Integer)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True), index=True)
    paused_reason: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Message(Base):
    """One recipient of one mailing. `key` is opaque: it ties provider events and replies back here."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("mailing_id", "email", name="uq_messages_mailing_id_email"),
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_messages_mailing_id_state", "mailing_id", "state"),
        Index("ix_messages_state_lease_until", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(35))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    key: Mapped[str] = mapped_column(String(40), unique=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), index=True)
    message_id_header: Mapped[str | None] = mapped_column(String(300), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    provider_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow)
