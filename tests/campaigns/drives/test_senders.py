"""A drive's mail (letters to targets, signers' confirmations) comes from its sender identity."""
from __future__ import annotations

from tests.campaigns.drives.helpers import make_contact, make_drive, outbox, sign
from tests.conftest import csrf_token

PRESS = {"label": "Press office", "from_name": "Justice for Aigerim", "from_email": "press@example.net",
         "reply_to": "team@example.net"}


def _identity(app) -> int:
    from campaigns.senders.services import create_sender

    with app.app_context():
        return create_sender(PRESS).id


def test_letters_to_targets_and_confirmations_carry_the_drives_identity(app, client, runner):
    make_contact(app, "envoy@embassy.example")
    make_drive(app, audience={"tags": ["eu"]}, sender_id=_identity(app))
    sign(client, email="signer@example.org")
    [confirmation] = outbox(app)
    assert confirmation["To"] == "signer@example.org"
    assert confirmation["From"] == "Justice for Aigerim <press@example.net>"
    assert confirmation["Reply-To"] == "team@example.net"
    sign(client, name="Another Signer")
    result = runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert "1 sent, 0 failed" in result.output, result.output
    [letter] = [m for m in outbox(app) if m["To"] == "envoy@embassy.example"]
    assert letter["From"] == "Justice for Aigerim <press@example.net>"
    assert letter["Reply-To"] == "team@example.net"
    assert letter["Message-ID"].endswith("@example.net>")


def test_without_an_identity_a_drive_mails_from_mail_from(app, client, runner):
    app.config["MAIL_FROM"] = "drives@example.org"
    make_contact(app, "envoy@embassy.example")
    make_drive(app, audience={"tags": ["eu"]})
    sign(client, email="signer@example.org")
    sign(client, name="Another Signer")
    runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert {(m["From"], m["Reply-To"]) for m in outbox(app)} == {("drives@example.org", None)}


def test_the_drive_form_chooses_the_identity_and_delivery_asks_first(app, client, auth):
    sender_id = _identity(app)
    make_contact(app, "envoy@embassy.example", name="Envoy")
    make_drive(app, audience={"tags": ["eu"]})
    sign(client, name="A Signer")
    auth.login("campaigner")
    form = client.get("/campaign-drives/1/edit").get_data(as_text=True)
    assert f'<option value="{sender_id}">Press office: Justice for Aigerim &lt;press@example.net&gt;' in form
    from campaigns.drives.views import _values_of
    from campaigns.drives.drives import get_drive

    with app.test_request_context():
        values = _values_of(get_drive(1))
    values.update({"sender_id": str(sender_id), "csrf_token": csrf_token(client, "/campaign-drives/1/edit")})
    values["case_ids"] = []
    saved = client.post("/campaign-drives/1/edit", data=values)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    confirm = client.get("/campaign-drives/1/deliver").get_data(as_text=True)
    assert "This will mail 1 person" in confirm and "Envoy &lt;envoy@embassy.example&gt;" in confirm
    assert "From Justice for Aigerim &lt;press@example.net&gt;, replies to team@example.net." in confirm
    client.post("/campaign-drives/1/deliver", data={"csrf_token": csrf_token(client, "/campaign-drives/1/deliver"),
                                                    "confirm": "1"})
    [letter] = outbox(app)
    assert letter["From"] == "Justice for Aigerim <press@example.net>"
    again = client.get("/campaign-drives/1/deliver").get_data(as_text=True)
    assert "Nobody to mail now" in again
