"""The SendGrid backend: bodies built with the official library's helpers, sent through our own client.

The official client opens a new HTTPS connection (and reloads the CA bundle) for every request, sets
no timeout and logs whole bodies at DEBUG. We only use its helpers to build the JSON, and send it with
one aiohttp client per process: keep-alive connections, explicit timeouts, no automatic retries (the
ledger decides), and a whole chunk of requests in flight at once on one event loop, so the provider's
latency is hidden without a thread per request. aiohttp's C parser costs about a third of the CPU per
request of urllib3 driven by a thread pool (bench/sendgrid_client.py measures both).
Each request carries exactly ONE recipient; the only custom arg is the opaque message key.
"""
from __future__ import annotations

import asyncio
import atexit
import base64
import json
import os
import threading
from concurrent.futures import Future

import aiohttp
from sendgrid.helpers import mail as helpers
from sendgrid.helpers.mail import (ClickTracking, Content, CustomArg, Disposition, FileContent, FileName, FileType,
                                   From, Header, Mail, OpenTracking, Personalization, ReplyTo, Subject, To,
                                   TrackingSettings)

from core.mail import AMBIGUOUS, AUTH, LATE, REJECTED, RETRY, SENT, Envelope, Outcome, extra_headers, too_late

# The custom argument carrying Message.key (provider events are tied back to the message by it).
KEY_ARG = "m"
_lock = threading.Lock()
_clients: dict[tuple, "_Client"] = {}


class _Client:
    """An event loop on its own thread with one aiohttp session: callers on any thread hand it a batch."""

    def __init__(self, concurrency: int, connect: float, read: float):
        self.concurrency = concurrency
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="sendgrid", daemon=True)
        self.thread.start()
        self.session = asyncio.run_coroutine_threadsafe(self._open(concurrency, connect, read), self.loop).result()

    async def _open(self, concurrency: int, connect: float, read: float) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, keepalive_timeout=30)
        # No total timeout: a request waiting for a free connection is not late; connect and each read are.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        return aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False,
                                     skip_auto_headers=("Accept-Encoding",))

    def start(self, coroutine) -> Future:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine):
        return self.start(coroutine).result()

    def close(self) -> None:
        try:
            self.run(self.session.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)


def _client(concurrency: int, connect: float, read: float) -> _Client:
    """One client per process (rebuilt after a fork: the child has neither the loop's thread nor the sockets)."""
    key = (os.getpid(), concurrency, connect, read)
    with _lock:
        if key not in _clients:
            _clients[key] = _Client(concurrency, connect, read)
        return _clients[key]


@atexit.register
def _close_all() -> None:
    with _lock:
        mine = [c for k, c in _clients.items() if k[0] == os.getpid()]
        _clients.clear()
    for client in mine:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - leaving anyway
            pass


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
    for attachment in envelope.attachments:
        mail.add_attachment(helpers.Attachment(FileContent(base64.b64encode(attachment.content).decode()),
                                               FileName(attachment.filename), FileType(attachment.mimetype),
                                               Disposition("attachment")))
    tracking = TrackingSettings()
    tracking.click_tracking = ClickTracking(envelope.tracking, envelope.tracking)
    tracking.open_tracking = OpenTracking(envelope.tracking)
    mail.tracking_settings = tracking
    return mail.get()


class SendgridSession:
    evidence = True  # signed provider events can later settle an ambiguous send

    @staticmethod
    def longest_send(config) -> float:
        """Connecting and reading the answer, each with its own timeout."""
        return float(config.get("SENDGRID_CONNECT_TIMEOUT", 5)) + float(config.get("SENDGRID_READ_TIMEOUT", 20))

    @staticmethod
    def in_flight(config) -> int:
        return int(config.get("SENDGRID_CONCURRENCY", 16))

    def __init__(self, config: dict):
        self.url = config.get("SENDGRID_API_HOST", "https://api.sendgrid.com").rstrip("/") + "/v3/mail/send"
        key = config.get("SENDGRID_API_KEY") or ""
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                        "User-Agent": "solidarity-outreach"}
        self.client = _client(int(config.get("SENDGRID_CONCURRENCY", 16)),
                              float(config.get("SENDGRID_CONNECT_TIMEOUT", 5)),
                              float(config.get("SENDGRID_READ_TIMEOUT", 20)))

    def send_many(self, envelopes: list[Envelope], deadline: float | None = None) -> list[Outcome]:
        return self.start_many(envelopes, deadline).result()

    def start_many(self, envelopes: list[Envelope], deadline: float | None = None) -> Future:
        # Bodies are built here, on the caller's thread, so the loop's thread only moves bytes.
        bodies = [self._body(e) for e in envelopes]
        return self.client.start(self._send_all(bodies, deadline))

    @staticmethod
    def _body(envelope: Envelope) -> bytes | Outcome:
        try:
            return json.dumps(build_body(envelope), separators=(",", ":")).encode()
        except (KeyError, ValueError, TypeError) as exc:  # the helpers refuse what SendGrid would
            return Outcome(REJECTED, reason=f"cannot build the request: {type(exc).__name__}")

    async def _send_all(self, bodies: list[bytes | Outcome], deadline: float | None) -> list[Outcome]:
        slots = asyncio.Semaphore(self.client.concurrency)
        return list(await asyncio.gather(*(self._send(b, deadline, slots) for b in bodies)))

    async def _send(self, body: bytes | Outcome, deadline: float | None, slots: asyncio.Semaphore) -> Outcome:
        if isinstance(body, Outcome):
            return body
        async with slots:  # a request queued behind the others checks the deadline when its turn comes
            if too_late(deadline):
                return LATE
            return await self._post(body)

    async def _post(self, body: bytes) -> Outcome:
        try:
            async with self.client.session.post(self.url, data=body, headers=self.headers) as response:
                data = await response.read()
                return classify(response.status, response.headers, data)
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError) as exc:
            return Outcome(RETRY, reason=f"cannot connect: {type(exc).__name__}")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            # The request may have reached the provider: its fate is unknown.
            return Outcome(AMBIGUOUS, reason=f"no answer: {type(exc).__name__}")

    def close(self) -> None:
        pass  # the client outlives the session: it is the process's


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
