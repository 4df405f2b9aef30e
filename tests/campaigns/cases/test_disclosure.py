"""A confidential case read anywhere a person sees it (its page, the API, a template preview, a mailing's
review samples, a test copy) follows one rule and leaves the same audit record, once per reading."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token

SECRET = {"summary": "Held after a post about the strike", "charges": "art. 405 of the Criminal Code",
          "place_of_detention": "SIZO-1, Almaty"}
EVERY_FIELD = ("{{ case.summary }} {{ case.charges }} {{ case.place_of_detention }} "
               "{% for e in case.events %}{{ e.description }}{% endfor %}")


def make_case(app, public: bool = False) -> int:
    from campaigns.cases.services import add_event, create_case

    with app.app_context():
        case = create_case({"name": "Ivan Petrov", "public": public, **SECRET})
        add_event(case.id, {"happened_on": "2025-01-10", "kind": "transfer", "description": "Moved to colony 3"})
        return case.id


def readings(app) -> list[tuple[str, str, str]]:
    from core.audit import search

    with app.app_context():
        events, _ = search(action="case.view_confidential")
        return [(e.target, e.actor_email, e.detail.get("via")) for e in reversed(events)]


def preview(client, case_id: int):
    return client.post("/templates/preview", headers={"Accept": "application/json"}, data={
        "csrf_token": csrf_token(client, "/templates/"), "language": "en", "subject": "About {{ case.name }}",
        "body": EVERY_FIELD, "case_id": str(case_id)})


@pytest.mark.parametrize("role", ["viewer", "campaigner"])
def test_a_preview_of_a_confidential_case_is_read_as_on_its_page_and_audited_once(client, auth, app, role):
    case_id = make_case(app)
    auth.login(role)
    page = client.get(f"/cases/{case_id}")  # the case page: the rule says this role may read it
    assert page.status_code == 200 and SECRET["summary"] in page.get_data(as_text=True)
    response = preview(client, case_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert all(value in response.json["html"] for value in SECRET.values()) and "Moved to colony 3" in response.json["html"]
    email = f"{role}@example.org"
    assert readings(app) == [(f"case:{case_id}", email, "case page"), (f"case:{case_id}", email, "template preview")]
    preview(client, case_id)
    assert len(readings(app)) == 3  # once per render


def test_the_api_render_of_a_confidential_case_is_audited_once(client, auth, app):
    case_id = make_case(app)
    campaigner = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    viewer = {"Authorization": f"Bearer {auth.token('viewer')}"}
    created = client.post("/api/v1/templates", headers=campaigner, json={
        "name": "Appeal", "subject": "About {{ case.name }}", "body": EVERY_FIELD, "case_ids": [case_id]})
    assert created.status_code == 201, created.json
    # the case twice (asked for and attached to the template): one reading
    response = client.post(f"/api/v1/templates/{created.json['id']}/render", headers=viewer, json={"case_id": case_id})
    assert response.status_code == 200 and SECRET["summary"] in response.json["text"]
    assert readings(app) == [(f"case:{case_id}", "api-viewer@example.org", "template preview")]


def test_a_public_case_is_not_a_confidential_reading(client, auth, app):
    case_id = make_case(app, public=True)
    auth.login("viewer")
    assert SECRET["summary"] in preview(client, case_id).json["html"]
    assert readings(app) == []


def test_the_one_rule_decides_for_the_case_page_and_the_preview_alike(client, auth, app, monkeypatch):
    """Narrowing the rule (a policy setting, not a stand-in for our code) narrows every path at once."""
    from campaigns.cases import disclosure

    monkeypatch.setattr(disclosure, "READ_CONFIDENTIAL", "campaigner")
    case_id = make_case(app)
    public_id = make_case(app, public=True)
    auth.login("viewer")
    assert client.get(f"/cases/{case_id}").status_code == 403
    refused = preview(client, case_id)
    assert refused.status_code == 403 and SECRET["summary"] not in refused.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {auth.token('viewer')}"}
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 403
    assert preview(client, public_id).status_code == 200
    assert readings(app) == []


def test_nobody_signed_in_reads_a_confidential_case_through_the_service(app):
    from campaigns.appeals.services import preview as render_preview
    from campaigns.cases.disclosure import ConfidentialRefused

    case_id = make_case(app)
    with app.app_context(), pytest.raises(ConfidentialRefused):
        render_preview("About {{ case.name }}", EVERY_FIELD, "en", case_ids=[case_id])
    assert readings(app) == []


def test_review_samples_and_a_test_copy_are_confidential_readings(client, auth, app):
    from tests.campaigns.mailings.factories import make_contacts, make_mailing

    with app.app_context():
        make_contacts(2)
        mailing_id = make_mailing()  # its case is confidential
        from campaigns.mailings.services import get_mailing

        case_id = get_mailing(mailing_id).case_ids[0]
    auth.login("campaigner")
    page = client.get(f"/mailings/{mailing_id}")
    assert page.status_code == 200
    token = csrf_token(client, f"/mailings/{mailing_id}")
    client.post(f"/mailings/{mailing_id}/test", data={"csrf_token": token})
    email = "campaigner@example.org"
    # the page was opened twice (once more for its form token), then the test copy was sent
    assert readings(app) == [(f"case:{case_id}", email, "mailing review")] * 2 + [(f"case:{case_id}", email, "test copy")]
