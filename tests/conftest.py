"""Fixtures: an app per test on a clean database (SQLite file and real PostgreSQL), real Redis.

Every test that takes `app` runs twice, once per database. The schema is built once per test
process through the real migrations, then each test starts from empty tables.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DATA_ENCRYPTION_KEY", "dGVzdC1kYXRhLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
os.environ.setdefault("DATA_LOOKUP_KEY", "dGVzdC1sb29rdXAta2V5LW5vdC1mb3ItcHJvZHVjdGk=")
os.environ.pop("REDIS_URL", None)
os.environ.pop("DATABASE_URL", None)

CI = os.environ.get("CI", "").lower() == "true"
PG_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
DATABASES = [d for d in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if d]
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_NUM = int(re.sub(r"\D", "", WORKER) or 0)


def service_missing(what: str, detail: str):
    """Without CI a missing service skips its tests; under CI it fails them."""
    if CI:
        pytest.fail(f"{what} is not reachable under CI=true: {detail}")
    pytest.skip(f"{what} not reachable: {detail}")


def _migrate(url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        from core.db import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_schema():
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_BASE)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        yield None, str(exc).splitlines()[0]
        return
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    try:
        _migrate(url)
        with engine.connect() as conn:
            tables = [r[0] for r in conn.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"),
                {"s": schema})]
        yield (url, tables), None
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "app.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    info, error = request.getfixturevalue("pg_schema")
    if info is None:
        service_missing("PostgreSQL", error)
    url, tables = info
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if tables:
            conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def config(database_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "REDIS_URL": None,
        "SERVER_NAME": None,
    }


@pytest.fixture
def app(config):
    from app import create_app

    app = create_app(config)
    yield app
    with app.app_context():
        from core.db import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture(params=DATABASES)
def unmigrated_app(request, tmp_path):
    """An app on a database of this test's own with no schema yet, to migrate step by step."""
    from app import create_app
    from core.db import db

    schema = engine = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    else:
        schema, engine = f"m_{uuid.uuid4().hex[:10]}", sa.create_engine(PG_BASE)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as exc:
            engine.dispose()
            service_missing("PostgreSQL", str(exc).splitlines()[0])
        url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "OUTBOX_DIR": str(tmp_path / "outbox"),
                      "REDIS_URL": None, "SERVER_NAME": None})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if schema:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_url():
    """A Redis database of this test process's own, emptied for each test."""
    import redis

    url = f"{REDIS_BASE}/{1 + WORKER_NUM % 15}"
    conn = redis.Redis.from_url(url)
    try:
        conn.flushdb()
    except redis.exceptions.ConnectionError as exc:
        service_missing("Redis", str(exc))
    yield url
    conn.flushdb()
    conn.close()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, page: str = "/login") -> str:
    """The CSRF token a real browser would find in a page's form."""
    html = client.get(page).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token in {page}"
    return match.group(1)


PASSWORD = "correct horse battery staple"


def make_user(app, email: str = "campaigner@example.org", role: str = "campaigner"):
    from accounts.services import create_user

    with app.app_context():
        user = create_user(email, role, PASSWORD)
        return user.id


class AuthActions:
    """Signs in through the real pages: password, then the two-factor step admins must take.

    An admin's first sign-in enrols an authenticator (the secret read from the page, as a person
    would type it); later sign-ins type a fresh code, or a recovery code when the codes of this
    30-second window are used up (each code works once).
    """

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.secrets: dict[str, str] = {}
        self.recovery: dict[str, list[str]] = {}
        self.last_step: dict[str, int] = {}

    def login(self, role: str = "campaigner", email: str | None = None, client=None):
        client = client or self.client
        email = email or f"{role}@example.org"
        with self.app.app_context():
            from sqlalchemy import select

            from accounts.models import User
            from core.db import db

            if db.session.execute(select(User.id).where(User.email == email)).first() is None:
                make_user(self.app, email, role)
        token = csrf_token(client)
        response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        location = response.headers["Location"]
        if location == "/login/enrol":
            return self.enrol(client, email)
        if location == "/login/code":
            response = client.post("/login/code", data={"code": self.code(email), "csrf_token": csrf_token(client, "/login/code")})
            assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def enrol(self, client, email: str, page: str = "/login/enrol"):
        html = client.get(page).get_data(as_text=True)
        secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', html).group(1)
        self.secrets[email] = secret
        response = client.post(page, data={"code": self.code(email), "csrf_token": CSRF_RE.search(html).group(1)})
        assert response.status_code == 200, response.get_data(as_text=True)
        self.recovery[email] = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
        assert len(self.recovery[email]) == 10
        return response

    def code(self, email: str) -> str:
        import time

        import pyotp

        current = int(time.time() // 30)
        step = max(current, self.last_step.get(email, -1) + 1)
        if step > current + 1:
            return self.recovery[email].pop()
        self.last_step[email] = step
        return pyotp.TOTP(self.secrets[email]).at(step * 30)

    def token(self, role: str = "campaigner") -> str:
        from accounts.services import find_user, issue_token

        email = f"api-{role}@example.org"
        make_user(self.app, email, role)
        with self.app.app_context():
            return issue_token(find_user(email))


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)
