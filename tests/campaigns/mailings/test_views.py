"""The pages: compose, review (counts, samples, test send), send, progress with and without JavaScript."""
from __future__ import annotations

import re

from tests.campaigns.mailings.factories import make_case, make_contacts, make_mailing, make_template
from tests.conftest import csrf_token


def test_compose_review_send_and_watch(app, client, auth):
    auth.login("campaigner")
    with app.app_context():
        make_contacts(4)
        template_id, case_id = make_template(), make_case()
    page = client.get("/mailings/new")
    assert page.status_code == 200 and b"Appeal template" in page.data
    token = csrf_token(client, "/mailings/new")
    bad = client.post("/mailings/new", data={"csrf_token": token, "name": "", "template_id": str(template_id)})
    assert bad.status_code == 422 and b"is required" in bad.data
    created = client.post("/mailings/new", data={
        "csrf_token": token, "name": "Appeal", "template_id": str(template_id), "case_ids": str(case_id),
        "tags": "envoys", "from_name": "Campaign", "from_email": "campaigns@example.net"})
    assert created.status_code == 302
    review_url = created.headers["Location"]
    review = client.get(review_url).get_data(as_text=True)
    assert '<strong id="recipients">4</strong>' in review and "Free Aigul Example" in review
    mailing_id = int(review_url.rstrip("/").split("/")[-1])
    tested = client.post(f"/mailings/{mailing_id}/test", data={"csrf_token": token}, follow_redirects=True)
    assert b"A test copy went to campaigner@example.org" in tested.data
    sent = client.post(f"/mailings/{mailing_id}/send", data={"csrf_token": token}, follow_redirects=True)
    html = sent.get_data(as_text=True)
    assert "Sending started." in html and 'data-poll="/mailings/' in html
    assert re.search(r'<dd data-field="counts.sent">4</dd>', html)
    progress = client.get(f"/mailings/{mailing_id}/progress").get_json()
    assert progress["status"] == "done" and progress["counts"]["sent"] == 4


def test_a_running_mailing_refreshes_itself_without_javascript_and_viewers_cannot_act(app, client, auth):
    from campaigns.mailings.preparing import prepare_mailing

    with app.app_context():
        make_contacts(2)
        mailing_id = make_mailing()
        prepare_mailing(mailing_id)  # queued, not yet delivered
    auth.login("viewer")
    html = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in html and 'id="pause"' not in html
    token = csrf_token(client, f"/mailings/{mailing_id}")
    assert client.post(f"/mailings/{mailing_id}/pause", data={"csrf_token": token}).status_code == 403
    assert client.get("/mailings/").status_code == 200
