"""Campaigners' pages and the API: create and edit drives, export signatures, read them back."""
from __future__ import annotations

import csv
import io

from tests.campaigns.drives.helpers import LETTER_EN, make_contact, make_drive, sign
from tests.conftest import csrf_token


def test_a_campaigner_creates_and_edits_a_drive_in_two_languages(app, client, auth):
    auth.login("campaigner")
    make_contact(app, "envoy@embassy.example", tags=("astana",))
    form = {"title": "Free Aigerim", "slug": "free-aigerim", "goal": "500", "default_language": "en",
            "status": "open", "delivery": "compiled", "digest_days": "7", "title_en": "Free Aigerim",
            "letter_en": LETTER_EN, "title_ru": "Свободу Айгерим", "letter_ru": "Просим вас.", "tags": "astana",
            "target_emails": "", "csrf_token": csrf_token(client, "/campaign-drives/new")}
    response = client.post("/campaign-drives/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/drives/free-aigerim" in detail and "en ru" in detail
    assert "<dt>Targets</dt><dd>1</dd>" in detail
    form.update(goal="700", letter_ru="", csrf_token=csrf_token(client, "/campaign-drives/1/edit"))
    client.post("/campaign-drives/1/edit", data=form)
    assert client.get("/drives/free-aigerim?format=json").get_json()["goal"] == 700
    assert "Просим вас." not in client.get("/drives/free-aigerim?lang=ru").get_data(as_text=True)
    listing = client.get("/campaign-drives/").get_data(as_text=True)
    assert "Free Aigerim" in listing and 'href="/campaign-drives/"' in listing  # in the navigation


def test_bad_drive_forms_name_the_field(app, client, auth):
    auth.login("campaigner")
    form = {"title": "X", "slug": "Bad Slug!", "goal": "10", "letter_en": "text",
            "csrf_token": csrf_token(client, "/campaign-drives/new")}
    response = client.post("/campaign-drives/new", data=form)
    assert response.status_code == 422
    assert "slug: use 2-80 lowercase letters" in response.get_data(as_text=True)


def test_viewers_read_but_do_not_create_or_export(app, client, auth):
    make_drive(app)
    auth.login("viewer")
    assert client.get("/campaign-drives/1").status_code == 200
    assert client.get("/campaign-drives/new").status_code == 403
    assert client.get("/campaign-drives/1/signatures.csv").status_code == 403


def test_the_export_is_safe_in_spreadsheets_and_recorded(app, client, auth):
    make_drive(app)
    sign(client, name="=HYPERLINK(\"http://evil\")", city="+Almaty", email=None)
    sign(client, name="Plain Name", city="Astana")
    auth.login("campaigner")
    response = client.get("/campaign-drives/1/signatures.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="free-aigerim-signatures.csv"'
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "signed_at", "confirmed_at", "name"]
    assert rows[1][3] == "'=HYPERLINK(\"http://evil\")" and rows[1][4] == "'+Almaty"
    assert rows[2][3] == "Plain Name"
    assert not any("@" in cell for row in rows for cell in row)
    from core.audit import AuditEvent
    from core.db import db

    with app.app_context():
        event = db.session.query(AuditEvent).filter_by(action="drive.signatures.export").one()
        assert event.target == "drive:1" and event.detail == {"rows": 2}


def test_the_api_creates_lists_and_reads_drives_and_signatures(app, client, auth):
    token = auth.token("campaigner")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"slug": "free-aigerim", "title": "Free Aigerim", "letter": LETTER_EN, "goal": 250,
            "audience": {"tags": ["eu"]}}
    created = client.post("/api/v1/drives", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["url"] == "/drives/free-aigerim" and created.get_json()["audience"]["tags"] == ["eu"]
    clash = client.post("/api/v1/drives", json=body, headers=headers)
    assert clash.status_code == 422 and clash.get_json()["error"]["fields"] == {"slug": "another drive has this address"}
    sign(client, name="Aigerim Nurlanovna", display="anonymous")
    listed = client.get("/api/v1/drives", headers=headers).get_json()["drives"]
    assert [(d["slug"], d["signatures"], d["goal"]) for d in listed] == [("free-aigerim", 1, 250)]
    signatures = client.get("/api/v1/drives/free-aigerim/signatures", headers=headers).get_json()
    assert signatures["signatures"][0]["name"] == "Aigerim Nurlanovna"
    assert signatures["signatures"][0]["display"] == "anonymous"
    assert "email" not in signatures["signatures"][0]
    assert client.get("/api/v1/drives/nope", headers=headers).status_code == 404
    assert client.post("/api/v1/drives", json={"slug": "x"}, headers=headers).status_code == 422


def test_viewer_tokens_cannot_create_drives(app, client, auth):
    headers = {"Authorization": f"Bearer {auth.token('viewer')}"}
    response = client.post("/api/v1/drives", json={"slug": "ab", "title": "t", "letter": "x", "goal": 1},
                           headers=headers)
    assert response.status_code == 403


def test_a_campaigner_chooses_how_signatures_show_unless_supporters_choose_otherwise(app, client, auth):
    import re

    auth.login("campaigner")
    page = client.get("/campaign-drives/new").get_data(as_text=True)
    assert re.search(r'name="default_display" value="anonymous" checked', page)
    form = {"title": "Free Aigerim", "slug": "free-aigerim", "goal": "500", "default_language": "en",
            "status": "open", "delivery": "compiled", "digest_days": "7", "title_en": "Free Aigerim",
            "letter_en": LETTER_EN, "default_display": "initial",
            "csrf_token": csrf_token(client, "/campaign-drives/new")}
    assert client.post("/campaign-drives/new", data=form).status_code == 302
    assert re.search(r'name="default_display" value="initial" checked',
                     client.get("/campaign-drives/1/edit").get_data(as_text=True))
    public = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert re.findall(r'name="display" value="(\w+)" checked', public) == ["initial"]
