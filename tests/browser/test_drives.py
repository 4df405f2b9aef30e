"""The public drive page in a real browser: on a 360px phone, and with JavaScript turned off."""
from __future__ import annotations

import pytest

from tests.campaigns.drives.helpers import make_drive

pytestmark = pytest.mark.browser


@pytest.fixture
def config(config):
    return {**config, "DRIVE_STATS_SECONDS": 0}


def test_a_phone_reader_signs_in_russian_without_sideways_scrolling(phone, app):
    make_drive(app, goal=10)
    requests: list[str] = []
    phone.on("request", lambda r: requests.append(r.url))
    phone.goto("/drives/free-aigerim?lang=ru")
    assert phone.locator("h1").inner_text() == "Свободу Айгерим"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.fill("#name", "Айгерим Нурлановна")
    phone.fill("#city", "Алматы")
    phone.select_option("#country", "KZ")
    phone.check("input[name=display][value=anonymous]")
    phone.get_by_role("button", name="Подписать письмо").click()
    assert phone.get_by_role("status").inner_text() == "Спасибо: ваша подпись учтена."
    phone.goto("/drives/free-aigerim?lang=ru")
    assert phone.locator(".recent li").first.inner_text() == "сторонник из города Алматы"
    assert phone.locator("progress").get_attribute("value") == "1"
    assert all(url.startswith(phone.url.split("/drives/")[0]) for url in requests)  # nothing from elsewhere


def test_the_page_works_with_javascript_turned_off(browser, live_server, app):
    make_drive(app)
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto("/drives/free-aigerim", wait_until="load")
        box = page.locator(".hp").bounding_box()
        assert box["x"] + box["width"] <= 0  # the honeypot is out of sight
        page.fill("#name", "<script>alert(1)</script>")
        page.fill("#city", "Astana")
        page.select_option("#country", "KZ")
        page.check("input[name=display][value=full]")  # anonymous unless the supporter chooses otherwise
        with page.expect_navigation(wait_until="load"):  # a plain form post: wait for its answer page
            page.click("button[type=submit]")
        assert "your signature is counted" in page.content()
        page.goto("/drives/free-aigerim")
        assert page.locator(".recent li").first.inner_text() == "<script>alert(1)</script>, Astana"
        assert page.locator(".count").inner_text() == "1"
    finally:
        context.close()


def test_after_a_failed_submit_focus_is_on_the_error_summary_and_the_page_says_so(phone, app):
    from tests.browser.conftest import check_accessibility

    make_drive(app)
    phone.goto("/drives/free-aigerim?lang=kk", wait_until="load")
    assert phone.locator("h1").get_attribute("lang") == "en"  # no Kazakh letter yet: the English one, marked
    phone.fill("#city", "Astana")
    phone.select_option("#country", "KZ")
    phone.evaluate("document.getElementById('name').removeAttribute('required')")  # as a browser without checks
    with phone.expect_navigation(wait_until="load"):
        phone.click("button[type=submit]")
    assert phone.title().startswith("Белгіленген өрістерді түзетіңіз. · ")
    assert phone.evaluate("document.activeElement.id") == "sign-errors"
    check_accessibility(phone)  # the error state itself, not only the pages revisited afterwards
