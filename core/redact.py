"""Log redaction: no email address, token, password or Authorization header ever reaches a log.

Installed once as a log-record factory, so it covers every logger (the app's, Werkzeug's request
lines, rq's, libraries') whatever handlers are configured: each record's message is formatted and
redacted as it is made. Exception text is redacted by the same rules when a handler formats it.
"""
from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
PATTERNS = [
    # Authorization / Cookie headers and Bearer credentials, whatever follows them on the line.
    (re.compile(r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie)\s*[:=]\s*[^\r\n]+"), r"\1: " + REDACTED),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer " + REDACTED),
    # Our own tokens (API tokens, invitation links, unsubscribe keys) all start with so_.
    (re.compile(r"\bso_[A-Za-z0-9_-]{6,}"), "so_" + REDACTED),
    # password=..., "password": "...", and similar secrets in query strings, forms or JSON.
    (re.compile(r"(?i)([\"']?(?:password|passwd|secret|token|api_key|apikey|totp|recovery_code|csrf_token)[\"']?\s*[=:]\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s&,;}]+)"), r"\1" + REDACTED),
    # Email addresses, also percent-encoded in URLs (%40).
    (re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
]


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a malformed call must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), None
    record._redacted = True
    return record


class RedactingFilter(logging.Filter):
    """For handlers that must also be safe on their own (e.g. a file handler added by an operator)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = _redact_record(previous(*args, **kwargs))
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
