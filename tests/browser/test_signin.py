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


def test_the_phone_menu_is_a_button_a_keyboard_and_a_screen_reader_can_use(phone, app):
    sign_in(phone, app)
    nav_link = phone.get_by_role("link", name="Contacts")
    menu = phone.get_by_role("button", name="Menu")
    assert not nav_link.is_visible() and menu.get_attribute("aria-expanded") == "false"
    menu.focus()
    phone.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true" and nav_link.is_visible()
    phone.keyboard.press("Tab")  # the first entry of the menu comes next
    assert phone.evaluate("document.activeElement.textContent") == "Dashboard"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"


def test_without_javascript_the_phone_menu_stays_open(browser, live_server, app):
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, app)
        assert page.get_by_role("link", name="Contacts").is_visible()
        assert not page.get_by_role("button", name="Menu").is_visible()
    finally:
        context.close()
