"""Case files at rest: sensitive text is ciphertext in the database; confidential notes reach staff only.

What a stolen dump shows of a case: its name, alias, status and dates. What it does not: the summary,
charges, place of detention, notes, and the timeline's descriptions and sources.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from core import crypto
from core.db import db
from tests.campaigns.cases.test_views import create_case
from tests.conftest import DATABASES, PG_BASE, csrf_token, service_missing

NOTES = "Lawyer: Marat, +7 701 000 00 00. Source in the colony: the night nurse."
SUMMARY = "A journalist who wrote about the January events."
CHARGES = "art. 174 of the Criminal Code"
PLACE = "Colony UG-157/11, Granitny"
EVENT = "Moved to a punishment cell after a visit"
SOURCE = "https://example.org/secret-witness"

CASE_COLUMNS = ("summary", "charges", "place_of_detention", "notes")
EVENT_COLUMNS = ("description", "source_url")
KEY_A, KEY_B = crypto.generate_key(), crypto.generate_key()


def raw_case(app, case_id: int) -> dict:
    """The row as the database holds it, past the ORM and its decryption."""
    with app.app_context():
        row = db.session.execute(text(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases WHERE id = :id"),
                                 {"id": case_id}).mappings().one()
        return dict(row)


def raw_events(app, case_id: int) -> list[dict]:
    with app.app_context():
        rows = db.session.execute(text(f"SELECT {', '.join(EVENT_COLUMNS)} FROM case_events "
                                       "WHERE case_id = :id ORDER BY id"), {"id": case_id}).mappings()
        return [dict(r) for r in rows]


def assert_ciphertext(stored: str, plaintext: str) -> None:
    assert stored.startswith("v1:"), stored
    assert plaintext not in stored


def new_case(client, **fields) -> str:
    response = create_case(client, summary=SUMMARY, charges=CHARGES, place_of_detention=PLACE, notes=NOTES,
                           **fields)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def add_event(client, location: str) -> None:
    response = client.post(location + "/events", data={
        "csrf_token": csrf_token(client, location), "happened_on": "2025-02-01", "kind": "transfer",
        "description": EVENT, "source_url": SOURCE})
    assert response.status_code == 302


def case_id_of(location: str) -> int:
    return int(location.rsplit("/", 1)[1])


def test_a_case_saved_through_the_form_is_ciphertext_in_the_database_and_plain_on_its_page(client, auth, app):
    auth.login("campaigner")
    location = new_case(client)
    add_event(client, location)
    case_id = case_id_of(location)

    stored = raw_case(app, case_id)
    for column, plaintext in zip(CASE_COLUMNS, (SUMMARY, CHARGES, PLACE, NOTES)):
        assert_ciphertext(stored[column], plaintext)
    [event] = raw_events(app, case_id)
    assert_ciphertext(event["description"], EVENT)
    assert_ciphertext(event["source_url"], SOURCE)

    page = client.get(location).get_data(as_text=True)
    for plaintext in (SUMMARY, CHARGES, PLACE, NOTES, EVENT, SOURCE):
        assert plaintext in page
    assert "Confidential notes" in page
    edit = client.get(location + "/edit").get_data(as_text=True)
    assert f">{NOTES}</textarea>" in edit


def test_editing_the_notes_re_encrypts_them(client, auth, app):
    auth.login("campaigner")
    location = new_case(client)
    before = raw_case(app, case_id_of(location))["notes"]
    response = client.post(location + "/edit", data={
        "csrf_token": csrf_token(client, location + "/edit"), "name": "Ivan Petrov", "status": "detained",
        "notes": "The family asks for no calls before noon."})
    assert response.status_code == 302
    after = raw_case(app, case_id_of(location))["notes"]
    assert after != before
    assert_ciphertext(after, "The family asks for no calls before noon.")
    assert "The family asks for no calls before noon." in client.get(location).get_data(as_text=True)


def test_the_api_writes_ciphertext_and_gives_the_notes_only_for_one_case(client, auth, app):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    response = client.post("/api/v1/cases", headers=headers, json={
        "name": "Olga Sidorova", "summary": SUMMARY, "charges": CHARGES, "place_of_detention": PLACE,
        "notes": NOTES})
    assert response.status_code == 201, response.json
    assert response.json["notes"] == NOTES
    case_id = response.json["id"]
    response = client.post(f"/api/v1/cases/{case_id}/events", headers=headers, json={
        "happened_on": "2025-02-01", "kind": "transfer", "description": EVENT, "source_url": SOURCE})
    assert response.status_code == 201

    stored = raw_case(app, case_id)
    for column, plaintext in zip(CASE_COLUMNS, (SUMMARY, CHARGES, PLACE, NOTES)):
        assert_ciphertext(stored[column], plaintext)
    assert all(v.startswith("v1:") for v in raw_events(app, case_id)[0].values())

    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).json
    assert (case["notes"], case["summary"], case["events"][0]["source_url"]) == (NOTES, SUMMARY, SOURCE)
    listed = client.get("/api/v1/cases", headers=headers)
    # A confidential case is listed by name and status only; its details are read one case at a time.
    (entry,) = listed.json["cases"]
    assert entry["name"] == "Olga Sidorova" and entry["public"] is False and "summary" not in entry
    for secret in (NOTES, SUMMARY, CHARGES, PLACE):
        assert secret not in listed.get_data(as_text=True)
    client.post(f"/api/v1/cases", headers=headers, json={"name": "Public Person", "public": True, "summary": SUMMARY})
    public = [c for c in client.get("/api/v1/cases", headers=headers).json["cases"] if c["public"]]
    assert public[0]["summary"] == SUMMARY


def test_viewers_read_the_notes_but_cannot_change_them_and_strangers_see_nothing(client, auth, app):
    auth.login("campaigner")
    location = new_case(client)
    case_id = case_id_of(location)

    anonymous = app.test_client()
    assert anonymous.get(location).status_code in (302, 401)
    assert NOTES not in anonymous.get(location, follow_redirects=True).get_data(as_text=True)
    assert anonymous.get(f"/api/v1/cases/{case_id}").status_code == 401

    viewer = app.test_client()
    auth.login("viewer", client=viewer)
    page = viewer.get(location).get_data(as_text=True)
    assert NOTES in page and "Edit case" not in page
    response = viewer.post(location + "/edit", data={"csrf_token": csrf_token(viewer, location),
                                                     "name": "Ivan Petrov", "notes": "overwritten"})
    assert response.status_code == 403
    headers = {"Authorization": f"Bearer {auth.token('viewer')}"}
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).json["notes"] == NOTES
    with app.app_context():
        from campaigns.cases.models import Case

        assert db.session.get(Case, case_id).notes == NOTES


def test_reading_a_confidential_case_through_the_api_is_audited(client, auth, app):
    from core.audit import search

    headers = {"Authorization": f"Bearer {auth.token('viewer')}"}
    with app.app_context():
        from campaigns.cases.services import create_case as create

        secret = create({"name": "Hidden", "notes": NOTES}).id
        public = create({"name": "Known", "public": True}).id
    assert client.get(f"/api/v1/cases/{secret}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/cases/{public}", headers=headers).status_code == 200
    with app.app_context():
        events, _ = search(action="case.view_confidential")
        assert [(e.target, e.actor_email) for e in events] == [(f"case:{secret}", "api-viewer@example.org")]


def test_notes_never_reach_an_appeal(client, auth, app):
    from campaigns.appeals.fields import context_for
    from campaigns.cases.services import case_data

    auth.login("campaigner")
    case_id = case_id_of(new_case(client, public="1"))
    token = csrf_token(client, "/templates/new")
    response = client.post("/templates/new", data={
        "csrf_token": token, "name": "Leaky", "language": "en", "subject": "About {{ case.name }}",
        "body": "{{ case.notes }}"})
    assert "unknown field case.notes" in response.get_data(as_text=True)

    every_field = ("{{ case.name }} {{ case.alias }} {{ case.charges }} {{ case.place_of_detention }} "
                   "{{ case.summary }} {% for e in case.events %}{{ e.description }}{% endfor %} "
                   "{% for c in cases %}{{ c.summary }}{% endfor %}")
    response = client.post("/templates/preview", headers={"Accept": "application/json"}, data={
        "csrf_token": token, "language": "en", "subject": "About {{ case.name }}", "body": every_field,
        "case_id": str(case_id)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert SUMMARY in response.json["html"] and PLACE in response.json["html"]
    assert NOTES not in response.get_data(as_text=True)

    with app.app_context():
        from campaigns.cases.models import Case

        data = case_data(db.session.get(Case, case_id))
    assert "notes" not in data
    context = context_for(None, [{**data, "notes": NOTES}], None, None, date(2025, 3, 1))
    assert "notes" not in context["case"] and NOTES not in repr(context)


def test_notes_never_appear_on_the_public_drive_page(client, auth, app):
    from tests.campaigns.drives.helpers import make_drive

    auth.login("campaigner")
    case_id = case_id_of(new_case(client, public="1"))
    make_drive(app, case_ids=[case_id])
    public = app.test_client()
    for page in ("/drives/free-aigerim", "/drives/free-aigerim?lang=ru", "/drives/free-aigerim?format=json"):
        response = public.get(page)
        assert response.status_code == 200
        assert NOTES not in response.get_data(as_text=True) and "Marat" not in response.get_data(as_text=True)
    assert SUMMARY in public.get("/drives/free-aigerim").get_data(as_text=True)  # the case is shown, not its notes


def test_keys_rotate_re_encrypts_the_case_columns_under_a_new_key(config):
    from app import create_app
    from campaigns.cases.models import Case
    from campaigns.cases.services import add_event, create_case as create

    old_app = create_app({**config, "DATA_ENCRYPTION_KEY": KEY_A})
    with old_app.app_context():
        case_id = create({"name": "Ivan", "summary": SUMMARY, "charges": CHARGES, "place_of_detention": PLACE,
                          "notes": NOTES}).id
        add_event(case_id, {"happened_on": "2025-02-01", "kind": "transfer", "description": EVENT,
                            "source_url": SOURCE})
    old_id = crypto.Keyring.parse(KEY_A, KEY_A).active_id
    assert {crypto.key_id_of(v) for v in raw_case(old_app, case_id).values()} == {old_id}

    new_app = create_app({**config, "DATA_ENCRYPTION_KEY": f"{KEY_B},{KEY_A}"})
    result = new_app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    for column in CASE_COLUMNS:
        assert f"cases.{column}: 1 re-encrypted" in result.output
    for column in EVENT_COLUMNS:
        assert f"case_events.{column}: 1 re-encrypted" in result.output
    new_id = crypto.Keyring.parse(KEY_B, KEY_B).active_id
    stored = [*raw_case(new_app, case_id).values(), *raw_events(new_app, case_id)[0].values()]
    assert {crypto.key_id_of(v) for v in stored} == {new_id}

    only_new = create_app({**config, "DATA_ENCRYPTION_KEY": KEY_B})
    with only_new.app_context():
        case = db.session.get(Case, case_id)
        assert (case.summary, case.charges, case.place_of_detention, case.notes) == (SUMMARY, CHARGES, PLACE, NOTES)
        assert (case.events[0].description, case.events[0].source_url) == (EVENT, SOURCE)


def test_cases_written_before_the_migration_stay_readable_and_rotation_encrypts_them(unmigrated_app):
    from flask_migrate import upgrade

    from campaigns.cases.models import Case

    app = unmigrated_app
    long_place = "Следственный изолятор № 1, " * 11  # 297 characters: fits VARCHAR(300) only as plain text
    now = datetime(2025, 2, 1, 12, tzinfo=timezone.utc)
    with app.app_context():
        upgrade(revision="0008_merge")
        db.session.execute(text(
            "INSERT INTO cases (id, name, alias, public, status, charges, place_of_detention, summary, "
            "created_at, updated_at) VALUES (7, 'Ivan', '', :public, 'detained', :charges, :place, :summary, "
            ":now, :now)"), {"public": False, "charges": CHARGES, "place": long_place, "summary": SUMMARY,
                             "now": now})
        db.session.execute(text(
            "INSERT INTO case_events (case_id, happened_on, kind, description, source_url, created_at) "
            "VALUES (7, :day, 'transfer', :description, :source, :now)"),
            {"day": date(2025, 2, 1), "description": EVENT, "source": SOURCE, "now": now})
        db.session.commit()
        db.session.remove()
        upgrade(revision="heads")

        case = db.session.get(Case, 7)
        assert (case.summary, case.charges, case.place_of_detention, case.notes) == (SUMMARY, CHARGES, long_place, "")
        assert (case.events[0].description, case.events[0].source_url) == (EVENT, SOURCE)
        db.session.remove()

    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "cases.place_of_detention: 1 re-encrypted" in result.output
    stored = {**raw_case(app, 7), **raw_events(app, 7)[0]}
    assert all(value.startswith("v1:") for value in stored.values()), stored
    assert len(stored["place_of_detention"]) > 300  # why the migration widened it to TEXT
    with app.app_context():
        case = db.session.get(Case, 7)
        assert (case.place_of_detention, case.events[0].source_url, case.notes) == (long_place, SOURCE, "")
