"""The contact list, a contact's page, create, edit, delete and bulk actions, as a browser sees them."""
from __future__ import annotations

from sqlalchemy import select

from contacts.models import Contact
from core.db import db
from tests.conftest import csrf_token
from tests.contacts.helpers import add_contact


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_list_filters_searches_and_paginates(app, client, auth):
    auth.login("viewer")
    add_contact(app, email="amb@de.example", name="Hans Botschafter", country="DE", kind="embassy", language="de",
                organisation="Embassy of Germany", tags="eu")
    add_contact(app, email="ed@news.example", name="Editor", country="KZ", kind="media", language="ru", tags="press")
    for i in range(55):
        add_contact(app, email=f"p{i:02}@x.example", name=f"Zeta {i:02}", country="FR")
    listing = page(client, "/contacts/")
    assert "57 contacts" in listing and "Next →" in listing and "Hans Botschafter" in listing
    assert "Zeta 54" in page(client, "/contacts/?page=2")
    assert "1 contact<" in page(client, "/contacts/?country=de&kind=embassy")
    assert "Hans Botschafter" in page(client, "/contacts/?q=germany")
    only_press = page(client, "/contacts/?tag=press&language=ru")
    assert "Editor" in only_press and "Hans" not in only_press
    assert "Filter ignored: unknown country" in page(client, "/contacts/?country=Atlantis")


def test_needs_checking_lists_ended_postings_and_bounces(app, client, auth):
    auth.login("viewer")
    add_contact(app, email="old@x.example", name="Posting ended", posting_end="2020-01-01")
    add_contact(app, email="bounce@x.example", name="Bounced", status="bounced")
    add_contact(app, email="fine@x.example", name="Fresh", verified_at="2099-01-01")
    listing = page(client, "/contacts/?needs_checking=1")
    assert "Posting ended" in listing and "Bounced" in listing and "Fresh" not in listing


def test_not_verified_for_a_year_needs_checking_and_search_looks_in_every_field(app, client, auth):
    auth.login("viewer")
    add_contact(app, email="stale@x.example", name="Stale", verified_at="2020-05-01", position="First Secretary",
                organisation="Mission of Chile")
    add_contact(app, email="recent@x.example", name="Recent", verified_at="2099-01-01", position="Press Attaché")
    checking = page(client, "/contacts/?needs_checking=1")
    assert "Stale" in checking and "Recent" not in checking
    for q, found in (("SECRETARY", "Stale"), ("recent@x", "Recent"), ("of chile", "Stale"), ("stale", "Stale")):
        listing = page(client, f"/contacts/?q={q}")
        assert found in listing and "1 contact<" in listing, q
    assert "No contacts match" in page(client, "/contacts/?q=nobody")
    assert "No contacts match" in page(client, "/contacts/?q=100%25")  # % is a character, not a wildcard


def test_a_search_matching_many_contacts_pages_and_caps_its_count(app, client, auth, monkeypatch):
    from contacts import views

    monkeypatch.setattr(views, "FEW", 3)
    monkeypatch.setattr(views, "COUNT_CAP", 60)
    auth.login("viewer")
    for i in range(65):
        add_contact(app, email=f"s{i:02}@x.example", name=f"Searched {i:02}")
    first = page(client, "/contacts/?q=searched")
    assert "More than 60 contacts" in first and "Searched 00" in first and "Searched 50" not in first
    assert "Searched 50" in page(client, "/contacts/?q=searched&page=2")
    some = page(client, "/contacts/?q=searched 0")  # more than FEW: filtered and sorted by the database
    assert "10 contacts" in some and "Searched 09" in some and "Searched 10" not in some
    few = page(client, "/contacts/?q=searched 64")  # at most FEW: read by id
    assert "1 contact<" in few and "Searched 64" in few and "Searched 63" not in few


