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
    assert "This will mail 4 people" in review
    unconfirmed = client.post(f"/mailings/{mailing_id}/send", data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing was sent: confirm" in unconfirmed.get_data(as_text=True)
    sent = client.post(f"/mailings/{mailing_id}/send", data={"csrf_token": token, "confirm": "4"},
                       follow_redirects=True)
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


def test_a_case_update_is_composed_for_those_already_informed_of_the_case(app, client, auth):
    from campaigns.cases.services import add_event
    from campaigns.mailings.services import MailingInput, create_mailing, send_mailing

    auth.login("campaigner")
    with app.app_context():
        make_contacts(3, tag="envoys")
        make_contacts(2, tag="press", start=10)
        template_id, case_id = make_template(), make_case()
        first = create_mailing(MailingInput(name="First appeal", template_id=template_id, case_ids=(case_id,),
                                            from_email="campaigns@example.net", audience={"tags": ["envoys"]})).id
        send_mailing(first, None)  # jobs run in-process: the three envoys are now informed of the case
        add_event(case_id, {"happened_on": "2026-11-20", "kind": "sentence", "description": "Seven years."})

    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "3 contacts already informed" in case_page and f"/mailings/new?case_id={case_id}" in case_page
    html = client.get(f"/mailings/new?case_id={case_id}").get_data(as_text=True)
    assert 'value="Case update: Aigul Example (sentence, 2026-11-20)"' in html
    assert f'<option value="{case_id}" selected>' in html
    assert re.search(rf'name="informed_of_case" value="{case_id}" checked>\s*Everyone already informed of Aigul Example'
                     r' \(3 contacts now', html)

    token = csrf_token(client, "/mailings/new")
    created = client.post("/mailings/new", data={
        "csrf_token": token, "name": "Case update", "template_id": str(template_id), "case_ids": str(case_id),
        "informed_of_case": str(case_id), "from_email": "campaigns@example.net"})
    assert created.status_code == 302
    review = client.get(created.headers["Location"]).get_data(as_text=True)
    assert '<strong id="recipients">3</strong>' in review  # the envoys, not the press contacts
    assert "those already informed of the case of Aigul Example" in review

    # The audience must belong to one of the mailing's own cases.
    other = client.post("/mailings/new", data={
        "csrf_token": token, "name": "Stray", "template_id": str(template_id),
        "informed_of_case": str(case_id), "from_email": "campaigns@example.net"})
    assert other.status_code == 422 and b"informed of one of the mailing" in other.data


def test_the_review_names_the_segment_and_discarding_the_draft_asks_then_removes_it(app, client, auth):
    from campaigns.mailings.services import MailingInput, create_mailing
    from contacts.segments import Filters, save_segment

    auth.login("campaigner")
    with app.app_context():
        make_contacts(2)
        segment_id = save_segment("Embassies in Astana", Filters(tags=("envoys",))).id
        mailing_id = create_mailing(MailingInput(name="Draft to drop", template_id=make_template(),
                                                 from_email="campaigns@example.net",
                                                 audience={"segment_id": segment_id, "tags": []})).id
    review = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert '<dd id="audience">segment “Embassies in Astana”</dd>' in review
    assert re.search(r'<form method="post" action="/mailings/\d+/discard" data-confirm="Discard the draft', review)
    token = csrf_token(client, f"/mailings/{mailing_id}")
    listing = client.post(f"/mailings/{mailing_id}/discard", data={"csrf_token": token}, follow_redirects=True)
    html = listing.get_data(as_text=True)
    assert "The draft was discarded." in html and "Draft to drop" not in html
    assert client.get(f"/mailings/{mailing_id}").status_code == 404


def test_a_finished_mailing_shows_no_rate_and_no_time_left(app, client, auth):
    from campaigns.mailings.services import send_mailing

    auth.login("campaigner")
    with app.app_context():
        make_contacts(1)
        mailing_id = make_mailing()
        send_mailing(mailing_id, None)
    html = client.get(f"/mailings/{mailing_id}").get_data(as_text=True)
    assert 'data-field="status">done<' in html
    assert re.search(r'<span data-show="sending" hidden>', html) and "time left: <span" in html
    assert "–" not in html.split('id="progress"')[1].split("</div>")[0]


def test_a_send_time_is_typed_and_shown_in_the_user_s_zone_and_stored_in_utc(app, client, auth):
    from datetime import datetime, timezone

    from campaigns.mailings.models import Mailing
    from core.db import db

    auth.login("campaigner")
    token = csrf_token(client, "/account")
    client.post("/account/time-zone", data={"csrf_token": token, "time_zone": "Asia/Almaty"})
    with app.app_context():
        make_contacts(1)
        template_id = make_template()
    assert "Send at (Asia/Almaty time" in client.get("/mailings/new").get_data(as_text=True)
    created = client.post("/mailings/new", data={
        "csrf_token": token, "name": "Later", "template_id": str(template_id), "tags": "envoys",
        "from_email": "campaigns@example.net", "send_at": "2030-01-10T15:00"})
    assert created.status_code == 302
    review = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "at 2030-01-10 15:00 (Asia/Almaty)" in review
    with app.app_context():
        stored = db.session.execute(db.select(Mailing.send_at).where(Mailing.name == "Later")).scalar_one()
    assert stored.replace(tzinfo=timezone.utc) == datetime(2030, 1, 10, 10, 0, tzinfo=timezone.utc)
