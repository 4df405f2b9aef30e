"""Browser tests: the app served on 127.0.0.1 by a real WSGI server, driven by Playwright in Chromium.

Playwright cannot download its own browser here: it drives Debian's `chromium` package.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import CI, DATABASES

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


# axe-core (shipped by axe-playwright-python) checks every page a browser test visits, at desktop width
# and at 390 px, and any violation fails the test. The markup is the same on both databases, so the
# check runs with the first one only.
AXE_WIDTHS = ((1280, 800), (390, 844))


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it stands, one line each (rule, impact, where)."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}) at {page.url}: {v['help']}: "
            + "; ".join(" ".join(n["target"]) if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:4]) for v in found]


def check_accessibility(page) -> None:
    """axe on the current page state at each width (the viewport is put back afterwards)."""
    size = page.viewport_size
    problems = []
    for width, height in AXE_WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => new Promise(requestAnimationFrame)")  # laid out again at this width
        problems += [f"{width} px: {line}" for line in axe_violations(page)]
    page.set_viewport_size(size)
    assert problems == [], "accessibility violations:\n" + "\n".join(problems)


class VisitedPages:
    """Every address a test's pages loaded; revisited for axe when the test ends."""

    def __init__(self):
        self.urls: list[str] = []

    def watch(self, page) -> None:
        def seen(frame):
            if frame == page.main_frame and frame.url.startswith("http") and frame.url not in self.urls:
                self.urls.append(frame.url)
        page.on("framenavigated", seen)

    def check(self, context, request) -> None:
        if request.node.get_closest_marker("no_axe") or not self.urls:
            return
        database = request.node.callspec.params.get("database_url") if hasattr(request.node, "callspec") else None
        if database not in (None, DATABASES[0]):
            return
        page = context.new_page()
        problems = []
        for url in self.urls:
            page.goto(url, wait_until="load")
            try:
                check_accessibility(page)
            except AssertionError as exc:
                problems.append(str(exc))
        page.close()
        assert problems == [], "\n".join(problems)


def _context_page(browser, live_server, request, **options):
    context = browser.new_context(base_url=live_server, **options)
    page = context.new_page()
    visited = VisitedPages()
    visited.watch(page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, visited, errors


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context per test; any JavaScript error on any page fails the test, and so does
    any accessibility violation on a page the test visited."""
    context, page, visited, errors = _context_page(browser, live_server, request)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    try:
        assert errors == [], f"JavaScript errors: {errors}"
        visited.check(context, request)
    finally:
        context.close()


@pytest.fixture
def phone(browser, live_server, request):
    context, page, visited, errors = _context_page(browser, live_server, request,
                                                   viewport={"width": 360, "height": 740},
                                                   is_mobile=True, has_touch=True)
    yield page
    try:
        assert errors == [], f"JavaScript errors: {errors}"
        visited.check(context, request)
    finally:
        context.close()


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
