"""Configuration read from the environment, once, with embedded defaults (see README)."""
from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.crypto import KeyConfigError, keys_from_environment

MAIL_BACKENDS = ("outbox", "smtp", "sendgrid")
TWO_FACTOR_POLICIES = ("admins", "all")
# Seconds an SMTP client waits in each phase of the dialogue: RFC 5321 §4.5.3.2's minimums as defaults.
# A client that gives up on the final reply sooner may abandon a message the server is still taking
# and has to count it as of unknown fate; SMTP has no events to settle that later.
SMTP_TIMEOUTS = {
    "SMTP_CONNECT_TIMEOUT": 300.0,     # the TCP connection and the 220 greeting (EHLO, STARTTLS, AUTH too)
    "SMTP_COMMAND_TIMEOUT": 300.0,     # the reply to MAIL FROM and to RCPT TO
    "SMTP_DATA_START_TIMEOUT": 120.0,  # the 354 reply to DATA
    "SMTP_DATA_TIMEOUT": 180.0,        # each block of the message handed to the network
    "SMTP_FINAL_TIMEOUT": 600.0,       # the reply after the final dot: the message's fate
}
SMTP_CONCURRENCY = 4  # connections (and messages in flight) per sending session
MAX_BODY_BYTES = 1 << 20     # forms and JSON
MAX_UPLOAD_BYTES = 32 << 20  # only the routes that take files (core/limits.accepts_upload)


class ConfigError(Exception):
    """A setting is malformed; the message names the variable and what is wrong."""


def _secret_key(instance: Path) -> str:
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Created with owner-only permissions, never logged.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def normalise_database_url(url: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL ({exc})") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if not parsed.drivername.startswith(("sqlite", "postgresql")):
        raise ConfigError(f"DATABASE_URL: unsupported database {parsed.drivername!r}; use sqlite or postgresql")
    return parsed.render_as_string(hide_password=False)


def from_environment(instance: Path, env: dict[str, str] | None = None) -> dict:
    env = dict(os.environ if env is None else env)
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'app.sqlite'}"
    mail_backend = env.get("MAIL_BACKEND", "outbox")
    if mail_backend not in MAIL_BACKENDS:
        raise ConfigError(f"MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, not {mail_backend!r}")
    public = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    require_2fa = env.get("REQUIRE_2FA", "admins")
    if require_2fa not in TWO_FACTOR_POLICIES:
        raise ConfigError(f"REQUIRE_2FA must be one of {', '.join(TWO_FACTOR_POLICIES)}, not {require_2fa!r}")
    reply_domain = _reply_domain(env)
    try:
        encryption_key, lookup_key = keys_from_environment(env, instance)
    except KeyConfigError as exc:
        raise ConfigError(str(exc)) from None
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "MAIL_BACKEND": mail_backend,
        "SENDGRID_API_KEY": env.get("SENDGRID_API_KEY") or None,
        "SENDGRID_API_HOST": env.get("SENDGRID_API_HOST", "https://api.sendgrid.com"),
        "SENDGRID_WEBHOOK_PUBLIC_KEY": env.get("SENDGRID_WEBHOOK_PUBLIC_KEY") or None,
        "INBOUND_WEBHOOK_SECRET": env.get("INBOUND_WEBHOOK_SECRET") or None,
        "INBOUND_REPLY_DOMAIN": reply_domain,
        "INBOUND_KEEP_ATTACHMENTS": env.get("INBOUND_KEEP_ATTACHMENTS", "").lower() in ("1", "true", "yes"),
        "SMTP_URL": env.get("SMTP_URL") or None,
        **{name: _positive_float(env, name, default) for name, default in SMTP_TIMEOUTS.items()},
        "SMTP_CONCURRENCY": _positive_int(env, "SMTP_CONCURRENCY", SMTP_CONCURRENCY),
        "PUBLIC_BASE_URL": public,
        "MAIL_FROM": env.get("MAIL_FROM") or None,
        "OUTBOX_DIR": str(instance / "outbox"),
        "SESSION_COOKIE_SECURE": public.startswith("https://"),
        "DATA_ENCRYPTION_KEY": encryption_key,
        "DATA_LOOKUP_KEY": lookup_key,
        "REQUIRE_2FA": require_2fa,
        "SESSION_IDLE_MINUTES": _positive_int(env, "SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _positive_int(env, "SESSION_MAX_HOURS", 12),
        "TRUSTED_PROXIES": _positive_int(env, "TRUSTED_PROXIES", 0, allow_zero=True),
        "DRIVE_UNCONFIRMED_DAYS": _positive_int(env, "DRIVE_UNCONFIRMED_DAYS", 7),
        "MAX_BODY_BYTES": _positive_int(env, "MAX_BODY_BYTES", MAX_BODY_BYTES),
        # Flask's own ceiling is the upload limit; core/limits lowers it per route to MAX_BODY_BYTES.
        "MAX_CONTENT_LENGTH": _positive_int(env, "MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES),
    }


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _reply_domain(env: dict[str, str]) -> str | None:
    """The domain whose mail reaches the app (Inbound Parse): set, replies are captured there."""
    domain = (env.get("INBOUND_REPLY_DOMAIN") or "").strip().lower() or None
    if domain is None:
        return None
    if not _DOMAIN.match(domain):
        raise ConfigError(f"INBOUND_REPLY_DOMAIN must be a domain name such as replies.example.org, not {domain!r}")
    if not env.get("INBOUND_WEBHOOK_SECRET"):
        raise ConfigError("INBOUND_REPLY_DOMAIN needs INBOUND_WEBHOOK_SECRET: without the inbound webhook, "
                          "replies sent to that domain would reach nobody")
    return domain


def _positive_int(env: dict[str, str], name: str, default: int, allow_zero: bool = False) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < (0 if allow_zero else 1):
        raise ConfigError(f"{name} must be a whole number{' (0 or more)' if allow_zero else ' above 0'}, not {raw!r}")
    return value


def _positive_float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise ConfigError(f"{name} must be a number of seconds above 0, not {raw!r}")
    return value
