"""The SMTP backend: a few kept-open connections per session (a job), STARTTLS or implicit TLS.

`smtp://user:pass@host:587` upgrades with STARTTLS whenever the server offers it and refuses to send
a password in the clear to anything but the loopback; `smtps://user:pass@host:465` is TLS from the
first byte.

Each message is one transaction on one connection, and up to SMTP_CONCURRENCY transactions run at
once on the session's threads, so a message the server is slow to take does not hold the others.
The dialogue is driven here phase by phase, each phase with its own timeout (RFC 5321 §4.5.3.2, the
defaults in `core.config.SMTP_TIMEOUTS`): smtplib's one socket timeout would either give up early on
the final reply, leaving a message of unknown fate, or wait ten minutes on a dead greeting.

The line that matters: until the final dot has been handed to the network the server cannot have
taken the message, so any failure before it is a retry. From then on a lost connection or a missing
reply is ambiguous, and only the server's own answer is a verdict.
"""
from __future__ import annotations

import re
import smtplib
import ssl
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from core.config import SMTP_CONCURRENCY, SMTP_TIMEOUTS
from core.mail import AMBIGUOUS, AUTH, LATE, REJECTED, RETRY, SENT, Done, Envelope, Outcome, to_mime, too_late

LOOPBACK = ("127.0.0.1", "::1", "localhost")
BLOCK = 64 * 1024  # bytes handed to the network under one data-block timeout
QUIT_WAIT = 5.0  # seconds to wait for the answer to QUIT: every message's fate is known by then


@dataclass(frozen=True)
class Timeouts:
    connect: float     # the TCP connection and the 220 greeting
    command: float     # EHLO, STARTTLS, AUTH, MAIL, RCPT, RSET
    data_start: float  # the 354 after DATA
    data: float        # each block of the message, the final dot included
    final: float       # the reply after the final dot

    @classmethod
    def of(cls, config: dict) -> Timeouts:
        def get(name: str) -> float:
            return float(config.get(name) or SMTP_TIMEOUTS[name])

        return cls(get("SMTP_CONNECT_TIMEOUT"), get("SMTP_COMMAND_TIMEOUT"), get("SMTP_DATA_START_TIMEOUT"),
                   get("SMTP_DATA_TIMEOUT"), get("SMTP_FINAL_TIMEOUT"))


class Sending:
    """The outcomes of a batch handed to the session's threads, collected in the envelopes' order."""

    def __init__(self, futures: list[Future]):
        self.futures = futures

    def result(self) -> list[Outcome]:
        return [f.result() for f in self.futures]


