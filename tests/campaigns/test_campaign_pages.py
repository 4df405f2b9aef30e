"""Campaign pages: a campaign with a goal and dates grouping cases and templates."""
from __future__ import annotations

from tests.conftest import csrf_token


def test_create_a_campaign_with_cases_and_see_it_listed(client, auth):
    auth.login("campaigner")
    token = csrf_token(client, "/cases/new")
    client.post("/cases/new", data={"csrf_token": token, "name": "Ivan Petrov", "status": "detained"})
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert "Ivan Petrov" in page
    case_id = page.split('name="case_ids" value="')[1].split('"')[0]
    response = client.post("/campaigns/new", data={"csrf_token": token, "name": "Autumn appeals",
                                                   "goal": "Visits to every prisoner", "starts_on": "2025-09-01",
                                                   "ends_on": "2025-11-30", "case_ids": [case_id]})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Visits to every prisoner" in page and "Ivan Petrov" in page
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert "Autumn appeals" in listing and "2025-09-01" in listing
    response = client.post("/campaigns/new", data={"csrf_token": token, "name": "Bad", "starts_on": "2025-09-01",
                                                   "ends_on": "2025-01-01"})
    assert response.status_code == 422 and "is before the start date" in response.get_data(as_text=True)


def _current(html: str) -> list[str]:
    import re

    nav = html.split("<nav aria-label=\"Main\">")[1].split("</nav>")[0]
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', nav)


def test_the_menu_marks_only_the_section_the_page_belongs_to(client, auth):
    auth.login("campaigner")
    assert _current(client.get("/").get_data(as_text=True)) == ["Dashboard"]
    assert _current(client.get("/campaigns/").get_data(as_text=True)) == ["Campaigns"]
    assert _current(client.get("/campaigns/new").get_data(as_text=True)) == ["Campaigns"]
    assert _current(client.get("/mailings/new").get_data(as_text=True)) == ["Mailings"]
    assert _current(client.get("/responses/dashboard").get_data(as_text=True)) == ["Responses"]
