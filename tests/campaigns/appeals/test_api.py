"""/api/v1/templates: create, read, save variants, and render a preview for a contact and a case."""
from __future__ import annotations


def test_create_render_and_read_a_template(client, auth, app):
    from tests.campaigns.appeals.test_templates import make_case, make_contact

    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    case_id = make_case(app)
    contact_id = make_contact(app)
    response = client.post("/api/v1/templates", headers=headers, json={
        "name": "Urgent", "language": "en", "subject": "Free {{ case.name }}",
        "body": "{{ contact.salutation }}, please act for {{ case.name }}."})
    assert response.status_code == 201, response.json
    template_id = response.json["id"]
    response = client.put(f"/api/v1/templates/{template_id}/variants/ru", headers=headers, json={
        "subject": "Свободу {{ case.name }}", "body": "{{ contact.salutation }}, помогите {{ case.name }}."})
    assert response.status_code == 200 and [v["language"] for v in response.json["variants"]] == ["en", "ru"]
    response = client.post(f"/api/v1/templates/{template_id}/render", headers=headers,
                           json={"contact_id": contact_id, "case_id": case_id})
    assert response.status_code == 200, response.json
    assert response.json == {"language": "ru", "subject": "Свободу Ivan Petrov",
                             "html": "<p>Your Excellency, помогите Ivan Petrov.</p>\n",
                             "text": "Your Excellency, помогите Ivan Petrov."}
    response = client.post(f"/api/v1/templates/{template_id}/render", headers=headers, json={"case_id": case_id})
    assert response.json["language"] == "en" and "Alex Example" not in response.json["text"]
    assert response.json["text"] == "Dear Ambassador, please act for Ivan Petrov."
    assert client.get(f"/api/v1/templates/{template_id}", headers=headers).json["name"] == "Urgent"


def test_broken_templates_are_refused_with_line_and_field(client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    response = client.post("/api/v1/templates", headers=headers, json={
        "name": "Broken", "subject": "Hi", "body": "ok\n{{ ''.__class__.__mro__ }}"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"body": "line 2: fields cannot start with an underscore (__mro__)"}
    response = client.post("/api/v1/templates", headers=headers, json={
        "name": "Broken", "subject": "Hi\r\nBcc: x@example.org", "body": "ok"})
    assert response.status_code == 422 and "subject" in response.json["error"]["fields"]
    assert client.get("/api/v1/templates", headers=headers).json["templates"] == []
