"""Template pages and services: save refuses broken templates, preview saves nothing, translations go stale."""
from __future__ import annotations

from tests.conftest import csrf_token

BODY = "{{ contact.salutation }},\n\nPlease help **{{ case.name }}**.\n\n{{ sender.name }}"


def new_template(client, **fields):
    data = {"name": "Urgent appeal", "language": "en", "subject": "Free {{ case.name }}", "body": BODY, **fields}
    data["csrf_token"] = csrf_token(client, "/templates/new")
    return client.post("/templates/new", data=data)


def make_case(app, name="Ivan Petrov"):
    from campaigns.cases.services import create_case

    with app.app_context():
        return create_case({"name": name, "charges": "art. 405", "place_of_detention": "SIZO-1"}).id


def make_contact(app, **fields):
    from contacts.models import Contact
    from core.db import db

    with app.app_context():
        contact = Contact(**{"name": "Jane Envoy", "salutation": "Your Excellency", "email": "jane@example.org",
                             "language": "ru", **fields})
        db.session.add(contact)
        db.session.commit()
        return contact.id


def test_save_refuses_a_broken_template_with_line_and_field(client, auth):
    auth.login("campaigner")
    response = new_template(client, body="Dear {{ contact.name }},\n\nAbout {{ case.nmae }}.")
    assert response.status_code == 200  # the editor again, with the problems and the text
    page = response.get_data(as_text=True)
    assert "Body, line 3: unknown field case.nmae" in page and "was not saved" in page
    assert "No templates yet." in client.get("/templates/").get_data(as_text=True)
    response = new_template(client, body="{% if case.name %}\nno end")
    assert "Body, line 2:" in response.get_data(as_text=True)
    response = new_template(client, body="{{ contact.name|safe }}")
    assert "the filter &#39;safe&#39; is not allowed" in response.get_data(as_text=True)


def test_preview_shows_the_letter_and_saves_nothing(client, auth, app):
    case_id = make_case(app, "Ivan <Petrov>")
    contact_id = make_contact(app)
    auth.login("campaigner")
    location = new_template(client).headers["Location"]
    token = csrf_token(client, location)
    template_id = location.split("/")[-2]
    form = {"csrf_token": token, "template_id": template_id, "language": "en", "subject": "Changed {{ case.name }}",
            "body": BODY, "contact_id": str(contact_id), "case_id": str(case_id)}
    response = client.post("/templates/preview", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["subject"] == "Changed Ivan <Petrov>"
    assert "<p>Your Excellency,</p>" in response.json["html"]
    assert "<strong>Ivan &lt;Petrov&gt;</strong>" in response.json["html"]
    assert "**Ivan <Petrov>**" in response.json["text"]
    page = client.post("/templates/preview", data=form).get_data(as_text=True)
    assert "Preview of the text above (not saved)." in page and "Your Excellency" in page
    editor = client.get(location).get_data(as_text=True)
    assert "Free {{ case.name }}" in editor and "Changed {{ case.name }}" not in editor
    bad = dict(form, body="{{ contact.nmae }}")
    response = client.post("/templates/preview", data=bad, headers={"Accept": "application/json"})
    assert response.json["problems"][0] == {"part": "body", "line": 1, "field": "contact.nmae",
                                            "message": "unknown field contact.nmae"}


def test_preview_works_with_the_sample_contact(client, auth):
    auth.login("viewer")
    token = csrf_token(client, "/templates/")
    response = client.post("/templates/preview", headers={"Accept": "application/json"}, data={
        "csrf_token": token, "language": "en", "subject": "Hi", "body": "{{ contact.name }}", "contact_id": "sample"})
    assert response.json["html"] == "<p>Alex Example</p>\n"


def test_changing_the_source_flags_translations_for_review(client, auth, app):
    auth.login("campaigner")
    location = new_template(client).headers["Location"]
    template_url = location.rsplit("/", 1)[0]
    token = csrf_token(client, location)
    ru = {"csrf_token": token, "subject": "Свободу {{ case.name }}", "body": "{{ contact.salutation }}, помогите."}
    assert client.post(template_url + "/ru", data=ru).status_code == 302
    assert "needs review" not in client.get("/templates/").get_data(as_text=True)
    same = {"csrf_token": token, "subject": "Free {{ case.name }}", "body": BODY}
    client.post(location, data=same)  # saving the same text changes nothing
    assert "needs review" not in client.get("/templates/").get_data(as_text=True)
    client.post(location, data=dict(same, body=BODY + "\n\nP.S. Thank you."))
    assert "needs review" in client.get("/templates/").get_data(as_text=True)
    assert "the en source changed" in client.get(template_url + "/ru").get_data(as_text=True)
    client.post(template_url + "/ru", data=ru)
    assert "needs review" not in client.get("/templates/").get_data(as_text=True)


def test_choose_variant_falls_back_to_primary_then_source(app):
    from campaigns.appeals.rendering import choose_variant
    from campaigns.appeals.services import create_template, save_variant

    with app.app_context():
        template = create_template("T", "en", "Hello", "English")
        save_variant(template.id, "ru", "Привет", "Русский")
        save_variant(template.id, "de", "Hallo", "Deutsch")
        assert choose_variant(template.id, "ru").body == "Русский"
        chosen = choose_variant(template.id, "de-AT")
        assert (chosen.language, chosen.is_fallback) == ("de", True)
        assert choose_variant(template.id, "kk").language == "en"
        assert choose_variant(template.id, None).language == "en"


def test_starter_library_loads_once_from_the_page_and_the_cli(client, auth, runner):
    auth.login("campaigner")
    page = client.get("/templates/").get_data(as_text=True)
    assert "Urgent appeal on an arrest" in page and "Add the starter templates" in page
    response = client.post("/templates/starters", data={"csrf_token": csrf_token(client, "/templates/")},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "4 starter templates added" in page
    for name in ("Urgent appeal on an arrest", "Request to attend a trial", "Request for a prison visit",
                 "Thank-you to a diplomat who acted"):
        assert name in page
    assert page.count(">ru</a>") == 4 and "Add the starter templates" not in page
    result = runner.invoke(args=["templates", "load-starters"])
    assert result.exit_code == 0 and "already loaded" in result.output


def test_every_starter_renders_in_english_and_russian(app):
    from datetime import date

    from campaigns.appeals.rendering import compile_template, context_for
    from campaigns.appeals.starters import KEYS, languages, read_starter

    case = {"name": "Ivan Petrov", "charges": "art. 405", "arrest_date": "2024-11-02", "summary": "A journalist.",
            "place_of_detention": "SIZO-1", "status": "detained",
            "events": [{"happened_on": "2025-01-01", "kind": "hearing", "description": "Hearing held."}]}
    for key in KEYS:
        assert languages(key) == ["en", "ru"]
        for language in ("en", "ru"):
            starter = read_starter(key, language)
            letter = compile_template(starter["subject"], starter["body"], language).render(
                context_for({"language": language}, [case], None, {"name": "Maria", "organisation": "RW"},
                            date(2025, 3, 1)))
            assert "Ivan Petrov" in letter.subject + letter.text and "Maria" in letter.text
            assert "<p>" in letter.html
