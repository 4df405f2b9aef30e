"""The sender pages through the client (with CSRF) and the /api/v1/senders resource."""
from __future__ import annotations

from tests.conftest import csrf_token


def test_campaigners_create_edit_and_delete_identities_and_viewers_only_read(app, client, auth):
    auth.login("campaigner")
    assert 'href="/senders/"' in client.get("/").get_data(as_text=True)  # the menu entry
    token = csrf_token(client, "/senders/new")
    bad = client.post("/senders/new", data={"csrf_token": token, "label": "Press", "from_email": "nope"})
    assert bad.status_code == 422 and 'id="from_email-error"' in bad.get_data(as_text=True)
    made = client.post("/senders/new", data={"csrf_token": token, "label": "Press", "from_name": "Justice for Aigul",
                                             "from_email": "press@example.net", "reply_to": "team@example.net"})
    assert made.status_code == 302
    listing = client.get("/senders/").get_data(as_text=True)
    assert "Justice for Aigul &lt;press@example.net&gt;" in listing and "team@example.net" in listing
    edited = client.post("/senders/1/edit", data={"csrf_token": token, "label": "Press office",
                                                  "from_email": "press@example.net", "reply_to": ""})
    assert edited.status_code == 302 and "Press office" in client.get("/senders/").get_data(as_text=True)
    no_token = client.post("/senders/1/delete")
    assert no_token.status_code == 400

    viewer = app.test_client()
    auth.login("viewer", client=viewer)
    assert "Press office" in viewer.get("/senders/").get_data(as_text=True)
    assert "New sender" not in viewer.get("/senders/").get_data(as_text=True)
    assert viewer.get("/senders/new").status_code == 403
    assert viewer.post("/senders/1/delete", data={"csrf_token": csrf_token(viewer, "/senders/")}).status_code == 403

    deleted = client.post("/senders/1/delete", data={"csrf_token": csrf_token(client, "/senders/1/edit")},
                          follow_redirects=True)
    assert "Sender deleted." in deleted.get_data(as_text=True)


def test_a_campaign_names_its_default_identity(app, client, auth):
    from campaigns.senders.services import create_sender

    with app.app_context():
        create_sender({"label": "Press", "from_email": "press@example.net"})
    auth.login("campaigner")
    token = csrf_token(client, "/campaigns/new")
    assert '<option value="1">Press &lt;press@example.net&gt;</option>' in client.get("/campaigns/new").get_data(as_text=True)
    made = client.post("/campaigns/new", data={"csrf_token": token, "name": "Free Aigul", "default_sender_id": "1"})
    assert made.status_code == 302
    edit = client.get("/campaigns/1/edit").get_data(as_text=True)
    assert '<option value="1" selected>Press' in edit


def test_the_api_lists_creates_changes_and_deletes_identities(app, client, auth):
    headers = {"Authorization": f"Bearer {auth.token('campaigner')}"}
    made = client.post("/api/v1/senders", json={"label": "Press", "from_email": "Press@Example.net"}, headers=headers)
    assert made.status_code == 201 and made.get_json()["from_email"] == "press@example.net"
    bad = client.post("/api/v1/senders", json={"label": "X", "from_email": "nope"}, headers=headers)
    assert bad.status_code == 422 and "from_email" in bad.get_json()["error"]["fields"]
    changed = client.patch("/api/v1/senders/1", json={"reply_to": "team@example.net"}, headers=headers)
    assert changed.get_json() == {"id": 1, "label": "Press", "from_name": "", "from_email": "press@example.net",
                                  "reply_to": "team@example.net"}
    assert [s["label"] for s in client.get("/api/v1/senders", headers=headers).get_json()["senders"]] == ["Press"]
    assert client.delete("/api/v1/senders/1", headers=headers).get_json() == {"deleted": 1}
    assert client.get("/api/v1/senders/1", headers=headers).status_code == 404
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/senders"]) and "patch" in paths["/api/v1/senders/{sender_id}"]
