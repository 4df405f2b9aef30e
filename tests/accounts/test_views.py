"""Sign-in, sign-out, sessions, CSRF and roles on the web pages."""
from __future__ import annotations

from tests.conftest import PASSWORD, csrf_token, make_user


def session_cookie(response) -> str:
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("so_session="))


def test_signing_in_reaches_the_dashboard(client, auth):
    response = auth.login("campaigner")
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Dashboard" in page and "campaigner@example.org" in page


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/contacts/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_wrong_password_and_unknown_account_get_the_same_message(app, client):
    make_user(app, "known@example.org")
    answers = []
    for email, password in (("known@example.org", "wrong password here"), ("nobody@example.org", PASSWORD)):
        response = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})
        answers.append((response.status_code, "Wrong email or password." in response.get_data(as_text=True)))
    assert answers == [(200, True), (200, True)]


def test_sign_in_without_csrf_token_is_refused(app, client):
    make_user(app, "known@example.org")
    response = client.post("/login", data={"email": "known@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_next_parameter_cannot_leave_the_site(app, client):
    make_user(app, "known@example.org")
    response = client.post("/login?next=//evil.example.com/x",
                           data={"email": "known@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(app, client, auth):
    response = auth.login()
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_behind_https(config):
    from app import create_app

    app = create_app({**config, "SESSION_COOKIE_SECURE": True})
    client = app.test_client()
    make_user(app, "known@example.org")
    response = client.post("/login", data={"email": "known@example.org", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert "Secure" in session_cookie(response)


def test_signing_out_revokes_a_copied_session_cookie(app, client, auth):
    auth.login()
    stolen = client.get_cookie("so_session").value
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("so_session", stolen)
    assert thief.get("/").status_code == 302  # the copy no longer signs anyone in


def test_passwords_are_stored_with_argon2id(app):
    from sqlalchemy import select

    from accounts.models import User
    from core.db import db

    make_user(app, "known@example.org")
    with app.app_context():
        stored = db.session.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_viewer_can_read_but_not_change(client, auth):
    auth.login("viewer")
    assert client.get("/contacts/").status_code == 200
    token = csrf_token(client, "/")
    # Any write through a page that a viewer may read is refused.
    assert client.post("/contacts/", data={"csrf_token": token}).status_code in (403, 405)


def test_a_user_chooses_their_time_zone_from_the_iana_list(client, auth):
    from tests.conftest import csrf_token

    auth.login("campaigner")
    page = client.get("/account").get_data(as_text=True)
    assert "<option selected>UTC</option>" in page and "<option>Asia/Almaty</option>" in page
    assert "data-browser-zone" in page  # not chosen yet: the browser's zone is suggested
    token = csrf_token(client, "/account")
    bad = client.post("/account/time-zone", data={"csrf_token": token, "time_zone": "Mars/Olympus"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Time zone: choose a time zone from the list." in bad
    good = client.post("/account/time-zone", data={"csrf_token": token, "time_zone": "Asia/Almaty"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Times are now shown in Asia/Almaty." in good and "<option selected>Asia/Almaty</option>" in good
    assert "data-browser-zone" not in good
