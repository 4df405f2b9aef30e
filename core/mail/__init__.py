"""Mail delivery behind one small interface, chosen by MAIL_BACKEND: outbox, smtp or sendgrid.

A caller builds `Envelope`s (one recipient each: recipients never see each other), opens a session
with `open_session()` for a batch, and gets one `Outcome` per envelope back. Outcomes are classified
here, once, so the mailing ledger only decides what each kind means for a message:

  sent       the provider accepted it (its id in `provider_id`)
  rejected   refused for good (bad address, too large...): do not retry; `reason` says why
  retry      certainly not accepted (429, connection refused, SMTP 4xx): try again later
  ambiguous  maybe accepted (5xx, timeout after the request went out): never resend blindly
  auth       the provider refused our credentials (401/403): stop and tell a person

`deliver(envelope, kind, ref)` sends any message outside a mailing through the same ledger as a
mailing's recipients. Every session class says whether its provider gives `evidence`: signed events
that can later settle an ambiguous send (SendGrid); `has_evidence(config)` answers for the configured
backend.
Bodies and keys are never logged.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Protocol

from flask import current_app

from core.db import utcnow
from core.errors import DomainError

# Long List-Unsubscribe values must stay one plain header, never RFC 2047 encoded-words.
UNFOLDED = policy.default.clone(max_line_length=998)
SENT, REJECTED, RETRY, AMBIGUOUS, AUTH = "sent", "rejected", "retry", "ambiguous", "auth"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class Envelope:
    to: str
    subject: str
    text: str
    html: str | None
    from_email: str
    from_name: str = ""
    reply_to: str | None = None
    key: str | None = None  # the opaque message key: the provider's only custom arg
    message_id: str = field(default_factory=lambda: make_msgid(domain="localhost"))
    unsubscribe_url: str | None = None
    unsubscribe_mailto: str | None = None
    tracking: bool = False
    in_reply_to: str | None = None  # a follow-up threads under this earlier Message-ID
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Outcome:
    kind: str
    provider_id: str | None = None
    reason: str = ""
    retry_after: float | None = None  # seconds until the provider takes requests again (429)


class Pending(Protocol):
    def result(self) -> list[Outcome]: ...


class Session(Protocol):
    evidence: bool  # True: signed provider events can later settle an ambiguous send

    def send_many(self, envelopes: list[Envelope], deadline: float | None = None) -> list[Outcome]:
        """One outcome per envelope. None is started after `deadline` (time.monotonic())."""

    def start_many(self, envelopes: list[Envelope], deadline: float | None = None) -> Pending:
        """As `send_many`, but returns at once where the backend can send in the background; the
        caller prepares its next batch meanwhile and collects these outcomes with `.result()`."""

    def close(self) -> None: ...


class Done:
    """Outcomes already known: what `start_many` returns for a backend that sends in the caller."""

    def __init__(self, outcomes: list[Outcome]):
        self.outcomes = outcomes

    def result(self) -> list[Outcome]:
        return self.outcomes


class SendsInline:
    """For backends that send in the caller's thread (the outbox's files)."""

    def start_many(self, envelopes: list[Envelope], deadline: float | None = None) -> Done:
        return Done(self.send_many(envelopes, deadline))


LATE = Outcome(RETRY, reason="not sent: the claim's lease ran out first")


def too_late(deadline: float | None) -> bool:
    import time

    return deadline is not None and time.monotonic() > deadline


class MailError(DomainError):
    """A single transactional mail could not be sent."""


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def new_message_id(from_email: str, key: str | None = None) -> str:
    """A unique Message-ID in the sender's domain; the key keeps it stable across attempts."""
    return f"<{key or secrets.token_urlsafe(18)}.{secrets.token_hex(4)}@{domain_of(from_email)}>"


def list_unsubscribe(envelope: Envelope) -> str | None:
    parts = [f"<{u}>" for u in (envelope.unsubscribe_url,) if u]
    if envelope.unsubscribe_mailto:
        parts.append(f"<mailto:{envelope.unsubscribe_mailto}>")
    return ", ".join(parts) or None


