"""Contacts in a real browser: import with preview, filter, save a segment, export."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251

pytestmark = pytest.mark.browser


def test_import_with_preview_then_filter_save_a_segment_and_export(page, app, tmp_path):
    sign_in(page, app, "campaigner")
    path = excel_cp1251(tmp_path / "diplomats.csv", [
        RUSSIAN_HEADER,
        ["Иван Петров", "ivan@example.org", "Германия", "ru", "Посольство Германии", "Атташе", "eu"],
        ["Anna Schmidt", "anna@example.org", "DE", "de", "Auswaertiges Amt", "Referentin", "eu"],
        ["Jean Dupont", "jean@example.org", "France", "fr", "Quai d'Orsay", "Conseiller", "press"],
        ["Плохой", "not-an-address", "KZ", "kk", "", "", ""],
    ])
    page.goto("/contacts/import")
    page.set_input_files("#file", str(path))
    page.click("text=Upload and preview")
    summary = page.locator("#preview-summary")
    assert "3 new, 0 updated, 0 unchanged, 1 rejected" in " ".join(summary.inner_text().split())
    assert "not-an-address" in summary.inner_text()
    page.select_option("#column-5", "")  # do not import the position column
    page.click("text=Update preview")
    assert page.locator("#column-5").input_value() == ""
    page.click("button[value=import]")  # runs in the background; its page refreshes itself until done
    expect(page.locator("#import-result")).to_contain_text("3 created, 0 updated, 0 unchanged, 1 rejected")
    with page.expect_download() as report:
        page.click("text=Download the rejected rows (CSV)")
    assert "not-an-address" in open(report.value.path(), encoding="utf-8-sig").read()

    page.goto("/contacts/")
    page.fill("#f-country", "DE")
    page.select_option("#f-tag", "eu")
    page.click("button:text('Filter')")
    assert page.locator("#contact-total").inner_text() == "2 contacts"
    assert page.get_by_role("link", name="Иван Петров").is_visible()
    assert page.get_by_text("Jean Dupont").count() == 0

    page.click("text=Save this filter as a segment")
    page.fill("#segment-name", "German EU contacts")
    page.click("text=Save segment")
    assert "saved: 2 contacts" in page.locator(".flash").inner_text()
    page.fill("#f-country", "FR")
    page.locator("#f-country").dispatch_event("change")
    expect(page.locator("#segment-count")).to_have_text("0")

    page.goto("/contacts/?tag=eu&country=DE")
    with page.expect_download() as export:
        page.click("text=Export these as CSV")
    data = open(export.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf") and "Иван Петров" in data.decode("utf-8-sig")
    assert "jean@example.org" not in data.decode("utf-8-sig")


def test_the_contact_list_works_on_a_phone(phone, app):
    from tests.contacts.helpers import add_contact

    add_contact(app, email="a@example.org", name="Айгерим", country="KZ", tags="press")
    sign_in(phone, app, "viewer")
    phone.goto("/contacts/")
    assert phone.get_by_role("link", name="Айгерим").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360


def test_a_large_import_shows_its_progress_then_the_result(page, app, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the pages are the same on both databases")
    sign_in(page, app, "campaigner")
    path = tmp_path / "large.csv"
    path.write_text("email;name\n" + "".join(f"p{i}@example.org;Person {i}\n" for i in range(20000)), encoding="utf-8")
    page.goto("/contacts/import")
    page.set_input_files("#file", str(path))
    page.click("text=Upload and preview")
    expect(page.locator("#preview-summary")).to_contain_text("20000 new")
    page.click("button[value=import]")
    expect(page.locator("#import-progress progress")).to_be_visible()  # the page refreshes itself, no script
    expect(page.locator("#import-result")).to_contain_text("20000 created", timeout=60_000)


def test_upload_preview_and_import_fit_a_phone(phone, app, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the pages are the same on both databases")
    sign_in(phone, app, "campaigner")
    path = excel_cp1251(tmp_path / "посольства.csv", [
        RUSSIAN_HEADER,
        ["Иван Петров", "ivan.petrov.first.secretary@embassy-of-germany.example.org", "Германия", "ru",
         "Посольство Федеративной Республики Германия в Республике Казахстан", "Первый секретарь", "eu"],
        ["Плохой", "not-an-address-at-all-and-rather-long-too", "KZ", "kk", "", "", ""],
    ])

    def fits():
        phone.wait_for_load_state("load")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{phone.url} is {width} px wide on a 360 px screen"

    phone.goto("/contacts/import")
    fits()
    phone.set_input_files("#file", str(path))
    phone.click("text=Upload and preview")
    expect(phone.locator("#preview-summary")).to_contain_text("1 new")
    fits()
    phone.click("button[value=import]")
    expect(phone.locator("#import-result")).to_contain_text("1 created")
    fits()
