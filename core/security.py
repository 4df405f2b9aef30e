"""Permissions, CSRF and security headers, applied in one place for every route.

Every view declares who may use it with `@access(...)`; `create_app` refuses to start while any
route lacks a rule, so a new page cannot ship unguarded.
"""
from __future__ import annotations

import time
from functools import wraps
from typing import Callable

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

LEVELS = ("public", "viewer", "campaigner", "admin")
RANK = {name: i for i, name in enumerate(LEVELS)}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DENIED = "This needs the {level} role or higher; your account is a {role}."

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def access(read: str, write: str | None = None) -> Callable:
    """Declare the least role that may read (GET) and write (any other method) through a view."""
    if write is None:
        write = read if read in ("public", "admin") else "campaigner"
    for level in (read, write):
        if level not in RANK:
            raise ValueError(f"unknown access level {level!r}")

    def mark(view):
        view.access_rule = (read, write)
        return view

    return mark


def csrf_exempt(view):
    """For machine endpoints authenticated otherwise (Bearer tokens, signed webhooks)."""
    return csrf.exempt(view)


def rule_for(app: Flask, endpoint: str) -> tuple[str, str] | None:
    if endpoint == "static":
        return ("public", "public")
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def routes_without_rule(app: Flask) -> list[str]:
    return sorted(e for e in app.view_functions if rule_for(app, e) is None)


def role_of(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return "public"
    return user.role


def needed_level(endpoint: str, method: str) -> str:
    rule = rule_for(current_app, endpoint)
    if rule is None:  # create_app refuses this state; this is the second lock on the door
        abort(500)
    return rule[0] if method in SAFE_METHODS else rule[1]


# Session stamps (seconds since the epoch) kept in the signed session cookie.
SIGNED_IN_AT, SEEN_AT, FRESH_AT = "auth_at", "seen_at", "fresh_at"


def stamp_sign_in(now: float | None = None) -> None:
    """Called right after login_user: starts the idle and absolute clocks and marks the login fresh."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = session[SEEN_AT] = session[FRESH_AT] = now


def stamp_fresh(now: float | None = None) -> None:
    session[FRESH_AT] = time.time() if now is None else now


def session_expired(now: float) -> str | None:
    """Why the signed-in session is over ('idle' or 'absolute'), or None while it is alive."""
    config = current_app.config
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in, (int, float)) or not isinstance(seen, (int, float)):
        return "absolute"
    if now - signed_in > config.get("SESSION_MAX_HOURS", 12) * 3600:
        return "absolute"
    if now - seen > config.get("SESSION_IDLE_MINUTES", 30) * 60:
        return "idle"
    return None


def enforce_session_lifetime() -> None:
    """Idle and absolute timeouts, checked on every web request before the access rule."""
    if request.blueprint == "api" or request.endpoint == "static":
        return
    if not current_user.is_authenticated:
        return
    now = time.time()
    reason = session_expired(now)
    if reason is None:
        if now - session[SEEN_AT] > 15:  # spare rewriting the cookie on every request
            session[SEEN_AT] = now
        return
    logout_user()
    session.clear()
    flash("You were signed out after a while without activity." if reason == "idle"
          else "Your session reached its time limit; please sign in again.", "info")


def fresh_login_required(minutes: int = 10):
    """For bulk exports of people's data: the password (and code) must have been typed recently.

    Web requests older than `minutes` since the last sign-in or confirmation go to the confirmation
    page and come back. API requests are not affected: a token has no sign-in to refresh.
    """
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.blueprint != "api":
                fresh = session.get(FRESH_AT)
                if not isinstance(fresh, (int, float)) or time.time() - fresh > minutes * 60:
                    here = request.full_path if request.query_string else request.path
                    return redirect(url_for("accounts.reauth", next=here))
            return view(*args, **kwargs)

        return wrapper

    return decorate


UNTRUSTED_PROXY = ("requests arrive with X-Forwarded-For but TRUSTED_PROXIES is 0: every visitor seems to "
                   "come from the proxy's address, so one person's failed sign-ins and signatures slow "
                   "everyone down; set TRUSTED_PROXIES to the number of proxies in front of the app (README)")


def warn_of_untrusted_proxy() -> None:
    """Log once per app when a proxy we were not told about stands in front of us."""
    app = current_app._get_current_object()
    if app.extensions.get("security.proxy_warned") or app.config.get("TRUSTED_PROXIES"):
        return
    if "X-Forwarded-For" in request.headers:
        app.extensions["security.proxy_warned"] = True
        app.logger.warning(UNTRUSTED_PROXY)


def enforce_access():
    """before_request: the one place where every route's rule is checked."""
    warn_of_untrusted_proxy()
    enforce_session_lifetime()
    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404 / 405 follow
    level = needed_level(endpoint, request.method)
    if level == "public":
        return None
    is_api = request.blueprint == "api"
    user = g.get("api_user") if is_api else current_user
    if not getattr(user, "is_authenticated", False):
        if is_api:
            abort(401)
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
    if RANK[role_of(user)] < RANK[level]:
        abort(403, description=DENIED.format(role=role_of(user), level=level))
    return None


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def redact_secret_paths(app: Flask) -> list[str]:
    """Once every route is registered: their secret path parts never reach a log (core/redact)."""
    from core.redact import protect_paths

    return protect_paths(rule.rule for rule in app.url_map.iter_rules())


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:  # the remote address (throttling, audit) comes from X-Forwarded-For set by our proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    from core import limits
    from core.redact import install as install_log_redaction

    install_log_redaction()
    limits.init_app(app)  # outermost, and its 413 hook runs before CSRF reads any form
    csrf.init_app(app)
    app.before_request(enforce_access)
    app.after_request(set_security_headers)
