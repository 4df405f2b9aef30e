"""The SMTP backend: one kept-open connection per session (a job), STARTTLS or implicit TLS.

`smtp://user:pass@host:587` upgrades with STARTTLS whenever the server offers it and refuses to send
a password in the clear to anything but the loopback; `smtps://user:pass@host:465` is TLS from the
first byte.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from urllib.parse import unquote, urlsplit

from core.mail import AMBIGUOUS, LATE, REJECTED, RETRY, SENT, Envelope, Outcome, SendsInline, to_mime, too_late

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SmtpSession(SendsInline):
    def __init__(self, config: dict):
        url = config.get("SMTP_URL")
        if not url:
            raise RuntimeError("MAIL_BACKEND=smtp needs SMTP_URL")
        self.url = urlsplit(url)
        self.timeout = float(config.get("SMTP_TIMEOUT", 30))
        self.conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        u = self.url
        host, context = u.hostname or "localhost", ssl.create_default_context()
        if u.scheme == "smtps":
            conn = smtplib.SMTP_SSL(host, u.port or 465, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(host, u.port or 587, timeout=self.timeout)
            conn.ehlo()
            if conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
            elif u.username and host not in LOOPBACK:
                conn.close()
                raise smtplib.SMTPException("the server offers no STARTTLS; refusing to send the password in clear")
        if u.username:
            conn.login(unquote(u.username), unquote(u.password or ""))
        return conn

    def send_many(self, envelopes: list[Envelope], deadline: float | None = None) -> list[Outcome]:
        return [LATE if too_late(deadline) else self._send(e) for e in envelopes]

    def _send(self, envelope: Envelope) -> Outcome:
        try:
            if self.conn is None:
                self.conn = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            return Outcome(RETRY, reason=f"cannot connect: {type(exc).__name__}")
        try:
            self.conn.send_message(to_mime(envelope), from_addr=envelope.from_email, to_addrs=[envelope.to])
            return Outcome(SENT, provider_id=envelope.message_id)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _by_code(code, text)
        except smtplib.SMTPResponseException as exc:
            return _by_code(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPServerDisconnected, socket.timeout, OSError) as exc:
            # The message may or may not have been taken before the line dropped.
            self.conn = None
            return Outcome(AMBIGUOUS, reason=f"connection lost: {type(exc).__name__}")

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.conn = None


def _by_code(code: int, text) -> Outcome:
    reason = (text.decode(errors="replace") if isinstance(text, bytes) else str(text))[:300]
    if 400 <= code < 500:
        return Outcome(RETRY, reason=f"SMTP {code}: {reason}")
    return Outcome(REJECTED, reason=f"SMTP {code}: {reason}")
