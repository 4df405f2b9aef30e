"""Transport and input limits: HSTS on https, 413 for oversized bodies, logs without secrets."""
from __future__ import annotations

import logging
import threading
import urllib.request

from werkzeug.serving import make_server

from core.redact import redact
from tests.conftest import PASSWORD, csrf_token, make_user


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://outreach.example.org")
    assert secure.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_hsts_behind_a_trusted_proxy_that_terminates_tls(config):
    from app import create_app

    app = create_app({**config, "TRUSTED_PROXIES": 1})
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.4"})
    assert "Strict-Transport-Security" in response.headers


def test_an_oversized_api_body_is_refused_with_a_json_error(app, client, auth):
    token = auth.token("campaigner")
    writes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and "POST" in r.methods
              and not r.arguments]
    path = writes[0].rule if writes else "/api/v1/me"
    body = b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 1) + b"}"
    response = client.post(path, data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_an_oversized_form_is_refused(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "x" * 2048, "password": "y"})
    assert response.status_code == 413


def test_redaction_rules():
    line = ('GET /invite/so_inv_Zx81kd0sdf?email=ana%40example.org HTTP/1.1 '
            'password=hunter2hunter2&next=/ {"token": "abc"} mail from ana@example.org')
    cleaned = redact(line)
    for secret in ("so_inv_Zx81", "ana%40example.org", "hunter2", "abc", "ana@example.org"):
        assert secret not in cleaned
    assert redact("Authorization: Bearer so_abc123456") == "Authorization: [redacted]"


def test_logs_hold_no_emails_passwords_or_tokens(app, auth, caplog):
    """A real server's request log, the app's and libraries' logs, through sign-in and API use."""
    make_user(app, "ana@example.org")
    token = auth.token("viewer")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    caplog.set_level(logging.DEBUG)
    try:
        client = app.test_client()
        client.post("/login", data={"email": "ana@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)})
        for url, headers in ((f"{base}/api/v1/me", {"Authorization": f"Bearer {token}"}),
                             (f"{base}/api/v1/me?token={token}&email=ana@example.org", {}),
                             (f"{base}/invite/{token}", {}),
                             (f"{base}/login?next=/contacts/?q=ana%40example.org", {})):
            try:
                urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10).read()
            except urllib.error.HTTPError:
                pass
        logging.getLogger("app").warning("Authorization: Bearer %s for %s", token, "ana@example.org")
        logging.getLogger("app").info("sign-in payload %s", {"password": PASSWORD})
    finally:
        server.shutdown()
        thread.join(5)
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/v1/me" in text  # the request lines were logged...
    for secret in (token, token[3:], "ana@example.org", "ana%40example.org", PASSWORD):
        assert secret not in text  # ...without the secrets in them
