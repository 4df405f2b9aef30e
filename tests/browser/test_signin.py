"""Signing in and out in a real browser, on a desktop and on a phone."""
from __future__ import annotations

from tests.browser.conftest import sign_in


def test_sign_in_reaches_the_dashboard_and_sign_out_leaves(page, app):
    sign_in(page, app)
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.get_by_role("navigation", name="Main").is_visible()
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def test_wrong_password_shows_a_message(page, app):
    from tests.conftest import make_user

    make_user(app, "someone@example.org")
    page.goto("/login")
    page.fill("#email", "someone@example.org")
    page.fill("#password", "not the right one")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "Wrong email or password."


def test_phone_menu_opens_without_javascript_tricks(phone, app):
    sign_in(phone, app)
    nav_link = phone.get_by_role("link", name="Contacts")
    assert not nav_link.is_visible()
    phone.click("label[for=nav-toggle]")
    assert nav_link.is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"