class SmtpSession:
    evidence = False  # no provider events: an ambiguous send can only be settled by a person

    @staticmethod
    def longest_send(config) -> float:
        """Every phase's timeout added up: connect, MAIL and RCPT, DATA, the data, the final reply."""
        from core.config import SMTP_TIMEOUTS

        get = lambda name: float(config.get(name, SMTP_TIMEOUTS[name]))  # noqa: E731
        return (get("SMTP_CONNECT_TIMEOUT") + 2 * get("SMTP_COMMAND_TIMEOUT") + get("SMTP_DATA_START_TIMEOUT")
                + get("SMTP_DATA_TIMEOUT") + get("SMTP_FINAL_TIMEOUT"))

    @staticmethod
    def in_flight(config) -> int:
        from core.config import SMTP_CONCURRENCY

        return int(config.get("SMTP_CONCURRENCY", SMTP_CONCURRENCY))

    def __init__(self, config: dict):
        url = config.get("SMTP_URL")
        if not url:
            raise RuntimeError("MAIL_BACKEND=smtp needs SMTP_URL")
        self.url = urlsplit(url)
        self.timeouts = Timeouts.of(config)
        self.concurrency = int(config.get("SMTP_CONCURRENCY") or SMTP_CONCURRENCY)
        self.slots = threading.BoundedSemaphore(self.concurrency)  # at most this many connections at work
        self.lock = threading.Lock()
        self.idle: list[smtplib.SMTP] = []
        self.executor: ThreadPoolExecutor | None = None

    def send_many(self, envelopes: list[Envelope], deadline: float | None = None) -> list[Outcome]:
        return self.start_many(envelopes, deadline).result()

    def start_many(self, envelopes: list[Envelope], deadline: float | None = None) -> Sending | Done:
        if len(envelopes) <= 1:  # a single mail goes from the caller's thread: no thread in a web request
            return Done([self._send(e, deadline) for e in envelopes])
        if self.executor is None:
            self.executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="smtp")
        return Sending([self.executor.submit(self._send, e, deadline) for e in envelopes])

    def _send(self, envelope: Envelope, deadline: float | None) -> Outcome:
        with self.slots:
            if too_late(deadline):  # checked when its turn comes, not when it was queued
                return LATE
            with self.lock:
                conn = self.idle.pop() if self.idle else None
            if conn is None:
                try:
                    conn = self._connect()
                except smtplib.SMTPAuthenticationError as exc:
                    return Outcome(AUTH, reason=f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}")
                except (OSError, smtplib.SMTPException) as exc:
                    return Outcome(RETRY, reason=f"cannot connect: {type(exc).__name__}")
            try:
                outcome, reusable = (LATE, True) if too_late(deadline) else transact(conn, envelope, self.timeouts)
            except BaseException:
                conn.close()
                raise
            if reusable:
                with self.lock:
                    self.idle.append(conn)
            else:
                conn.close()
            return outcome

    def _connect(self) -> smtplib.SMTP:
        u, t = self.url, self.timeouts
        host, context = u.hostname or "localhost", ssl.create_default_context()
        if u.scheme == "smtps":
            conn = smtplib.SMTP_SSL(host, u.port or 465, timeout=t.connect, context=context)
        else:
            conn = smtplib.SMTP(host, u.port or 587, timeout=t.connect)
        try:
            conn.sock.settimeout(t.command)
            conn.ehlo_or_helo_if_needed()
            if u.scheme != "smtps" and conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
            elif u.scheme != "smtps" and u.username and host not in LOOPBACK:
                raise smtplib.SMTPException("the server offers no STARTTLS; refusing to send the password in clear")
            if u.username:
                conn.login(unquote(u.username), unquote(u.password or ""))
        except BaseException:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Wait for the messages in flight (none not yet started is sent), then say goodbye."""
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None
        with self.lock:
            idle, self.idle = self.idle, []
        for conn in idle:
            try:
                conn.sock.settimeout(QUIT_WAIT)
                conn.quit()
            except (OSError, smtplib.SMTPException, AttributeError):
                conn.close()


def transact(conn: smtplib.SMTP, envelope: Envelope, t: Timeouts) -> tuple[Outcome, bool]:
    """Send one message on an open connection: its outcome, and whether the connection can take another."""
    international = not (envelope.from_email.isascii() and envelope.to.isascii())
    if international and not conn.has_extn("smtputf8"):
        return Outcome(REJECTED, reason="the server takes no non-ASCII addresses (no SMTPUTF8)"), True
    try:
        data = wire_data(envelope, international)
    except (ValueError, TypeError) as exc:  # a header or part the email package cannot write
        return Outcome(REJECTED, reason=f"cannot build the message: {type(exc).__name__}"), True
    try:
        conn.sock.settimeout(t.command)
        reply = conn.mail(envelope.from_email, ("SMTPUTF8", "BODY=8BITMIME") if international else ())
        if reply[0] == 250:
            reply = conn.rcpt(envelope.to)
        if reply[0] in (250, 251):
            conn.sock.settimeout(t.data_start)
            conn.putcmd("data")
            reply = conn.getreply()
        if reply[0] != 354:
            return _refused(conn, *reply, t)
        conn.sock.settimeout(t.data)
        for start in range(0, len(data), BLOCK):
            conn.sock.sendall(data[start:start + BLOCK])
    except (OSError, smtplib.SMTPException) as exc:
        # No final dot has left us: whatever the server holds is an unfinished message it must discard.
        return Outcome(RETRY, reason=f"not sent, connection lost before the final dot: {type(exc).__name__}"), False
    try:
        conn.sock.sendall(b".\r\n")
        conn.sock.settimeout(t.final)
        code, text = conn.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        # The dot may have arrived and the server may have taken the message: its fate is unknown.
        return Outcome(AMBIGUOUS, reason=f"no reply after the final dot {_lost(exc, t.final)}"), False
    if 200 <= code < 300:
        return Outcome(SENT, provider_id=envelope.message_id), True
    return by_code(code, text, otherwise=AMBIGUOUS), code != 421


def _lost(exc: BaseException, final: float) -> str:
    """Why the final reply never came, for the person who decides: our own timeout or a closed line.
    smtplib reports both as SMTPServerDisconnected; a timeout is the exception it was raised from."""
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return f"within SMTP_FINAL_TIMEOUT ({final:g} s)"
    return f"(the server closed the connection: {type(exc).__name__})"


def wire_data(envelope: Envelope, international: bool = False) -> bytes:
    """The message as DATA carries it: CRLF lines, leading dots doubled, ending in CRLF (the dot follows)."""
    message = to_mime(envelope)
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n", utf8=international))
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _refused(conn: smtplib.SMTP, code: int, text: bytes, t: Timeouts) -> tuple[Outcome, bool]:
    """MAIL, RCPT or DATA was refused: nothing was taken; reset the transaction to reuse the connection."""
    outcome = by_code(code, text, otherwise=RETRY)
    if code == 421:  # the server is closing the connection
        return outcome, False
    try:
        conn.sock.settimeout(t.command)
        return outcome, conn.rset()[0] == 250
    except (OSError, smtplib.SMTPException):
        return outcome, False


def by_code(code: int, text, otherwise: str) -> Outcome:
    """4xx: not taken, try again later (421 too); 5xx: refused for good; anything else: `otherwise`."""
    reason = f"SMTP {code}: {_text(text)}"
    if 400 <= code < 500:
        return Outcome(RETRY, reason=reason)
    if 500 <= code < 600:
        return Outcome(REJECTED, reason=reason)
    return Outcome(otherwise, reason=reason)


def _text(text) -> str:
    return (text.decode(errors="replace") if isinstance(text, bytes) else str(text))[:300]
