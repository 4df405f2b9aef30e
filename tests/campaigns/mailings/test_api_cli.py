"""The mailings API and command line, as scripts and cron use them."""
from __future__ import annotations

from campaigns.mailings import services
from core.db import db
from tests.campaigns.mailings.factories import make_case, make_contacts, make_mailing, make_template


def test_create_send_and_follow_a_mailing_through_the_api(app, client, auth):
    token = auth.token("campaigner")
    headers = {"Authorization": f"Bearer {token}"}
    with app.app_context():
        make_contacts(3)
        template_id, case_id = make_template(), make_case()
    created = client.post("/api/v1/mailings", headers=headers, json={
        "name": "Appeal", "template_id": template_id, "case_id": case_id, "audience": {"tags": ["envoys"]},
        "from_email": "campaigns@example.net"})
    assert created.status_code == 201, created.get_json()
    mailing_id = created.get_json()["id"]
    assert created.get_json()["status"] == "draft"
    sent = client.post(f"/api/v1/mailings/{mailing_id}/send", headers=headers)
    assert sent.status_code == 200
    status = client.get(f"/api/v1/mailings/{mailing_id}", headers=headers).get_json()
    assert status["status"] == "done"
    assert status["counts"]["total"] == 3 and status["counts"]["sent"] == 3 and status["counts"]["failed"] == 0
    again = client.post(f"/api/v1/mailings/{mailing_id}/send", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.post(f"/api/v1/mailings/{mailing_id}/pause", headers=headers).status_code == 409


def test_the_api_says_which_field_is_wrong_and_who_may_write(app, client, auth):
    viewer = {"Authorization": f"Bearer {auth.token('viewer')}"}
    campaigner = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    assert client.post("/api/v1/mailings", headers=viewer, json={}).status_code == 403
    bad = client.post("/api/v1/mailings", headers=campaigner, json={"name": "x", "template_id": 999,
                                                                    "audience": {"tags": ["a"]}})
    assert bad.status_code == 422 and "template_id" in bad.get_json()["error"]["fields"]
    none = client.post("/api/v1/mailings", headers=campaigner, json={"name": "x", "template_id": 1, "audience": {}})
    assert none.status_code == 422 and "audience" in none.get_json()["error"]["fields"]
    assert client.get("/api/v1/mailings/999", headers=viewer).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/mailings", "/api/v1/mailings/{mailing_id}", "/api/v1/mailings/{mailing_id}/send",
            "/api/v1/mailings/{mailing_id}/pause", "/api/v1/mailings/{mailing_id}/resume",
            "/api/v1/mailings/{mailing_id}/cancel"} <= set(paths)


def test_the_command_line_sends_reports_and_pumps(app, runner):
    with app.app_context():
        make_contacts(2)
        mailing_id = make_mailing()
    result = runner.invoke(args=["mailings", "send", str(mailing_id)])
    assert result.exit_code == 0 and "2 messages queued" in result.output
    status = runner.invoke(args=["mailings", "status", str(mailing_id)])
    assert "done" in status.output and "sent 2" in status.output
    assert runner.invoke(args=["mailings", "pump"]).exit_code == 0
    missing = runner.invoke(args=["mailings", "status", "999"])
    assert missing.exit_code == 1 and "no such mailing" in missing.output
    with app.app_context():
        assert services.progress(mailing_id)["counts"]["sent"] == 2
        db.session.remove()
