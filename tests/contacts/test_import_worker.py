"""An import from the page is done by a real rq worker (`flask worker`, another process) on Redis, as in
production: the web process only stores the upload and queues the job, and the page follows its
progress row to the end."""
from __future__ import annotations

import os
import time

import pytest

from tests.conftest import csrf_token
from tests.contacts.test_import_views import upload
from tests.faults.harness import Workers, private_redis

ROWS = 12000  # six batches: long enough for the page to see the import run


@pytest.fixture
def queue_url(redis_url) -> str:
    return private_redis(redis_url)


@pytest.fixture
def config(config, queue_url) -> dict:
    return {**config, "REDIS_URL": queue_url}


def test_an_upload_from_the_page_is_imported_by_a_worker_and_the_page_shows_it_to_done(app, client, auth, tmp_path,
                                                                                       queue_url):
    auth.login("campaigner")
    path = tmp_path / "list.csv"
    path.write_text("email;name\n" + "".join(f"p{i}@example.org;Person {i}\n" for i in range(ROWS)), encoding="utf-8")
    url = upload(client, path).headers["Location"]
    assert f"<strong>{ROWS}</strong> new" in client.get(url).get_data(as_text=True)
    client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import", "column-0": "email",
                           "column-1": "name"})
    assert "Waiting for a worker" in client.get(url + "/done").get_data(as_text=True)  # queued; no worker yet
    assert 'name="ids"' not in client.get("/contacts/").get_data(as_text=True)

    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": queue_url,
           "PYTHONUNBUFFERED": "1"}
    workers = Workers(env, tmp_path)
    workers.start()
    seen: list[tuple[str, int]] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            progress = client.get(url + "/progress").get_json()
            seen.append((progress["state"], progress["rows_done"]))
            if progress["done"]:
                break
            time.sleep(0.05)
    finally:
        workers.stop()
    log = (tmp_path / "worker1.log").read_text()
    assert seen[-1] == ("done", ROWS), (seen[-5:], log[-3000:])
    states = [state for state, _ in dict.fromkeys(seen)]
    assert states[0] == "queued" and "running" in states, states
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):  # heartbeats with the rows done so far
        assert any(state == "running" and 0 < rows < ROWS for state, rows in seen), sorted(set(seen))
    page = client.get(url + "/done").get_data(as_text=True)
    assert f"<strong>{ROWS}</strong> created" in page and "Import finished" in page
