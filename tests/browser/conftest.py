"""Browser tests: the app served on 127.0.0.1 by a real WSGI server, driven by Playwright in Chromium.

Playwright cannot download its own browser here: it drives Debian's `chromium` package.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import CI

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if CI:
            pytest.fail(f"Chromium not found at {CHROMIUM} under CI=true")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test; any JavaScript error on any page fails the test."""
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def sign_in(page, app, role: str = "campaigner") -> str | None:
    """Sign in through the pages; an admin enrols an authenticator first. Returns its secret, if any."""
    import pyotp

    from tests.conftest import PASSWORD, make_user

    email = f"{role}@example.org"
    make_user(app, email, role)
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    secret = None
    if page.url.endswith("/login/enrol"):
        secret = page.locator("#totp-secret").inner_text().strip()
        page.fill("#code", pyotp.TOTP(secret).now())
        page.click("button[type=submit]")
        page.click("text=I have written them down")
    page.wait_for_url("**/")
    return secret