def test_create_show_edit_and_delete_a_contact(app, client, auth):
    auth.login("campaigner")
    response = client.post("/contacts/new", data={
        "csrf_token": csrf_token(client, "/contacts/new"), "name": "Ана Иванова", "email": "Ana@Example.org",
        "salutation": "Your Excellency", "organisation": "Embassy of Lithuania", "kind": "embassy",
        "country": "Литва", "language": "lt", "status": "active", "tags": "eu, baltic", "notes": "Met in May."})
    assert response.status_code == 302
    shown = page(client, response.headers["Location"])
    assert "ana@example.org" in shown and "Your Excellency" in shown and "LT" in shown and "Met in May." in shown
    assert "History" in shown and "Nothing has been sent" in shown
    with app.app_context():
        contact_id = db.session.execute(select(Contact.id)).scalar_one()
    edit = f"/contacts/{contact_id}/edit"
    bad = client.post(edit, data={"csrf_token": csrf_token(client, edit), "email": "nope", "country": "Atlantis",
                                  "status": "active"})
    assert bad.status_code == 200
    assert "invalid email" in bad.get_data(as_text=True) and "unknown country" in bad.get_data(as_text=True)
    ok = client.post(edit, data={"csrf_token": csrf_token(client, edit), "name": "Ana I.", "email": "ana@example.org",
                                 "status": "active", "tags": "eu"})
    assert ok.status_code == 302 and "Ana I." in page(client, f"/contacts/{contact_id}")
    gone = client.post(f"/contacts/{contact_id}/delete", data={"csrf_token": csrf_token(client, f"/contacts/{contact_id}")})
    assert gone.status_code == 302 and client.get(f"/contacts/{contact_id}").status_code == 404


def test_bulk_tag_untag_and_delete(app, client, auth):
    auth.login("campaigner")
    ids = [add_contact(app, email=f"b{i}@x.example", name=f"B{i}") for i in range(3)]
    token = csrf_token(client, "/contacts/")
    client.post("/contacts/bulk", data={"csrf_token": token, "ids": ids[:2], "action": "tag", "tag": "visit"})
    assert page(client, "/contacts/?tag=visit").count('name="ids"') == 2
    client.post("/contacts/bulk", data={"csrf_token": token, "ids": ids[:1], "action": "untag", "tag": "visit"})
    assert page(client, "/contacts/?tag=visit").count('name="ids"') == 1
    response = client.post("/contacts/bulk", data={"csrf_token": token, "ids": ids, "action": "delete"},
                           follow_redirects=True)
    assert "Deleted 3 contacts." in response.get_data(as_text=True)


def test_viewers_read_but_cannot_change(app, client, auth):
    contact_id = add_contact(app, email="v@x.example", name="V")
    auth.login("viewer")
    assert "Edit" not in page(client, f"/contacts/{contact_id}").split("<main")[1].split("History")[1]
    token = csrf_token(client, "/contacts/")
    assert client.post("/contacts/bulk", data={"csrf_token": token, "ids": [contact_id], "action": "delete"}).status_code == 403
    assert client.post(f"/contacts/{contact_id}/erase", data={"csrf_token": token}).status_code == 403
    assert client.get("/contacts/import").status_code == 403


def test_organisation_pages_list_their_people(app, client, auth):
    auth.login("campaigner")
    add_contact(app, email="a@eeas.example", name="Alice", organisation="EU Delegation to Kazakhstan")
    add_contact(app, email="b@eeas.example", name="Boris", organisation="EU Delegation to Kazakhstan")
    listing = page(client, "/contacts/organisations/")
    assert "EU Delegation to Kazakhstan" in listing and "<td>2</td>" in listing
    with app.app_context():
        org_id = db.session.execute(select(Contact.organisation_id)).scalars().first()
    url = f"/contacts/organisations/{org_id}"
    assert "Alice" in page(client, url) and "Boris" in page(client, url)
    client.post(url, data={"csrf_token": csrf_token(client, url), "name": "EU Delegation to Kazakhstan",
                           "kind": "eu_delegation", "country": "KZ", "city": "Astana"})
    assert "EU delegation · KZ · Astana" in page(client, url)
