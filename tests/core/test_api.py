"""The /api/v1 skeleton: Bearer tokens, JSON errors, the OpenAPI document."""
from __future__ import annotations

import re


def test_missing_and_bad_tokens_get_json_401(client):
    for headers in ({}, {"Authorization": "Bearer so_not-a-real-token"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        body = response.get_json()
        assert body["error"]["code"] == "unauthorized" and body["error"]["fields"] == {}


def test_a_revoked_token_gets_401(app, client, auth, runner):
    token = auth.token("viewer")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["users", "revoke-token", token[:10]]).exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unknown_api_paths_answer_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_session_cookie_does_not_open_the_api(client, auth):
    auth.login("admin")
    assert client.get("/api/v1/me").status_code == 401


def test_openapi_document_matches_the_real_routes(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    real = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            real |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == real
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op["summary"], (path, method)
            assert "default" in op["responses"]
