"""The application factory: configuration, extensions, blueprints, CLI, error handlers, headers."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, make_response, render_template, request
from flask_login import LoginManager
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from werkzeug.exceptions import HTTPException

from core import api as core_api
from core import localtime, security
from core.config import ConfigError, from_environment
from core.errors import Conflict, DomainError
from core.db import db, migrate

login_manager = LoginManager()


class StartupError(SystemExit):
    """Start-up cannot go on: printed as one line by the command line, testable in code."""

    def __init__(self, message: str):
        super().__init__(f"error: {message}")
        self.message = message


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    try:
        app.config.update(from_environment(instance))
    except ConfigError as exc:
        raise StartupError(str(exc)) from None
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="so_session",
        WTF_CSRF_TIME_LIMIT=None,  # the token is bound to the session, which has its own lifetime
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    )
    if config:
        app.config.update(config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    login_manager.init_app(app)
    core_api.init_app(app)  # loads the API caller before the access check runs
    security.init_app(app)
    localtime.init_app(app)

    _register_blueprints(app)
    _register_cli(app)
    _register_error_handlers(app)
    _register_navigation(app)

    security.redact_secret_paths(app)
    missing = security.routes_without_rule(app)
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(missing)}")
    if not app.config.get("SKIP_DB_CHECK"):
        _check_database(app)
    return app


def _check_database(app: Flask) -> None:
    with app.app_context():
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            url = db.engine.url.render_as_string(hide_password=True)
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise StartupError(f"cannot reach the database {url}: {reason}") from None


# Packages whose `bp` blueprint is registered, and modules whose routes attach to the API blueprint.
BLUEPRINTS = (
    "core.health",
    "accounts",
    "contacts",
    "campaigns",
    "campaigns.cases",
    "campaigns.appeals",
    "campaigns.mailings",
    "campaigns.responses",
    "campaigns.responses.webhooks",
    "campaigns.drives",
    "campaigns.senders",
)
API_MODULES = (
    "accounts.api",
    "contacts.api",
    "campaigns.api",
    "campaigns.cases.api",
    "campaigns.appeals.api",
    "campaigns.mailings.api",
    "campaigns.responses.api",
    "campaigns.drives.api",
    "campaigns.senders.api",
)


def _register_blueprints(app: Flask) -> None:
    import importlib

    for name in API_MODULES:
        importlib.import_module(name)
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    app.register_blueprint(core_api.bp)


# (module, attribute) of every command-line group or command.
COMMANDS = (
    ("accounts.cli", "users_cli"),
    ("campaigns.cli", "demo_command"),
    ("campaigns.appeals.cli", "templates_cli"),
    ("core.worker", "worker_command"),
    ("contacts.cli", "contacts_cli"),
    ("core.keys", "keys_cli"),
    ("campaigns.mailings.cli", "mailings_cli"),
    ("campaigns.drives.cli", "drives_cli"),
)


def _register_cli(app: Flask) -> None:
    import importlib

    for module, attribute in COMMANDS:
        app.cli.add_command(getattr(importlib.import_module(module), attribute))


NAVIGATION = (
    ("campaigns.dashboard", "Dashboard"),
    ("campaigns.campaign_list", "Campaigns"),
    ("contacts.index", "Contacts"),
    ("cases.index", "Cases"),
    ("appeals.index", "Templates"),
    ("mailings.index", "Mailings"),
    ("responses.index", "Responses"),
    ("drives.index", "Drives"),
    ("senders.index", "Senders"),
)


def current_nav(items: list[tuple[str, str, str]], endpoint: str | None, path: str) -> str | None:
    """The one menu entry a page belongs to: its own endpoint, else the entry whose address is the
    longest start of the page's path ("/" only for the dashboard itself, which owns no sub-pages)."""
    if any(e == endpoint for e, _, _ in items):
        return endpoint
    within = [(len(url), e) for e, _, url in items if url != "/" and path.startswith(url)]
    return max(within)[1] if within else None


def _register_navigation(app: Flask) -> None:
    from flask import url_for

    items = [(endpoint, label) for endpoint, label in NAVIGATION if endpoint in app.view_functions]

    @app.context_processor
    def navigation():
        if not has_request_context():
            return {"nav_items": items, "nav_current": None}
        with_urls = [(e, label, url_for(e)) for e, label in items]
        return {"nav_items": items, "nav_current": current_nav(with_urls, request.endpoint, request.path)}


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return core_api._http_error(exc)
        if exc.code and exc.code < 400:
            return exc
        return core_api.with_allow(make_response(render_template("errors/error.html", error=exc), exc.code), exc)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        """A service refused (not found, conflict, bad input) where no view handled it itself."""
        if request.path.startswith("/api/"):
            return core_api._domain_error(exc)
        from werkzeug.exceptions import default_exceptions

        http = default_exceptions.get(exc.status, default_exceptions[400])(description=exc.message)
        return render_template("errors/error.html", error=http), http.code

    @app.errorhandler(ObjectDeletedError)
    @app.errorhandler(StaleDataError)
    def changed_meanwhile(exc):
        """Another request deleted or changed the row between our read and our write."""
        db.session.rollback()
        return domain_error(Conflict("this was changed or deleted at the same time; reload it and try again"))

    @app.errorhandler(500)
    def server_error(exc):
        if request.path.startswith("/api/"):
            return core_api.error(500, "server_error", "something went wrong on our side")
        return render_template("errors/error.html", error=None), 500


@login_manager.user_loader
def _load_user(session_id: str):
    from accounts.models import User

    user_id, _, version = session_id.partition(".")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@core_api.token_loader
def _load_token_user(raw: str):
    from accounts.services import user_for_token

    return user_for_token(raw)


