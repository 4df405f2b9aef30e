"""Secret path parts never reach a log: Werkzeug's request log (`flask run`), gunicorn's access and
error logs (production, see README), and the app's own messages. Real servers, real requests."""
from __future__ import annotations

import logging
import re
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from core.redact import SECRET_ARGUMENTS
from tests.standins.gunicorn import Gunicorn

INBOUND_SECRET = "inboundSecretPathPart42"


@pytest.fixture
def config(config):
    return {**config, "INBOUND_WEBHOOK_SECRET": INBOUND_SECRET}


def secret_urls(app) -> dict[str, str]:
    """Every route with a secret argument, filled in with a recognisable secret: {url: secret}."""
    urls = {}
    for i, rule in enumerate(sorted(app.url_map.iter_rules(), key=lambda r: r.rule)):
        if not rule.arguments & SECRET_ARGUMENTS:
            continue
        secret = INBOUND_SECRET if "secret" in rule.arguments else f"capabilityToken{i}xyz"
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: secret if m.group(1) in SECRET_ARGUMENTS
                      else ("1" if m.group(1).endswith("_id") else "free-aigerim"), rule.rule)
        urls[path] = secret
    return urls


def visit(base: str, urls) -> None:
    for path in urls:
        for data in (None, b"a=1"):  # GET, then POST
            request = urllib.request.Request(base + path, data=data, headers={
                "Referer": base + path, "Content-Type": "application/x-www-form-urlencoded"})
            try:
                urllib.request.urlopen(request, timeout=20).read()
            except urllib.error.HTTPError:
                pass


def test_every_known_secret_route_is_protected(app):
    urls = secret_urls(app)
    paths = " ".join(urls)
    for prefix in ("/webhooks/sendgrid/inbound/", "/unsubscribe/", "/confirm/", "/invite/", "/contacts/import/"):
        assert prefix in paths


def test_the_flask_run_server_and_the_app_log_no_secret_path_parts(app, caplog):
    urls = secret_urls(app)
    caplog.set_level(logging.INFO)
    server = make_server("127.0.0.1", 0, app, threaded=True)  # the request handler `flask run` uses
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        visit(f"http://127.0.0.1:{server.server_port}", urls)
        with app.test_request_context(next(iter(urls))):
            from flask import request

            app.logger.warning("odd request to %s", request.url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    text = caplog.text
    assert "/unsubscribe/[redacted]" in text and "/webhooks/sendgrid/inbound/[redacted]" in text
    for secret in urls.values():
        assert secret not in text


def test_gunicorn_logs_no_secret_path_parts(app, database_url, tmp_path):
    urls = secret_urls(app)
    env = {"INBOUND_WEBHOOK_SECRET": INBOUND_SECRET}
    with Gunicorn(database_url, tmp_path, env=env) as server:
        visit(server.url, urls)
    logs = server.access_log() + server.error_log()
    assert "/unsubscribe/[redacted]" in logs and "/webhooks/sendgrid/inbound/[redacted]" in logs
    for secret in urls.values():
        assert secret not in logs
