"""Sessions that really end: timeouts, sign out everywhere, password change; weaker hashes upgraded."""
from __future__ import annotations

import time

from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from accounts.models import User
from core.audit import AuditEvent
from core.db import db
from tests.conftest import CSRF_RE, PASSWORD, csrf_token, make_user


def stored_hash(app, email="campaigner@example.org") -> str:
    with app.app_context():
        return db.session.execute(select(User.password_hash).where(User.email == email)).scalar_one()


def set_hash(app, value, email="campaigner@example.org"):
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        user.password_hash = value
        db.session.commit()


def test_weaker_hashes_are_upgraded_at_sign_in(app, client, auth):
    make_user(app)
    weak = (generate_password_hash(PASSWORD, method="scrypt"),
            PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD))
    for old in weak:
        set_hash(app, old)
        auth.login("campaigner")
        new = stored_hash(app)
        assert new != old and new.startswith("$argon2id$v=19$m=47104,t=1,p=1$")
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


def test_a_wrong_password_against_an_old_hash_fails(app, client):
    make_user(app)
    set_hash(app, generate_password_hash(PASSWORD, method="scrypt"))
    response = client.post("/login", data={"email": "campaigner@example.org", "password": "not it at all",
                                           "csrf_token": csrf_token(client)})
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert stored_hash(app).startswith("scrypt:")


def test_an_idle_session_ends(client, auth, monkeypatch):
    auth.login()
    assert client.get("/account").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "signed out after a while without activity" in client.get("/login").get_data(as_text=True)


def test_an_active_session_still_ends_after_twelve_hours(client, auth, monkeypatch):
    auth.login()
    start = time.time()
    for minutes in range(0, 12 * 60, 25):  # busy all day: never idle for 30 minutes
        monkeypatch.setattr(time, "time", lambda: start + minutes * 60)
        assert client.get("/account").status_code == 200
    monkeypatch.setattr(time, "time", lambda: start + 12 * 3600 + 60)
    assert client.get("/account").status_code == 302
    assert "reached its time limit" in client.get("/login").get_data(as_text=True)


def test_the_session_cookie_is_not_kept_after_the_browser_closes(auth):
    cookie = next(c for c in auth.login().headers.getlist("Set-Cookie") if c.startswith("so_session="))
    assert "Expires=" not in cookie and "Max-Age" not in cookie  # no "remember me"


def test_sign_out_everywhere_ends_every_copy(app, client, auth):
    auth.login()
    laptop = app.test_client()
    auth.login(client=laptop)
    response = client.post("/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/account")})
    assert response.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302 and laptop.get("/account").status_code == 302
    with app.app_context():
        assert "sessions.end_all" in db.session.execute(select(AuditEvent.action)).scalars().all()


def test_changing_the_password_ends_other_sessions_but_not_this_one(app, client, auth):
    auth.login()
    other = app.test_client()
    auth.login(client=other)
    page = client.get("/account/password").get_data(as_text=True)
    new = "a completely different passphrase"
    response = client.post("/account/password", data={
        "current": PASSWORD, "new": new, "confirm": new, "csrf_token": CSRF_RE.search(page).group(1)})
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200 and other.get("/account").status_code == 302
    fresh = app.test_client()
    for password, location in ((PASSWORD, None), (new, "/")):
        response = fresh.post("/login", data={"email": "campaigner@example.org", "password": password,
                                              "csrf_token": csrf_token(fresh)})
        assert response.headers.get("Location") == location


def test_a_password_change_needs_the_current_password_and_a_long_new_one(app, client, auth):
    auth.login()
    for current, new, message in ((PASSWORD, "short", "at least 12 characters"),
                                  ("not my password", "a long enough passphrase", "is not your current password")):
        page = client.get("/account/password").get_data(as_text=True)
        response = client.post("/account/password", data={
            "current": current, "new": new, "confirm": new, "csrf_token": CSRF_RE.search(page).group(1)})
        assert message in response.get_data(as_text=True)


def test_bulk_exports_need_a_fresh_sign_in(config, monkeypatch):
    from app import create_app
    from core.security import access, fresh_login_required
    from tests.conftest import AuthActions

    app = create_app(config)

    @access("campaigner")
    @fresh_login_required(minutes=10)
    def export():
        return "all the people"

    app.add_url_rule("/test-export", "test_export", export)
    client = app.test_client()
    AuthActions(app, client).login()
    assert client.get("/test-export").get_data(as_text=True) == "all the people"
    later = time.time() + 11 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    client.get("/account")  # still signed in: only freshness has lapsed
    response = client.get("/test-export")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login/confirm?next=/test-export")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(response.headers["Location"], data={"password": PASSWORD,
                                                                "csrf_token": CSRF_RE.search(page).group(1)})
    assert response.headers["Location"] == "/test-export"
    assert client.get("/test-export").get_data(as_text=True) == "all the people"
