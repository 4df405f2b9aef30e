"""Saved audiences: filters, live counts, and the query mailings build on."""
from __future__ import annotations

from contacts.segments import audience_query
from core.db import db
from tests.conftest import csrf_token
from tests.contacts.helpers import add_contact


def emails(app, **filters) -> list[str]:
    with app.app_context():
        return sorted(c.email for c in db.session.execute(audience_query(**filters)).scalars())


def make_people(app):
    add_contact(app, email="de@x.example", name="DE", country="DE", language="de", kind="embassy", tags="eu, visit")
    add_contact(app, email="fr@x.example", name="FR", country="FR", language="fr", kind="embassy", tags="eu")
    add_contact(app, email="kz@x.example", name="KZ", country="KZ", language="ru", kind="media", tags="press",
                status="unsubscribed")


def test_audience_query_combines_tags_with_the_other_filters(app):
    make_people(app)
    assert emails(app, tags=["eu"]) == ["de@x.example", "fr@x.example"]
    assert emails(app, tags=["visit", "press"]) == ["de@x.example", "kz@x.example"]
    assert emails(app, tags=["eu"], country="FR", kind="embassy") == ["fr@x.example"]
    assert emails(app, status="active", language="ru") == []


def test_save_a_segment_from_the_list_and_use_it_everywhere(app, client, auth):
    make_people(app)
    auth.login("campaigner")
    response = client.post("/contacts/segments/new", data={
        "csrf_token": csrf_token(client, "/contacts/"), "name": "EU embassies", "tag": "eu", "kind": "embassy"},
        follow_redirects=True)
    assert "Segment “EU embassies” saved: 2 contacts." in response.get_data(as_text=True)
    listing = client.get("/contacts/segments/").get_data(as_text=True)
    assert "EU embassies" in listing and "<td>2</td>" in listing
    segment_id = int(response.request.path.rstrip("/").split("/")[-1])
    assert emails(app, segment_id=segment_id) == ["de@x.example", "fr@x.example"]
    assert emails(app, segment_id=segment_id, country="DE") == ["de@x.example"]
    export = client.get(f"/contacts/export.csv?segment_id={segment_id}").get_data(as_text=True)
    assert "de@x.example" in export and "kz@x.example" not in export
    add_contact(app, email="pl@x.example", name="PL", kind="embassy", tags="eu")
    assert "<td>3</td>" in client.get("/contacts/segments/").get_data(as_text=True)


def test_the_live_count_answers_for_any_filter(app, client, auth):
    make_people(app)
    auth.login("viewer")
    assert client.get("/contacts/count?tag=eu").get_json() == {"count": 2}
    assert client.get("/contacts/count?tag=eu&country=fr").get_json() == {"count": 1}
    half_typed = client.get("/contacts/count?country=Fran").get_json()
    assert half_typed["count"] is None and "unknown country" in half_typed["error"]


def test_segment_names_are_unique(app, client, auth):
    auth.login("campaigner")
    token = csrf_token(client, "/contacts/")
    client.post("/contacts/segments/new", data={"csrf_token": token, "name": "Press"})
    again = client.post("/contacts/segments/new", data={"csrf_token": token, "name": "Press"})
    assert "another segment has this name" in again.get_data(as_text=True)
