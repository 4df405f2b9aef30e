"""A large import from the page in a real browser, done by a real rq worker on Redis: the page shows
the import queued, running and finished, by polling its progress (and without JavaScript, by refreshing)."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.faults.harness import Workers, private_redis

pytestmark = pytest.mark.browser


@pytest.fixture
def queue_url(redis_url) -> str:
    return private_redis(redis_url)


@pytest.fixture
def config(config, queue_url) -> dict:
    return {**config, "REDIS_URL": queue_url}


@pytest.mark.parametrize("javascript", [True, False], ids=["polling", "no-javascript"])
def test_a_large_import_shows_its_progress_then_the_result(browser, live_server, app, tmp_path, queue_url, javascript):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the progress of the rows is written on PostgreSQL (SQLite has one writer: the import)")
    context = browser.new_context(base_url=live_server, java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, app, "campaigner")
    path = tmp_path / "large.csv"
    path.write_text("email;name\n" + "".join(f"p{i}@example.org;Person {i}\n" for i in range(20000)), encoding="utf-8")
    page.goto("/contacts/import")
    page.set_input_files("#file", str(path))
    page.click("text=Upload and preview")
    expect(page.locator("#preview-summary")).to_contain_text("20000 new")
    page.click("button[value=import]")
    expect(page.locator("#import-state")).to_have_text("Waiting for a worker to start the import.")
    workers = Workers({**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": queue_url},
                      tmp_path)
    workers.start()
    try:
        expect(page.locator("#import-state")).to_contain_text("of 20000 rows", timeout=60_000)
        expect(page.locator("#import-result")).to_contain_text("20000 created", timeout=120_000)
    finally:
        workers.stop()
        context.close()
