"""Pages: logging a meeting, classifying a reply, follow-ups due, a mailing's funnel, the dashboards."""
from __future__ import annotations

from datetime import date, timedelta

from tests.campaigns.responses.factories import event, make_mailing, post_events
from tests.campaigns.responses.test_webhook_inbound import inbound
from tests.conftest import csrf_token


def test_a_campaigner_logs_a_meeting_and_it_is_due_for_follow_up_on_the_dashboard(app, client, auth):
    m = make_mailing(app, 1)["messages"][0]
    auth.login("campaigner")
    token = csrf_token(client, "/responses/new")
    due = (date.today() - timedelta(days=1)).isoformat()
    page = client.post("/responses/new", data={
        "csrf_token": token, "kind": "meeting", "occurred_on": date.today().isoformat(),
        "contact_id": str(m["contact_id"]), "summary": "Met the deputy head of mission.", "outcome": "positive",
        "follow_up_on": due}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Meeting recorded." in html and "Met the deputy head of mission." in html
    dashboard = client.get("/").get_data(as_text=True)
    assert "Follow-ups due" in dashboard and "Diplomat 0" in dashboard and "overdue" in dashboard
    index = client.get("/responses/").get_data(as_text=True)
    assert "Diplomat 0" in index


def test_a_bad_logged_response_names_the_field(app, client, auth):
    auth.login("campaigner")
    token = csrf_token(client, "/responses/new")
    page = client.post("/responses/new", data={"csrf_token": token, "kind": "meeting", "occurred_on": "yesterday"})
    assert page.status_code == 422
    assert "occurred on: is not a date" in page.get_data(as_text=True)


def test_a_reply_is_classified_with_the_suggestion_preselected(app, client, auth):
    from campaigns.responses.models import Response
    from core.db import db

    m = make_mailing(app, 1)["messages"][0]
    inbound(client, f"From: a@de.example\nTo: reply+{m['key']}@outreach.example\nSubject: Re\nMessage-ID: <c1@x>\n",
            text="Thank you for your letter, we have received it.")
    auth.login("campaigner")
    with app.app_context():
        response_id = db.session.execute(db.select(Response.id)).scalar()
    page = client.get(f"/responses/{response_id}").get_data(as_text=True)
    assert "Suggested from its words: <strong>Acknowledgement</strong>" in page
    assert '<option value="acknowledgement" selected>' in page
    token = csrf_token(client, f"/responses/{response_id}")
    client.post(f"/responses/{response_id}/review", data={"csrf_token": token, "classification": "substantive",
                                                            "outcome": "neutral", "follow_up_on": ""})
    with app.app_context():
        assert db.session.get(Response, response_id).classification == "substantive"


def test_a_viewer_reads_but_cannot_log(app, client, auth):
    auth.login("viewer")
    assert client.get("/responses/").status_code == 200
    token = csrf_token(client, "/responses/")  # the sign-out form carries one
    assert client.post("/responses/new", data={"csrf_token": token, "kind": "call"}).status_code == 403


def test_the_mailing_page_shows_the_funnel_as_inline_svg(app, client, auth):
    made = make_mailing(app, 3)
    m = made["messages"]
    post_events(client, [event("delivered", x, 5) for x in m] + [event("click", m[0], 300),
                                                                 event("bounce", m[2], 9, type="bounce")])
    auth.login("viewer")
    page = client.get(f"/responses/mailings/{made['mailing_id']}").get_data(as_text=True)
    assert '<svg class="chart"' in page and "style=" not in page.split("<main")[1]
    assert "Clicked" in page and "1 (33%)" in page


def test_the_dashboard_compares_rates_beside_the_number_of_appeals(app, client, auth):
    m = make_mailing(app, 4)["messages"]
    for x in m[:2]:
        inbound(client, f"From: a@de.example\nTo: reply+{x['key']}@outreach.example\nSubject: Re\n"
                        f"Message-ID: <{x['key']}@de.example>\n", text="We have raised the case.")
    auth.login("viewer")
    page = client.get("/responses/dashboard?by=country").get_data(as_text=True)
    assert "Response rate by country" in page and "of 2" in page
    assert '<svg class="chart spark"' in page
