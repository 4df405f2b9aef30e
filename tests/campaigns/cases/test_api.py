"""/api/v1/cases and /api/v1/campaigns."""
from __future__ import annotations


def test_create_and_read_a_case_with_its_timeline(client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    response = client.post("/api/v1/cases", json={"name": "Olga Sidorova", "status": "sentenced",
                                                  "arrest_date": "2023-05-01", "public": True}, headers=headers)
    assert response.status_code == 201, response.json
    case_id = response.json["id"]
    response = client.post(f"/api/v1/cases/{case_id}/events", headers=headers, json={
        "happened_on": "2024-01-02", "kind": "hunger_strike", "description": "Began a hunger strike"})
    assert response.status_code == 201
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).json
    assert case["public"] is True and case["events"][0]["kind"] == "hunger_strike"
    listed = client.get("/api/v1/cases?status=sentenced", headers=headers).json
    assert listed["total"] == 1 and listed["cases"][0]["name"] == "Olga Sidorova"


def test_bad_input_names_the_field(client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    response = client.post("/api/v1/cases", json={"name": "X", "status": "vanished"}, headers=headers)
    assert response.status_code == 422
    assert "status" in response.json["error"]["fields"]
    assert client.get("/api/v1/cases/999", headers=headers).status_code == 404


def test_viewers_cannot_write(client, auth):
    headers = {"Authorization": f"Bearer {auth.token('viewer')}"}
    assert client.post("/api/v1/cases", json={"name": "X"}, headers=headers).status_code == 403
    assert client.get("/api/v1/cases", headers=headers).status_code == 200


def test_campaigns_group_cases(client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    case_id = client.post("/api/v1/cases", json={"name": "Ivan"}, headers=headers).json["id"]
    response = client.post("/api/v1/campaigns", headers=headers, json={
        "name": "Free them all", "goal": "Release", "starts_on": "2025-01-01", "ends_on": "2025-12-31",
        "case_ids": [case_id]})
    assert response.status_code == 201, response.json
    assert response.json["case_ids"] == [case_id]
    response = client.post("/api/v1/campaigns", headers=headers, json={"name": "Free them all"})
    assert response.status_code == 409
    response = client.post("/api/v1/campaigns", headers=headers, json={
        "name": "Backwards", "starts_on": "2025-02-01", "ends_on": "2025-01-01"})
    assert response.status_code == 422 and "ends_on" in response.json["error"]["fields"]
    assert len(client.get("/api/v1/campaigns", headers=headers).json["campaigns"]) == 1
