"""Log redaction: no email address, token, password or Authorization header ever reaches a log.

Secret path parts (the Inbound Parse secret, unsubscribe, confirmation and invitation tokens, upload
ids) are found from the app's own routes: every URL argument named in SECRET_ARGUMENTS is replaced
wherever the route's path appears in a log line (request lines of Werkzeug and gunicorn, referrers,
the app's messages), so a new route with a `<token>` is covered without touching this file.

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


# URL arguments that are capabilities: whoever reads them can act (unsubscribe someone, post replies).
SECRET_ARGUMENTS = frozenset({"token", "secret", "upload_id"})
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_PATH_PATTERNS: dict[str, tuple[re.Pattern, object]] = {}


def _path_rule(rule: str) -> tuple[re.Pattern, object] | None:
    """A pattern for one route (e.g. `/drives/<slug>/confirm/<token>`) and a replacement that keeps
    everything but its secret arguments; None when the route has none."""
    pieces: list[tuple[str, bool]] = []  # (regex, is secret)
    position = 0
    for match in _ARGUMENT.finditer(rule):
        if match.start() > position:
            pieces.append((re.escape(rule[position:match.start()]), False))
        converter, name = match.groups()
        body = r"\d+" if converter == "int" else r"[^\s?#\"'<>]+" if converter == "path" else r"[^/\s?#\"'<>]+"
        pieces.append((body, name in SECRET_ARGUMENTS))
        position = match.end()
    if rule[position:]:
        pieces.append((re.escape(rule[position:]), False))
    if not any(secret for _, secret in pieces):
        return None
    pattern = re.compile("".join(f"({regex})" for regex, _ in pieces))
    secret = {i + 1 for i, (_, is_secret) in enumerate(pieces) if is_secret}

    def replace(m: re.Match) -> str:
        return "".join(REDACTED if i in secret else m.group(i) for i in range(1, len(pieces) + 1))

    return pattern, replace


def protect_paths(rules) -> list[str]:
    """Redact the secret arguments of these route rules (strings) in every log line from now on."""
    protected = []
    for rule in rules:
        if rule not in _PATH_PATTERNS and (made := _path_rule(rule)) is not None:
            _PATH_PATTERNS[rule] = made
        if rule in _PATH_PATTERNS:
            protected.append(rule)
    return protected


def redact(text: str) -> str:
    for pattern, replacement in list(_PATH_PATTERNS.values()):
        text = pattern.sub(replacement, text)
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
