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
    assert "not-an-address" in open(report.value.path(), encoding="cp1251").read()

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


def test_the_import_preview_and_result_are_usable_at_390_px(browser, live_server, app, tmp_path):
    """The column mapping can be chosen, the reasons read and the file name seen without side-scrolling."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the pages are the same on both databases")
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    phone = context.new_page()
    sign_in(phone, app, "campaigner")
    name = "посольства-и-делегации-ес-в-астане-и-алматы-полный-список-на-осень-2026-года-окончательный.csv"
    path = excel_cp1251(tmp_path / name, [
        RUSSIAN_HEADER + ["Комментарий"],
        ["Иван Петров", "ivan.petrov.first.secretary@embassy-of-germany.example.org", "Германия", "ru",
         "Посольство Федеративной Республики Германия в Республике Казахстан", "Первый секретарь", "eu",
         "Встречались на конференции ОБСЕ по правам человека в Варшаве; просил прислать материалы по делу"],
        ["Плохой", "not-an-address-at-all-and-rather-long-too-for-a-phone-screen", "KZ", "kk", "", "", "", ""],
        ["Анна", "anna@example.org", "Атлантида-и-другие-несуществующие-страны", "ru", "", "", "", ""],
    ])

    def measure(selector: str) -> list[dict]:
        phone.wait_for_load_state("load")  # the stylesheet is in: never measure an unstyled page
        phone.locator(selector).first.wait_for()
        return phone.eval_on_selector_all(selector, "els => els.map(e => { const r = e.getBoundingClientRect(); "
                                                    "return {left: r.left, right: r.right, width: r.width}; })")

    def fits(page_name: str) -> None:
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {page_name} is {width} px wide on a 390 px screen"
        heading = phone.locator("h1").evaluate("h => [h.scrollWidth, h.clientWidth]")
        assert heading[0] <= heading[1], f"the file name overflows its heading on the {page_name}"

    phone.goto("/contacts/import")
    phone.set_input_files("#file", str(path))
    phone.click("text=Upload and preview")
    expect(phone.locator("#preview-summary")).to_contain_text("1 rejected")
    selects = measure("table.mapping select")
    assert len(selects) == 8
    assert all(s["width"] >= 120 and s["left"] >= 0 and s["right"] <= 390 for s in selects), selects
    reasons = measure("#rejections td:last-child") + measure("#warnings td:last-child")
    assert all(r["left"] >= 0 and r["right"] <= 390 and r["width"] >= 80 for r in reasons), reasons
    fits("preview")
    phone.select_option("#column-7", "")  # still usable: pick a field on the phone
    phone.click("text=Update preview")
    expect(phone.locator("#column-7")).to_have_value("")

    phone.click("button[value=import]")
    expect(phone.locator("#import-result")).to_contain_text("2 created")
    reasons = measure("#rejections td:last-child") + measure("#warnings td:last-child")
    assert all(r["left"] >= 0 and r["right"] <= 390 for r in reasons), reasons
    fits("result")
    context.close()
