"""A contact changed and deleted at the same moment, by real concurrent requests to a real server:
each answer is a clean one (200, 404 or 409), never a 500."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

from tests.standins.live import LiveApp

ROUNDS = 40


def call(method: str, url: str, token: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_change_racing_a_deletion_gets_a_clean_answer(app, auth):
    token = auth.token("campaigner")
    seen: dict[str, set[int]] = {"PATCH": set(), "DELETE": set()}
    with LiveApp(app) as live:
        for i in range(ROUNDS):
            created = app.test_client().post("/api/v1/contacts", headers={"Authorization": f"Bearer {token}"},
                                             json={"email": f"race{i}@example.org", "name": "Ambassador",
                                                   "tags": ["eu"]})
            assert created.status_code == 201, created.get_data(as_text=True)
            url = f"{live.url}/api/v1/contacts/{created.get_json()['id']}"
            start = threading.Barrier(2)

            def act(method: str, body=None):
                start.wait()
                seen[method].add(call(method, url, token, body))

            threads = [threading.Thread(target=act, args=("PATCH", {"position": f"Deputy {i}", "tags": ["un"]})),
                       threading.Thread(target=act, args=("DELETE",))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
    assert seen["PATCH"] <= {200, 404, 409}, seen
    assert seen["DELETE"] <= {200, 404, 409}, seen
