"""Two-factor sign-in: enrolment with a server-drawn QR code, codes usable once, recovery codes."""
from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import Text, select, type_coerce

from accounts.models import RecoveryCode, User
from core.audit import AuditEvent
from core.db import db
from tests.conftest import CSRF_RE, PASSWORD, csrf_token, make_user


def password_step(client, email):
    return client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)})


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_an_admin_must_enrol_before_being_signed_in(app, client):
    make_user(app, "admin@example.org", "admin")
    response = password_step(client, "admin@example.org")
    assert response.headers["Location"] == "/login/enrol"
    assert not signed_in(client)  # the password alone is not enough
    page = client.get("/login/enrol").get_data(as_text=True)
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page and 'aria-label="QR code' in page and "http" not in page.split("<svg")[1].split("</svg>")[0]
    response = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now(),
                                                 "csrf_token": CSRF_RE.search(page).group(1)})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10 and signed_in(client)
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "admin@example.org")).scalar_one()
        assert user.two_factor_enabled
        stored = db.session.execute(select(type_coerce(User.totp_secret, Text))).scalar_one()
        assert secret not in stored and stored.startswith("v1:")  # encrypted at rest
        hashes = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
        assert not set(codes) & set(hashes)


def test_a_wrong_enrolment_code_does_not_turn_two_factor_on(app, client):
    make_user(app, "admin@example.org", "admin")
    password_step(client, "admin@example.org")
    client.get("/login/enrol")
    response = client.post("/login/enrol", data={"code": "000000", "csrf_token": csrf_token(client, "/login/enrol")})
    assert "That code is not right" in response.get_data(as_text=True) and not signed_in(client)


def test_campaigners_sign_in_with_a_password_unless_everyone_must_use_two_factor(config):
    from app import create_app

    for policy, location in (("admins", "/"), ("all", "/login/enrol")):
        app = create_app({**config, "REQUIRE_2FA": policy})
        client = app.test_client()
        email = f"{policy}@example.org"
        make_user(app, email, "campaigner")
        assert password_step(client, email).headers["Location"] == location


def test_require_2fa_is_read_from_the_environment(tmp_path):
    from core.config import ConfigError, from_environment

    assert from_environment(tmp_path, env={})["REQUIRE_2FA"] == "admins"
    assert from_environment(tmp_path, env={"REQUIRE_2FA": "all"})["REQUIRE_2FA"] == "all"
    try:
        from_environment(tmp_path, env={"REQUIRE_2FA": "nobody"})
    except ConfigError as exc:
        assert "REQUIRE_2FA must be one of admins, all" in str(exc)
    else:
        raise AssertionError("a bad REQUIRE_2FA was accepted")


def test_a_code_works_only_once(app, auth):
    auth.login("admin")
    auth.client.post("/logout", data={"csrf_token": csrf_token(auth.client, "/account")})
    secret = auth.secrets["admin@example.org"]
    used = pyotp.TOTP(secret).at(auth.last_step["admin@example.org"] * 30)
    client = app.test_client()
    password_step(client, "admin@example.org")
    response = client.post("/login/code", data={"code": used, "csrf_token": csrf_token(client, "/login/code")})
    assert "That code is not right, or it has been used already." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_a_fresh_code_completes_sign_in_and_is_audited(app, auth):
    auth.login("admin")
    client = app.test_client()
    password_step(client, "admin@example.org")
    code = auth.code("admin@example.org")
    response = client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login/code")})
    assert response.status_code == 302 and signed_in(client)
    with app.app_context():
        methods = [e.detail.get("method") for e in db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "signin.success")).scalars()]
    assert methods == ["totp", "totp"]


def test_a_recovery_code_works_once(app, auth):
    auth.login("admin")
    code = auth.recovery["admin@example.org"][0]
    for expected in (True, False):
        client = app.test_client()
        password_step(client, "admin@example.org")
        response = client.post("/login/code", data={"code": code.upper(), "csrf_token": csrf_token(client, "/login/code")})
        assert signed_in(client) is expected, response.get_data(as_text=True)


def test_the_code_step_expires(app, auth, monkeypatch):
    auth.login("admin")
    client = app.test_client()
    password_step(client, "admin@example.org")
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    assert "This step of signing in has expired" in client.get("/login/code").get_data(as_text=True)


def test_the_code_page_without_a_password_step_asks_to_sign_in(client):
    assert "Sign in again" in client.get("/login/code").get_data(as_text=True)


def test_a_campaigner_can_turn_two_factor_on_and_make_new_recovery_codes(app, client, auth):
    auth.login("campaigner")
    assert "Turn on two-factor" in client.get("/account").get_data(as_text=True)
    auth.enrol(client, "campaigner@example.org", page="/account/two-factor")
    old = set(auth.recovery["campaigner@example.org"])
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "10 recovery codes left" in page
    response = client.post("/account/two-factor", data={"code": auth.code("campaigner@example.org"),
                                                        "csrf_token": CSRF_RE.search(page).group(1)})
    new = set(re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True)))
    assert len(new) == 10 and not new & old
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert password_step(client, "campaigner@example.org").headers["Location"] == "/login/code"


def test_an_admin_can_reset_a_lost_second_factor(app, client, auth):
    auth.login("campaigner")
    auth.enrol(client, "campaigner@example.org", page="/account/two-factor")
    admin = app.test_client()
    auth.login("admin", client=admin)
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.email == "campaigner@example.org")).scalar_one()
    admin.post(f"/admin/users/{uid}/reset-two-factor", data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert not signed_in(client)  # the reset ended their sessions
    assert password_step(client, "campaigner@example.org").headers["Location"] == "/"
