"""In a real browser, with a real rq worker: compose, review, send, watch progress, pause, resume."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.campaigns.mailings.factories import make_case, make_contacts, make_template
from tests.faults.harness import Workers, private_redis, worker_env
from tests.standins.sendgrid import SendgridStandin

pytestmark = pytest.mark.browser


@pytest.fixture
def standin():
    with SendgridStandin() as s:
        yield s


@pytest.fixture
def private_url(redis_url):
    return private_redis(redis_url)


@pytest.fixture
def config(config, private_url, standin):
    # The page's app enqueues on real Redis; a real worker delivers to the stand-in.
    from tests.faults.harness import app_config

    return {**config, **app_config(private_url, standin.url)}


def test_compose_review_send_watch_pause_and_resume(app, page, private_url, standin, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the pages are the same on both databases; the ledger's tests cover PostgreSQL")
    from campaigns.senders.services import create_sender
    from campaigns.services import create_campaign

    with app.app_context():
        make_contacts(12)
        make_template()
        make_case()
        create_sender({"label": "A general", "from_email": "info@example.net"})
        press = create_sender({"label": "Press office", "from_name": "Campaign", "from_email": "campaigns@example.net",
                               "reply_to": "team@example.net"}).id
        create_campaign({"name": "Free Aigul", "default_sender_id": press})
    workers = Workers(worker_env(app.config["SQLALCHEMY_DATABASE_URI"], private_url, standin.url), tmp_path)
    workers.start(1)
    try:
        sign_in(page, app, "campaigner")
        page.goto("/mailings/")
        page.click("text=New mailing")
        page.fill("#name", "Appeal for Aigul")
        page.select_option("#template_id", label="Appeal")
        page.select_option("#case_ids", label="Aigul Example")
        page.fill("#tags", "envoys")
        expect(page.locator("#sender_id")).to_have_value("1")  # no campaign yet: the first identity
        page.select_option("#campaign_id", label="Free Aigul")  # its default identity follows
        expect(page.locator("#sender_id")).to_have_value(str(press))
        page.select_option("#sender_id", label="A general: <info@example.net>")
        page.select_option("#sender_id", value=str(press))  # chosen by hand
        page.fill("#rate_per_minute", "60")
        page.click("button:has-text('Review')")
        expect(page.locator("#recipients")).to_have_text("12")
        expect(page.locator("#from")).to_have_text("Campaign <campaigns@example.net>")
        expect(page.locator("#reply-to")).to_contain_text("team@example.net")
        expect(page.locator("#send-confirm")).to_contain_text("This will mail 12 people")
        expect(page.locator("article.sample")).to_have_count(3)
        page.on("dialog", lambda dialog: dialog.accept())
        page.click("#send")
        sent = page.locator('[data-field="counts.sent"]')
        expect(sent).not_to_have_text("0", timeout=120_000)  # filled in by the poll, no reload
        page.click("#pause")
        expect(page.locator('[data-field="status"]')).to_have_text("paused")
        held = int(sent.inner_text())
        page.wait_for_timeout(2500)
        page.reload()
        assert int(page.locator('[data-field="counts.sent"]').inner_text()) <= held + 2  # a chunk in flight at most
        page.click("#resume")
        expect(page.locator('[data-field="status"]')).to_have_text("done", timeout=120_000)
        expect(page.locator('[data-field="counts.sent"]')).to_have_text("12")
        assert re.search(r"100(\.0)?", page.locator('[data-field="percent"]').inner_text())
    finally:
        workers.stop()
    assert sorted(standin.recipients()) == sorted(f"person{i}@example.org" for i in range(12))
