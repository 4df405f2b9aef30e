"""The mailing pages on a phone: compose, review with its samples, and progress fit a 360 px screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.campaigns.mailings.factories import make_case, make_contacts, make_template

pytestmark = pytest.mark.browser


def _fits(phone) -> None:
    # Measure the laid-out page: a layout forced before the stylesheet arrives is unstyled and wide.
    phone.wait_for_load_state("load")
    width = phone.evaluate("document.documentElement.scrollWidth")
    if width > 360:
        print("too wide:", phone.evaluate("""[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 362 || e.scrollWidth > e.clientWidth + 2)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('\\n')"""))
    assert width <= 360, f"{phone.url} is {width} px wide on a 360 px screen"


def test_compose_review_and_progress_fit_a_phone(app, phone):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the pages are the same on both databases")
    with app.app_context():
        make_contacts(3)
        make_template(body="{{ contact.salutation }},\n\n" + "A long line of the appeal without breaks " * 8
                      + "\n\nhttps://example.org/a/very/long/link/that/must/wrap/on/a/small/screen/somehow")
        make_case()
    sign_in(phone, app, "campaigner")
    phone.goto("/mailings/new")
    _fits(phone)
    phone.fill("#name", "Appeal for Aigul")
    phone.select_option("#template_id", label="Appeal")
    phone.select_option("#case_ids", label="Aigul Example")
    phone.fill("#tags", "envoys")
    phone.fill("#from_email", "campaigns@example.net")
    phone.click("button:has-text('Review')")
    expect(phone.locator("#recipients")).to_have_text("3")
    _fits(phone)
    phone.on("dialog", lambda dialog: dialog.accept())
    phone.click("#send")  # no Redis here: the jobs run in-process and the page shows the result
    expect(phone.locator('[data-field="counts.sent"]')).to_have_text("3")
    _fits(phone)
    phone.goto("/mailings/")
    _fits(phone)
