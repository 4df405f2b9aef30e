"""Response dashboards and the evidence export, in a real browser."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.campaigns.responses.factories import PUBLIC_KEY, event, make_mailing, post_events

pytestmark = pytest.mark.browser


@pytest.fixture
def config(config):
    return {**config, "SENDGRID_WEBHOOK_PUBLIC_KEY": PUBLIC_KEY}


def test_the_dashboard_charts_and_the_evidence_export(page, app):
    made = make_mailing(app, 3, case_ids=[5], name="Appeal for Ana")
    client = app.test_client()
    post_events(client, [event("delivered", m, 5) for m in made["messages"]]
                + [event("click", made["messages"][0], 400)])
    sign_in(page, app, "viewer")

    page.goto("/responses/dashboard")
    assert page.locator("h1").inner_text() == "Response rates"
    assert page.locator("svg.chart[role=img]").first.is_visible()
    page.click("text=Appeal for Ana")
    assert "Responses to Appeal for Ana" in page.locator("h1").inner_text()
    assert page.locator("svg.chart rect.bar").count() == 6

    page.goto("/responses/cases/5/evidence")
    assert page.get_by_text("Chain intact").is_visible()
    assert page.locator("table.evidence tbody tr").count() == 6  # three informed, three delivered
    with page.expect_download() as info:
        page.click("text=Download CSV")
    download = info.value
    assert download.suggested_filename == "evidence-case-5.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("seq,recorded_at,fact") and len(text.splitlines()) == 7

    page.click("text=Printable page")
    page.wait_for_load_state("load")  # the print rules are in the stylesheet: judge the styled page
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("table.evidence")).to_be_visible()


def test_the_evidence_page_fits_a_phone(phone, app):
    make_mailing(app, 2, case_ids=[9])
    sign_in(phone, app, "viewer")
    phone.goto("/responses/cases/9/evidence")
    assert phone.get_by_text("Chain intact").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page scrolls sideways on a phone"
