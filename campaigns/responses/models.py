"""What came back: provider events per message, replies and logged responses, chasing, evidence.

Events are stored once each (`sg_event_id` is unique) and only ever inserted. Responses hold both
captured replies (kind reply / auto_reply) and responses a campaigner logs (meeting, call, letter,
statement, visit). Evidence records are an append-only, hash-chained ledger per case.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaigns.mailings.models import Message
from core.db import Base, UTCDateTime, utcnow

EVENT_KINDS = ("processed", "delivered", "deferred", "bounce", "dropped", "open", "click", "spamreport",
               "unsubscribe", "group_unsubscribe", "group_resubscribe")
CAPTURED_KINDS = ("reply", "auto_reply")
LOGGED_KINDS = ("meeting", "call", "letter", "statement", "visit")
RESPONSE_KINDS = CAPTURED_KINDS + LOGGED_KINDS
KIND_LABELS = {"reply": "Reply", "auto_reply": "Automatic reply", "meeting": "Meeting", "call": "Call",
               "letter": "Letter", "statement": "Public statement", "visit": "Visit"}
CLASSES = ("acknowledgement", "substantive", "refusal", "action_taken")
OUTCOMES = ("positive", "neutral", "negative")


def _in(column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({listed})" + (f" OR {column} IS NULL" if nullable else "")


class MessageEvent(Base):
    __tablename__ = "message_events"
    __table_args__ = (CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
                      Index("ix_message_events_message_id_occurred_at", "message_id", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sg_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    machine: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str] = mapped_column(String(500), default="")


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(_in("kind", RESPONSE_KINDS), name="kind"),
        CheckConstraint(_in("classification", CLASSES, nullable=True), name="classification"),
        CheckConstraint(_in("suggested", CLASSES, nullable=True), name="suggested"),
        CheckConstraint(_in("outcome", OUTCOMES, nullable=True), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(500), default="")
    from_address: Mapped[str] = mapped_column(String(254), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The inbound mail's own Message-ID: a retried Inbound Parse post is stored once.
    mail_message_id: Mapped[str | None] = mapped_column(String(300), unique=True)
    auto_reason: Mapped[str | None] = mapped_column(String(100))
    classification: Mapped[str | None] = mapped_column(String(20), index=True)
    suggested: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(10))
    follow_up_on: Mapped[date | None] = mapped_column(Date, index=True)
    follow_up_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(timezone=True))


class ResponseAttachment(Base):
    """Kept only when INBOUND_KEEP_ATTACHMENTS is on."""

    __tablename__ = "response_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ChaseRule(Base):
    __tablename__ = "chase_rules"
    __table_args__ = (CheckConstraint("working_days > 0", name="working_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"), unique=True)
    working_days: Mapped[int] = mapped_column(Integer, default=10)
    subject_prefix: Mapped[str] = mapped_column(String(60), default="Reminder: ")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)


class Chase(Base):
    """One reminder per message, threaded under it. The reminder itself is a single message of the one
    outgoing ledger (`sent`), written in the same transaction as this row: its state is the ledger's."""

    __tablename__ = "chases"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    sent_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    sent: Mapped["Message"] = relationship(foreign_keys=[sent_id], lazy="joined")

    @property
    def state(self) -> str:
        return self.sent.state

    @property
    def sent_at(self) -> datetime | None:
        return self.sent.sent_at

    @property
    def error(self) -> str | None:
        return self.sent.last_error

    @property
    def message_id_header(self) -> str | None:
        return self.sent.message_id_header


class EvidenceRecord(Base):
    """One sealed fact of a case's trail; `hash` chains it to the record before it."""

    __tablename__ = "evidence_records"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_evidence_records_case_id_seq"),
                      UniqueConstraint("case_id", "fact_key", name="uq_evidence_records_case_id_fact_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    fact_key: Mapped[str] = mapped_column(String(80))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(timezone=True), default=utcnow)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
