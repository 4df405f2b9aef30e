"""Invitations (once, for 48 hours) and the staff page: roles and deactivation, all audited."""
from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path

from sqlalchemy import select

from accounts.models import Invitation, User
from core.audit import AuditEvent
from core.db import db
from tests.conftest import CSRF_RE, PASSWORD, csrf_token, make_user

NEW_PASSWORD = "a long passphrase of my own"


def invite(client, email="new@example.org", role="campaigner"):
    return client.post("/admin/invitations", data={"email": email, "role": role,
                                                   "csrf_token": csrf_token(client, "/admin/users")})


def mailed_link(config) -> str:
    files = sorted(Path(config["OUTBOX_DIR"]).glob("*.eml"))
    assert files, "no invitation was mailed"
    body = message_from_bytes(files[-1].read_bytes()).get_payload(decode=True).decode()
    return re.search(r"http://\S+/invite/(\S+)", body).group(0)


def accept(client, link, password=NEW_PASSWORD):
    path = link.split("5000", 1)[1]
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"name": "New Person", "new": password, "confirm": password,
                                   "csrf_token": CSRF_RE.search(page.get_data(as_text=True)).group(1)})


def actions(app):
    with app.app_context():
        return db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()


def test_an_invitation_link_works_once(app, client, auth, config):
    auth.login("admin")
    assert invite(client).status_code == 302
    link = mailed_link(config)
    assert "/invite/so_inv_" in link
    visitor = app.test_client()
    response = accept(visitor, link)
    assert response.headers["Location"] == "/login"
    login = visitor.post("/login", data={"email": "new@example.org", "password": NEW_PASSWORD,
                                         "csrf_token": csrf_token(visitor)})
    assert login.headers["Location"] == "/"
    again = accept(app.test_client(), link)
    assert again.status_code == 404 and "used already" in again.get_data(as_text=True)
    assert {"user.invite", "user.accept_invitation"} <= set(actions(app))
    with app.app_context():
        assert db.session.execute(select(Invitation.token_hash)).scalar_one() not in link


def test_an_invitation_expires_after_48_hours(app, client, auth, config):
    auth.login("admin")
    invite(client)
    link = mailed_link(config)
    with app.app_context():
        row = db.session.execute(select(Invitation)).scalar_one()
        assert row.expires_at - row.created_at == timedelta(hours=48)
        row.expires_at = row.created_at - timedelta(seconds=1)
        db.session.commit()
    response = accept(app.test_client(), link)
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)


def test_an_invited_admin_enrols_two_factor_at_first_sign_in(app, client, auth, config):
    auth.login("admin")
    invite(client, "second-admin@example.org", "admin")
    visitor = app.test_client()
    accept(visitor, mailed_link(config))
    response = visitor.post("/login", data={"email": "second-admin@example.org", "password": NEW_PASSWORD,
                                            "csrf_token": csrf_token(visitor)})
    assert response.headers["Location"] == "/login/enrol"


def test_a_new_invitation_replaces_the_old_one_and_existing_accounts_are_refused(app, client, auth, config):
    auth.login("admin")
    invite(client)
    first = mailed_link(config)
    invite(client)
    assert accept(app.test_client(), first).status_code == 404
    response = invite(client, "admin@example.org")
    assert "already has an account" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_short_password_is_refused_on_the_invitation_page(app, client, auth, config):
    auth.login("admin")
    invite(client)
    response = accept(app.test_client(), mailed_link(config), password="short")
    assert response.status_code == 200 and "at least 12 characters" in response.get_data(as_text=True)


def test_changing_a_role_is_audited_and_ends_their_sessions(app, client, auth):
    auth.login("admin")
    other = app.test_client()
    auth.login("viewer", client=other)
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.email == "viewer@example.org")).scalar_one()
    client.post(f"/admin/users/{uid}/role", data={"role": "campaigner", "csrf_token": csrf_token(client, "/admin/users")})
    with app.app_context():
        assert db.session.get(User, uid).role == "campaigner"
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.role_change")).scalar_one()
        assert event.detail == {"from": "viewer", "to": "campaigner"} and event.actor_email == "admin@example.org"
    assert other.get("/account").status_code == 302


def test_the_last_admin_cannot_be_demoted_or_deactivate_themselves(app, client, auth):
    auth.login("admin")
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.email == "admin@example.org")).scalar_one()
    token = csrf_token(client, "/admin/users")
    page = client.post(f"/admin/users/{uid}/role", data={"role": "viewer", "csrf_token": token}, follow_redirects=True)
    assert "last active admin" in page.get_data(as_text=True)
    page = client.post(f"/admin/users/{uid}/deactivate", data={"csrf_token": token}, follow_redirects=True)
    assert "cannot deactivate your own account" in page.get_data(as_text=True)


def test_a_deactivated_account_loses_its_sessions_and_tokens(app, client, auth):
    auth.login("admin")
    token = auth.token("campaigner")
    staff = app.test_client()
    auth.login("campaigner", client=staff)
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.email == "campaigner@example.org")).scalar_one()
        api_uid = db.session.execute(select(User.id).where(User.email == "api-campaigner@example.org")).scalar_one()
    for target in (uid, api_uid):
        client.post(f"/admin/users/{target}/deactivate", data={"csrf_token": csrf_token(client, "/admin/users")})
    assert staff.get("/account").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    response = staff.post("/login", data={"email": "campaigner@example.org", "password": PASSWORD,
                                          "csrf_token": csrf_token(staff)})
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert actions(app).count("user.deactivate") == 2


def test_the_staff_page_lists_accounts(app, client, auth):
    make_user(app, "someone@example.org", "viewer")
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "someone@example.org" in page and "admin@example.org" in page and "Send invitation" in page
