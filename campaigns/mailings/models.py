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

from core.crypto import EncryptedText
import campaigns.senders.models  # noqa: F401  (a mailing names the identity it was composed with)
from core.db import Base, UTCDateTime, utcnow
from core.mail import states

MAILING_STATUSES = ("draft", "scheduled", "sending", "paused", "done", "cancelled")
SOURCES = ("audience", "failed_of", "added_since")
# What a message is for: a mailing's recipient, or one of the single messages the app sends.
MAILING_KIND, TEST_KIND = "mailing", "test"
KINDS = (MAILING_KIND, TEST_KIND, "chase", "drive_letter", "confirmation", "invitation")


_in = states.sql_in


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
    """One message the app sends: the one ledger of outgoing mail.

    A mailing's recipient (`kind` "mailing", rendered from the mailing's template when it is sent), or
    a single message outside any mailing (a test copy, a reminder, a drive's letter, a signer's
    confirmation, an invitation): then its envelope is kept `sealed` (encrypted) from the moment it is
    queued until it is settled, so any worker can send it, and `ref` names what it is for, once.
    `key` is opaque: it ties provider events and replies back here.
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("mailing_id", "email", name="uq_messages_mailing_id_email"),
        CheckConstraint(states.sql_in("state", states.ALL), name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_messages_mailing_id_state", "mailing_id", "state"),
        Index("ix_messages_state_lease_until", "state", "lease_until"),
        UniqueConstraint("kind", "ref", name="uq_messages_kind_ref"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint("(kind = 'mailing') = (mailing_id IS NOT NULL)", name="kind_mailing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=MAILING_KIND, server_default=MAILING_KIND)
    ref: Mapped[str | None] = mapped_column(String(120))
    sealed: Mapped[str | None] = mapped_column(EncryptedText)
    mailing_id: Mapped[int | None] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(35))
    state: Mapped[str] = mapped_column(String(20), default=states.QUEUED)
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
