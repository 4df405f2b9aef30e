"""Editing an appeal in a real browser: live preview for a chosen case, errors with their line, save."""
from __future__ import annotations

from tests.browser.conftest import sign_in


def test_edit_preview_and_save_a_template(page, app):
    from campaigns.cases.services import create_case

    with app.app_context():
        create_case({"name": "Ivan <Petrov>", "charges": "art. 405 of the Criminal Code", "status": "detained"})
    sign_in(page, app)
    page.goto("/templates/new")
    page.fill("#name", "Urgent appeal")
    page.fill("#subject", "Free {{ case.name }}")
    page.select_option("#case_id", label="Ivan <Petrov>")
    page.fill("#body", "{{ contact.salutation }},\n\nWe ask you to act for **{{ case.name }}**, "
                       "charged under {{ case.charges }}.")
    preview = page.locator("#preview-html")
    preview.locator("strong", has_text="Ivan <Petrov>").wait_for()
    assert "Dear Ambassador," in preview.inner_text()
    assert page.locator("#preview-subject").inner_text() == "Free Ivan <Petrov>"
    assert "**Ivan <Petrov>**" in page.locator("#preview-text").inner_text()

    page.fill("#body", "Line one\n\n{{ case.nmae }}")
    errors = page.locator("#template-errors")
    errors.get_by_text("Body, line 3: unknown field case.nmae").wait_for()
    page.click("#save-button")  # the server refuses it too, and keeps the text
    assert page.locator("#template-errors").get_by_text("was not saved").is_visible()
    assert page.input_value("#body") == "Line one\n\n{{ case.nmae }}"

    page.fill("#body", "{{ contact.salutation }},\n\nPlease visit {{ case.name }}.")
    page.select_option("#case_id", label="Ivan <Petrov>")
    preview.get_by_text("Please visit Ivan <Petrov>.").wait_for()
    assert errors.is_hidden()
    page.click("#save-button")
    page.get_by_text("Template created.").wait_for()
    assert page.input_value("#body") == "{{ contact.salutation }},\n\nPlease visit {{ case.name }}."

    page.fill("#body", "{{ contact.salutation }},\n\nPlease visit {{ case.name }} in detention.")
    preview.get_by_text("in detention.").wait_for()
    page.click("#save-button")
    page.get_by_text("The en variant was saved.").wait_for()
    page.goto("/templates/")
    assert page.get_by_role("link", name="Urgent appeal").is_visible()


def test_the_editor_and_a_case_page_fit_a_phone(phone, app):
    from campaigns.cases.services import add_event, create_case

    with app.app_context():
        case = create_case({"name": "Ivan Petrov", "charges": "art. 405 of the Criminal Code",
                            "summary": "A journalist detained for his reporting."})
        add_event(case.id, {"happened_on": "2025-01-10", "kind": "transfer", "description": "Moved to colony no. 2",
                            "source_url": "https://example.org/a/very/long/source/link/that/should/wrap/on/phones"})
        case_id = case.id
    sign_in(phone, app)
    for path in ("/templates/new", f"/cases/{case_id}", "/cases/", "/templates/", "/campaigns/"):
        phone.goto(path)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} scrolls sideways on a phone ({width}px)"
    phone.goto(f"/cases/{case_id}")
    assert phone.get_by_text("Send a case update").is_visible()
