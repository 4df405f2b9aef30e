"""/api/v1/contacts: the same rules as the pages, as JSON."""
from __future__ import annotations

import io

from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251


def test_create_read_update_list_and_delete(app, client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    created = client.post("/api/v1/contacts", headers=headers, json={
        "email": "Amb@Example.org", "name": "Ambassador", "country": "Германия", "language": "de",
        "organisation": "Embassy", "tags": ["eu", "visit"]})
    assert created.status_code == 201
    body = created.get_json()
    assert (body["email"], body["country"], body["tags"], body["organisation"]) == \
        ("amb@example.org", "DE", ["eu", "visit"], "Embassy")
    url = f"/api/v1/contacts/{body['id']}"
    assert client.get(url, headers=headers).get_json()["name"] == "Ambassador"
    changed = client.patch(url, headers=headers, json={"position": "Deputy", "salutation": "Your Excellency"})
    assert changed.status_code == 200
    assert changed.get_json()["position"] == "Deputy" and changed.get_json()["country"] == "DE"
    listing = client.get("/api/v1/contacts?tag=visit&country=de", headers=headers).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == body["id"]
    assert client.delete(url, headers=headers).get_json() == {"deleted": 1}
    assert client.get(url, headers=headers).status_code == 404


def test_invalid_input_gets_field_errors(app, client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    response = client.post("/api/v1/contacts", headers=headers, json={"email": "bad", "country": "Atlantis"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "invalid email" in fields["email"] and "unknown country" in fields["country"]
    viewer = {"Authorization": f"Bearer {auth.token('viewer')}"}
    assert client.post("/api/v1/contacts", headers=viewer, json={"name": "x"}).status_code == 403


def test_import_a_csv_through_the_api(app, client, auth, tmp_path):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    path = excel_cp1251(tmp_path / "x.csv", [RUSSIAN_HEADER, ["Иван", "ivan@example.org", "DE", "ru", "", "", ""],
                                              ["Плохо", "bad", "", "", "", "", ""]])
    dry = client.post("/api/v1/contacts/import?dry_run=1&tag=api", headers=headers,
                      data={"file": (io.BytesIO(path.read_bytes()), "x.csv")})
    assert dry.get_json()["created"] == 1 and dry.get_json()["dry_run"] is True
    real = client.post("/api/v1/contacts/import?tag=api", headers={**headers, "Content-Type": "text/csv"},
                       data=path.read_bytes())
    body = real.get_json()
    assert (body["created"], body["rejected"]) == (1, 1)
    assert body["rejections"][0]["row"] == 3
    assert client.get("/api/v1/contacts?tag=api", headers=headers).get_json()["total"] == 1
    unreadable = client.post("/api/v1/contacts/import", headers={**headers, "Content-Type": "text/csv"}, data=b"")
    assert unreadable.status_code == 400 and "the file is empty" in unreadable.get_json()["error"]["message"]


def test_every_contacts_route_is_in_the_openapi_document(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/contacts"]) == {"get", "post"}
    assert set(paths["/api/v1/contacts/{contact_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/contacts/import"]) == {"post"}
