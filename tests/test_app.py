"""The application factory: configuration from the environment, start-up errors, health, headers."""
from __future__ import annotations

import pytest

from app import StartupError, create_app
from core.config import ConfigError, from_environment


def test_embedded_defaults(tmp_path):
    config = from_environment(tmp_path, env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert config["REDIS_URL"] is None
    assert config["MAIL_BACKEND"] == "outbox"
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_smtp_waits_as_rfc_5321_recommends_unless_told_otherwise(tmp_path):
    config = from_environment(tmp_path, env={"SMTP_FINAL_TIMEOUT": "900"})
    assert (config["SMTP_CONNECT_TIMEOUT"], config["SMTP_COMMAND_TIMEOUT"], config["SMTP_DATA_START_TIMEOUT"],
            config["SMTP_DATA_TIMEOUT"], config["SMTP_FINAL_TIMEOUT"]) == (300, 300, 120, 180, 900)
    assert config["SMTP_CONCURRENCY"] == 4


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = from_environment(tmp_path, env={})["SECRET_KEY"]
    second = from_environment(tmp_path, env={})["SECRET_KEY"]
    assert first == second and len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_postgres_urls_use_psycopg(tmp_path):
    config = from_environment(tmp_path, env={"DATABASE_URL": "postgres://u:p@db.internal/outreach"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/outreach"


def test_https_base_url_makes_cookies_secure(tmp_path):
    assert from_environment(tmp_path, env={"PUBLIC_BASE_URL": "https://outreach.example.org"})["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("env, fragment", [
    ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
    ({"DATABASE_URL": "mysql://x/y"}, "unsupported database"),
    ({"MAIL_BACKEND": "pigeon"}, "MAIL_BACKEND must be one of"),
    ({"SMTP_FINAL_TIMEOUT": "ten minutes"}, "SMTP_FINAL_TIMEOUT must be a number of seconds above 0"),
    ({"SMTP_CONCURRENCY": "0"}, "SMTP_CONCURRENCY must be a whole number above 0"),
])
def test_malformed_settings_are_named(tmp_path, env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        from_environment(tmp_path, env=env)


def test_malformed_database_url_stops_startup_with_one_line(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "::nonsense::")
    with pytest.raises(StartupError) as info:
        create_app()
    assert str(info.value.code).startswith("error: DATABASE_URL is not a database URL")
    assert "\n" not in str(info.value.code)


def test_unreachable_database_stops_startup_with_one_line():
    with pytest.raises(StartupError) as info:
        create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://127.0.0.1:1/none"})
    message = str(info.value.code)
    assert message.startswith("error: cannot reach the database postgresql+psycopg://127.0.0.1:1/none")
    assert "\n" not in message


def test_healthz_reports_database_and_redis(client):
    body = client.get("/healthz").get_json()
    assert body["database"] == "up"
    assert body["redis"].startswith("not configured")


def test_healthz_reports_redis_up(config, redis_url):
    app = create_app({**config, "REDIS_URL": redis_url})
    assert app.test_client().get("/healthz").get_json()["redis"] == "up"


def test_healthz_reports_redis_down(config):
    app = create_app({**config, "REDIS_URL": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "up", "redis": "down"}


def test_every_response_carries_security_headers(client):
    for path in ("/login", "/healthz", "/api/v1/openapi.json", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_pages_load_nothing_from_third_parties(client, auth):
    auth.login("admin")
    import re

    for path in ("/login", "/"):
        html = client.get(path).get_data(as_text=True)
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith("/") or url.startswith("#"), f"{path} loads {url}"


def test_a_route_without_an_access_rule_stops_startup(config):
    from flask import Blueprint

    import app as app_module

    rogue = Blueprint("rogue", __name__)
    rogue.add_url_rule("/rogue", "rogue", lambda: "open")
    original = app_module._register_blueprints

    def with_rogue(app):
        original(app)
        app.register_blueprint(rogue)

    app_module._register_blueprints = with_rogue
    try:
        with pytest.raises(RuntimeError, match="rogue.rogue"):
            create_app(config)
    finally:
        app_module._register_blueprints = original
