"""Two-factor sign-in in a real browser: enrol with the QR code page, then sign in with a code."""
from __future__ import annotations

import time

import pyotp

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD


def test_an_admin_enrols_then_signs_in_with_a_code(page, app):
    secret = sign_in(page, app, "admin")
    assert secret and page.locator("h1").inner_text() == "Dashboard"
    page.click("text=Sign out")
    page.wait_for_url("**/login")

    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code")
    page.fill("#code", "123456" if pyotp.TOTP(secret).now() != "123456" else "654321")
    page.click("button[type=submit]")
    assert "not right" in page.get_by_role("alert").inner_text()
    # the enrolment code used this time step; the next one is accepted early (clock drift)
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == "Dashboard"


def test_the_enrolment_page_draws_its_qr_code_itself_and_fits_a_phone(phone, app):
    from tests.conftest import make_user

    make_user(app, "admin@example.org", "admin")
    requests = []
    phone.on("request", lambda r: requests.append(r.url))
    phone.goto("/login")
    phone.fill("#email", "admin@example.org")
    phone.fill("#password", PASSWORD)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/login/enrol")
    assert phone.get_by_role("img", name="QR code for your authenticator app").is_visible()
    assert all(url.startswith(phone.url.split("/login")[0]) for url in requests)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
