"""The responses API: a message's events, logging and listing responses, funnel and figures."""
from __future__ import annotations

from tests.campaigns.responses.factories import event, make_mailing, post_events
from tests.campaigns.responses.test_webhook_inbound import inbound


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_message_with_its_events_and_responses(app, client, auth):
    made = make_mailing(app, 1)
    m = made["messages"][0]
    post_events(client, [event("delivered", m, 5), event("open", m, 7, sg_machine_open=True)])
    inbound(client, f"From: a@x.example\nTo: reply+{m['key']}@o.example\nSubject: Re\nMessage-ID: <z@x>\n", text="Ok")
    token = auth.token("viewer")
    body = client.get(f"/api/v1/messages/{m['id']}", headers=bearer(token)).get_json()
    assert body["state"] == "replied" and [e["kind"] for e in body["events"]] == ["delivered", "open"]
    assert body["events"][1]["machine"] is True and len(body["response_ids"]) == 1
    assert client.get("/api/v1/messages/999999", headers=bearer(token)).status_code == 404


def test_logging_and_listing_responses(app, client, auth):
    m = make_mailing(app, 1)["messages"][0]
    token = auth.token("campaigner")
    created = client.post("/api/v1/responses", headers=bearer(token), json={
        "kind": "call", "occurred_on": "2026-03-05", "contact_id": m["contact_id"], "summary": "Called the desk.",
        "outcome": "neutral", "follow_up_on": "2026-03-20"})
    assert created.status_code == 201 and created.get_json()["follow_up_on"] == "2026-03-20"
    bad = client.post("/api/v1/responses", headers=bearer(token), json={"kind": "dinner", "occurred_on": "2026-03-05"})
    assert bad.status_code == 422 and "kind" in bad.get_json()["error"]["fields"]
    listed = client.get("/api/v1/responses?kind=logged", headers=bearer(token)).get_json()
    assert [r["text"] for r in listed["responses"]] == ["Called the desk."]


def test_a_viewer_token_cannot_log_a_response(app, client, auth):
    answer = client.post("/api/v1/responses", headers=bearer(auth.token("viewer")),
                         json={"kind": "call", "occurred_on": "2026-03-05"})
    assert answer.status_code == 403


def test_funnel_and_figures(app, client, auth):
    made = make_mailing(app, 2)
    m = made["messages"]
    post_events(client, [event("delivered", x, 5) for x in m] + [event("click", m[0], 100)])
    token = auth.token("viewer")
    funnel = client.get(f"/api/v1/mailings/{made['mailing_id']}/funnel", headers=bearer(token)).get_json()
    assert (funnel["sent"], funnel["delivered"], funnel["opened"], funnel["clicked"]) == (2, 2, 1, 1)
    figures = client.get("/api/v1/responses/figures?by=country", headers=bearer(token)).get_json()
    assert figures["by"] == "country"
    assert client.get("/api/v1/responses/figures?by=planet", headers=bearer(token)).status_code == 422
