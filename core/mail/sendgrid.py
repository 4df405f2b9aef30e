"""The SendGrid backend: bodies built with the official library's helpers, sent through our own client.

The official client opens a new HTTPS connection (and reloads the CA bundle) for every request, sets
no timeout and logs whole bodies at DEBUG. We only use its helpers to build the JSON, and send it with
one urllib3 pool per process (keep-alive, explicit timeouts, no automatic retries: the ledger decides)
and a small thread pool, so enough requests are in flight to hide the provider's latency.
Each request carries exactly ONE recipient; the only custom arg is the opaque message key.
"""
from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import urllib3
from sendgrid.helpers.mail import (ClickTracking, Content, CustomArg, From, Header, Mail, OpenTracking,
                                   Personalization, ReplyTo, Subject, To, TrackingSettings)

from core.mail import AMBIGUOUS, AUTH, LATE, REJECTED, RETRY, SENT, Envelope, Outcome, extra_headers, too_late

# The custom argument carrying Message.key (provider events are tied back to the message by it).
KEY_ARG = "m"
_lock = threading.Lock()
_clients: dict[tuple, tuple[urllib3.PoolManager, ThreadPoolExecutor]] = {}


def _client(concurrency: int, connect: float, read: float):
    """One pool and one thread pool per process (rebuilt after a fork, which loses the sockets)."""
    key = (os.getpid(), concurrency, connect, read)
    with _lock:
        if key not in _clients:
            pool = urllib3.PoolManager(num_pools=4, maxsize=concurrency, block=True, retries=False,
                                       timeout=urllib3.Timeout(connect=connect, read=read))
            _clients[key] = (pool, ThreadPoolExecutor(concurrency, thread_name_prefix="sendgrid"))
        return _clients[key]


def _address(cls, email: str, name: str | None = None):
    """An address object of the helpers, set field by field: given only an address, their constructor
    runs it through email.utils.parseaddr (for "Name <addr>" strings), a third of the body's cost, and
    our addresses are already validated and bare."""
    address = cls()
    address.email = email
    if name:
        address.name = name
    return address


def build_body(envelope: Envelope) -> dict:
    """The v3 mail-send JSON for one envelope, via the official helpers."""
    mail = Mail()
    mail.from_email = _address(From, envelope.from_email, envelope.from_name)
    mail.subject = Subject(envelope.subject)
    personalization = Personalization()
    personalization.add_to(_address(To, envelope.to))
    mail.add_personalization(personalization)
    mail.add_content(Content("text/plain", envelope.text))
    if envelope.html:
        mail.add_content(Content("text/html", envelope.html))
    if envelope.reply_to:
        mail.reply_to = _address(ReplyTo, envelope.reply_to)
    for name, value in extra_headers(envelope).items():
        mail.add_header(Header(name, value))
    if envelope.key:
        mail.add_custom_arg(CustomArg(KEY_ARG, envelope.key))
    tracking = TrackingSettings()
    tracking.click_tracking = ClickTracking(envelope.tracking, envelope.tracking)
    tracking.open_tracking = OpenTracking(envelope.tracking)
    mail.tracking_settings = tracking
    return mail.get()


class SendgridSession:
    def __init__(self, config: dict):
        self.url = config.get("SENDGRID_API_HOST", "https://api.sendgrid.com").rstrip("/") + "/v3/mail/send"
        key = config.get("SENDGRID_API_KEY") or ""
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                        "User-Agent": "solidarity-outreach"}
        self.pool, self.executor = _client(int(config.get("SENDGRID_CONCURRENCY", 16)),
                                           float(config.get("SENDGRID_CONNECT_TIMEOUT", 5)),
                                           float(config.get("SENDGRID_READ_TIMEOUT", 20)))

    def send_many(self, envelopes: list[Envelope], deadline: float | None = None) -> list[Outcome]:
        return list(self.executor.map(lambda e: self._send(e, deadline), envelopes))

    def _send(self, envelope: Envelope, deadline: float | None = None) -> Outcome:
        if too_late(deadline):
            return LATE
        try:
            body = json.dumps(build_body(envelope), separators=(",", ":")).encode()
        except (KeyError, ValueError, TypeError) as exc:  # the helpers refuse what SendGrid would
            return Outcome(REJECTED, reason=f"cannot build the request: {type(exc).__name__}")
        try:
            response = self.pool.request("POST", self.url, body=body, headers=self.headers)
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.NewConnectionError) as exc:
            return Outcome(RETRY, reason=f"cannot connect: {type(exc).__name__}")
        except urllib3.exceptions.HTTPError as exc:
            # The request may have reached the provider: its fate is unknown.
            reason = type(getattr(exc, "reason", None) or exc).__name__
            return Outcome(AMBIGUOUS, reason=f"no answer: {reason}")
        return classify(response.status, response.headers, response.data)

    def close(self) -> None:
        pass  # the pool outlives the session: it is the process's


def classify(status: int, headers, data: bytes) -> Outcome:
    if 200 <= status < 300:
        return Outcome(SENT, provider_id=headers.get("X-Message-Id"))
    reason = f"HTTP {status}: {_errors(data)}"[:300]
    if status in (401, 403):
        return Outcome(AUTH, reason=reason)
    if status == 429:
        return Outcome(RETRY, reason=reason, retry_after=_retry_after(headers))
    if 400 <= status < 500:
        return Outcome(REJECTED, reason=reason)
    return Outcome(AMBIGUOUS, reason=reason)


def _errors(data: bytes) -> str:
    try:
        errors = json.loads(data or b"{}").get("errors") or []
        return "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict)) or "no reason given"
    except (ValueError, AttributeError):
        return "no reason given"


def _retry_after(headers) -> float:
    import time

    reset = headers.get("X-RateLimit-Reset")
    try:
        return max(0.5, min(float(reset) - time.time(), 300.0))
    except (TypeError, ValueError):
        return 1.0
