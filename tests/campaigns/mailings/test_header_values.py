"""Values that end up in a mail header: every line break Python's email package knows is refused where
the value is saved, with the field named, and a message whose filled-in headers still hold one fails
alone with the reason: the send answers, the mailing finishes, nobody is left in `sending`."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from tests.campaigns.mailings.factories import make_contacts

# U+2028 and U+0085 and U+000B passed every check and made the send answer 500 (issue 13, item 4).
BREAKS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\r", "\n", "\x00"]


def test_the_refused_characters_are_exactly_where_python_breaks_a_line():
    from core.mail.headers import LINE_BREAKS, header_problem

    every = {chr(c) for c in range(0x110000) if len(f"a{chr(c)}b".splitlines()) > 1}
    assert every == set(LINE_BREAKS)
    assert all(header_problem(f"Free{c}Ivan") for c in BREAKS) and header_problem("Free Ivan — now") is None


def api(auth, role: str = "campaigner") -> dict:
    return {"Authorization": f"Bearer {auth.token(role)}"}


@pytest.mark.parametrize("char", BREAKS, ids=[f"U+{ord(c):04X}" for c in BREAKS])
def test_a_subject_with_a_line_break_is_refused_at_save_naming_the_subject(client, auth, char):
    response = client.post("/api/v1/templates", headers=api(auth), json={
        "name": "Appeal", "subject": f"Free{char}Ivan", "body": "Please act."})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["subject"]
    assert "line break" in response.json["error"]["fields"]["subject"] or char == "\x00"  # NUL: refused earlier


@pytest.mark.parametrize("field", ["from_name", "label"])
def test_a_sender_identity_with_a_line_break_is_refused_naming_the_field(client, auth, field):
    identity = {"label": "Press office", "from_name": "Justice for Aigul", "from_email": "press@example.net"}
    headers = api(auth)
    for char in ("\u2028", "\x85", "\x0b"):
        response = client.post("/api/v1/senders", headers=headers, json={**identity, field: f"Justice{char}now"})
        assert response.status_code == 422 and list(response.json["error"]["fields"]) == [field]


def test_a_typed_from_name_with_a_line_break_is_refused(client, auth, app):
    from tests.campaigns.mailings.factories import make_template

    with app.app_context():
        template_id = make_template()
    response = client.post("/api/v1/mailings", headers=api(auth), json={
        "name": "Appeal", "template_id": template_id, "audience": {"tags": ["envoys"]},
        "from_email": "campaigns@example.net", "from_name": "Campaign\u2028Bcc: x@example.org"})
    assert response.status_code == 422 and list(response.json["error"]["fields"]) == ["from_name"]


def test_a_case_name_with_a_line_break_is_refused_when_the_case_is_saved(client, auth):
    response = client.post("/api/v1/cases", headers=api(auth), json={"name": "Ivan\u2028Petrov"})
    assert response.status_code == 422 and list(response.json["error"]["fields"]) == ["name"]


def rows_saved_before_this_check(app, case: dict, from_name: str = "Campaign", subject: str = "Free {{ case.name }}"):
    """A case and a sender written before these checks existed: real rows, as old data is."""
    from campaigns.cases.models import Case
    from campaigns.senders.models import SenderIdentity
    from tests.campaigns.mailings.factories import make_template

    with app.app_context():
        make_contacts(2)
        case = Case(status="detained", **case)
        sender = SenderIdentity(label="Old", from_name=from_name, from_email="campaigns@example.net")
        db.session.add_all([case, sender])
        db.session.commit()
        return make_template(subject=subject), case.id, sender.id


@pytest.mark.parametrize("char", ["\u2028", "\x85", "\x0b"], ids=["U+2028", "U+0085", "U+000B"])
@pytest.mark.parametrize("case, subject, field", [
    ({"name": "Ivan{}Petrov"}, "Free {{ case.name }}", "case.name"),  # a name: refused wherever it is used
    ({"name": "Ivan Petrov", "summary": "Held{}since May"}, "About {{ case.summary }}", "subject"),  # the last check
], ids=["case name", "summary in the subject"])
def test_a_value_that_breaks_the_subject_fails_its_messages_and_the_mailing_finishes(
        client, auth, app, char, case, subject, field):
    from campaigns.mailings.models import Message

    case = {key: value.format(char) for key, value in case.items()}
    template_id, case_id, _ = rows_saved_before_this_check(app, case, subject=subject)
    headers = api(auth)
    created = client.post("/api/v1/mailings", headers=headers, json={
        "name": "Appeal", "template_id": template_id, "case_id": case_id, "audience": {"tags": ["envoys"]},
        "from_email": "campaigns@example.net"})
    assert created.status_code == 201, created.json
    mailing_id = created.json["id"]
    sent = client.post(f"/api/v1/mailings/{mailing_id}/send", headers=headers)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    status = client.get(f"/api/v1/mailings/{mailing_id}", headers=headers).json
    assert status["status"] == "done"
    assert status["counts"]["failed"] == 2 and status["counts"]["sending"] == 0 and status["counts"]["sent"] == 0
    with app.app_context():
        reasons = list(db.session.execute(select(Message.last_error).where(Message.mailing_id == mailing_id)).scalars())
    assert len(reasons) == 2
    assert all(field in r and f"U+{ord(char):04X}" in r for r in reasons), reasons


def test_a_sender_saved_with_a_line_break_fails_its_messages_not_the_send(client, auth, app):
    from campaigns.mailings.models import Message

    template_id, case_id, sender_id = rows_saved_before_this_check(app, {"name": "Ivan Petrov"}, from_name="Justice\u2028now")
    headers = api(auth)
    created = client.post("/api/v1/mailings", headers=headers, json={
        "name": "Appeal", "template_id": template_id, "case_id": case_id, "audience": {"tags": ["envoys"]},
        "sender_id": sender_id})
    assert created.status_code == 201, created.json
    sent = client.post(f"/api/v1/mailings/{created.json['id']}/send", headers=headers)
    assert sent.status_code == 200, sent.get_data(as_text=True)
    status = client.get(f"/api/v1/mailings/{created.json['id']}", headers=headers).json
    assert status["status"] == "done" and status["counts"]["failed"] == 2 and status["counts"]["sending"] == 0
    with app.app_context():
        reasons = list(db.session.execute(
            select(Message.last_error).where(Message.mailing_id == created.json["id"])).scalars())
    assert len(reasons) == 2 and all("sender.name" in r and "U+2028" in r for r in reasons), reasons


def test_a_drive_title_with_a_line_break_is_refused_naming_the_field(client, auth):
    """A drive's title is the subject of the letters delivered to its targets."""
    headers = api(auth)
    body = {"slug": "free-aigerim", "title": "Free\u2028Aigerim", "letter": "We ask you to act.", "goal": 250,
            "audience": {"tags": ["eu"]}}
    refused = client.post("/api/v1/drives", json=body, headers=headers)
    assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == ["title"]
    body = {**body, "title": "Free Aigerim", "letter": {"en": {"title": "Free\x85Aigerim", "body": "We ask you."}}}
    refused = client.post("/api/v1/drives", json=body, headers=headers)
    assert refused.status_code == 422 and list(refused.json["error"]["fields"]) == ["letters.en.title"]