def extra_headers(envelope: Envelope) -> dict[str, str]:
    """Headers every outgoing copy carries, whatever the backend."""
    headers = {"Message-ID": envelope.message_id}
    if envelope.in_reply_to:
        headers["In-Reply-To"] = headers["References"] = envelope.in_reply_to
    value = list_unsubscribe(envelope)
    if value:
        headers["List-Unsubscribe"] = value
        if envelope.unsubscribe_url:
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def to_mime(envelope: Envelope) -> EmailMessage:
    msg = EmailMessage(policy=UNFOLDED)
    msg["From"] = formataddr((envelope.from_name, envelope.from_email)) if envelope.from_name else envelope.from_email
    msg["To"] = envelope.to
    msg["Subject"] = envelope.subject
    msg["Date"] = format_datetime(utcnow())
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    for name, value in extra_headers(envelope).items():
        msg[name] = value
    msg.set_content(envelope.text)
    if envelope.html:
        msg.add_alternative(envelope.html, subtype="html")
    for attachment in envelope.attachments:
        maintype, _, subtype = attachment.mimetype.partition("/")
        msg.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg


def default_sender(config) -> str:
    from urllib.parse import urlsplit

    return f"no-reply@{urlsplit(config['PUBLIC_BASE_URL']).hostname or 'localhost'}"


def _session_class(backend: str) -> type:
    if backend == "smtp":
        from core.mail.smtp import SmtpSession

        return SmtpSession
    if backend == "sendgrid":
        from core.mail.sendgrid import SendgridSession

        return SendgridSession
    from core.mail.outbox import OutboxSession

    return OutboxSession


def open_session(config: dict | None = None) -> Session:
    """A delivery session for one job: a few SMTP connections, or the process's pooled HTTP client."""
    config = config or current_app.config
    return _session_class(config.get("MAIL_BACKEND", "outbox"))(config)


def has_evidence(config: dict | None = None) -> bool:
    """Whether the configured backend's provider sends signed events that can settle an ambiguous send.
    Without them (SMTP, outbox) an ambiguous send must never be re-sent automatically."""
    config = config or current_app.config
    return _session_class(config.get("MAIL_BACKEND", "outbox")).evidence


def longest_send(config: dict | None = None) -> float:
    """The longest one message can take before the configured backend gives its outcome (its timeouts
    added up). A claim's lease covers it, so no send is still in flight when the pump settles the claim."""
    config = config or current_app.config
    return _session_class(config.get("MAIL_BACKEND", "outbox")).longest_send(config)


def in_flight(config: dict | None = None) -> int:
    """How many messages the configured backend sends at once in one session."""
    config = config or current_app.config
    return _session_class(config.get("MAIL_BACKEND", "outbox")).in_flight(config)


def deliver(envelope: Envelope, kind: str, ref: str | None = None, contact_id: int | None = None) -> str:
    """Send one message outside a mailing (a test copy, a reminder, a confirmation, an invitation...).

    It goes through the one outgoing ledger, which the mailings package registers: written before any
    provider hears of it, sent exactly once by a job, settled like every other message. `ref` names the
    one thing it is for (asking twice queues it once). Returns its state: "sent" once a job has sent it
    (in-process: at once), "queued" while it waits for a worker, "failed" when the provider refused it.
    """
    ledger = current_app.extensions.get("mail.ledger")
    if ledger is None:
        raise RuntimeError("no outgoing mail ledger is registered with this app")
    return ledger(envelope, kind, ref, contact_id)


def transactional(to: str, subject: str, text: str, html: str | None = None, *, from_email: str | None = None,
                  from_name: str = "", reply_to: str | None = None) -> Envelope:
    """An envelope for mail the app writes itself, from MAIL_FROM unless a sender is given."""
    sender = from_email or current_app.config.get("MAIL_FROM") or default_sender(current_app.config)
    return Envelope(to=to, subject=subject, text=text, html=html, from_email=sender, from_name=from_name,
                    reply_to=reply_to, message_id=new_message_id(sender))
