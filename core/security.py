"""Permissions, CSRF and security headers, applied in one place for every route.

Every view declares who may use it with `@access(...)`; `create_app` refuses to start while any
route lacks a rule, so a new page cannot ship unguarded.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

LEVELS = ("public", "viewer", "campaigner", "admin")
RANK = {name: i for i, name in enumerate(LEVELS)}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

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


def enforce_access():
    """before_request: the one place where every route's rule is checked."""
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
        abort(403)
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


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(enforce_access)
    app.after_request(set_security_headers)
