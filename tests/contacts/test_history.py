"""A contact's history (what was sent, what came back) on their page, in their data export, and erased."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from campaigns.mailings.models import Message
from campaigns.responses.models import MessageEvent, Response, ResponseAttachment
from contacts.models import Contact
from contacts.suppression import is_suppressed
from core.db import db
from tests.campaigns.responses.factories import SENT_AT, make_mailing
from tests.conftest import csrf_token

REPLIED_AT = SENT_AT + timedelta(days=2)


def a_contact_with_history(app) -> tuple[dict, dict]:
    """Two people mailed; the first bounced once, then replied and met us; the second only got mail."""
    made = make_mailing(app, recipients=2, state="delivered", name="Appeal for Ana")
    first, second = made["messages"]
    with app.app_context():
        db.session.add_all([
            MessageEvent(sg_event_id="e1", message_id=first["id"], kind="delivered", occurred_at=SENT_AT,
                         detail=f"250 ok {first['email']}"),
            Response(kind="reply", message_id=first["id"], contact_id=first["contact_id"], occurred_at=REPLIED_AT,
                     subject="Re: Appeal for Ana", from_address=first["email"], body_text="We raised the case.",
                     outcome="positive"),
            Response(kind="meeting", contact_id=first["contact_id"], occurred_at=REPLIED_AT + timedelta(days=5),
                     subject="Meeting at the embassy", follow_up_on=(REPLIED_AT + timedelta(days=30)).date()),
            Response(kind="reply", message_id=second["id"], contact_id=second["contact_id"], occurred_at=REPLIED_AT,
                     subject="Not theirs", from_address=second["email"], body_text="Someone else."),
        ])
        db.session.flush()
        reply_id = db.session.execute(select(Response.id).where(Response.body_text == "We raised the case.")).scalar()
        db.session.add(ResponseAttachment(response_id=reply_id, filename="letter.pdf", content_type="application/pdf",
                                          size=3, data=b"pdf"))
        db.session.commit()
    return first, second


def test_the_contact_page_shows_what_was_sent_and_what_came_back(app, client, auth):
    first, _ = a_contact_with_history(app)
    auth.login("viewer")
    html = client.get(f"/contacts/{first['contact_id']}").get_data(as_text=True)
    history = html[html.index('id="history"'):]
    assert "Appeal for Ana" in history and "delivered" in history
    assert "Re: Appeal for Ana" in history and "positive" in history
    assert "Meeting at the embassy" in history and "follow up on 2026-04-03" in history
    assert "Not theirs" not in history and "Nothing has been sent" not in history
    # newest first: the meeting, the reply, then the mailing
    assert history.index("Meeting") < history.index("Re: Appeal") < history.index("Sent")
    assert f'/responses/messages/{first["id"]}' in history


def test_the_data_export_includes_messages_events_and_responses(app, client, auth):
    first, _ = a_contact_with_history(app)
    auth.login("campaigner")
    data = client.get(f"/contacts/{first['contact_id']}/data.json").get_json()
    (message,) = data["messages"]
    assert message["mailing"] == "Appeal for Ana" and message["email"] == first["email"]
    assert message["state"] == "delivered" and message["sent_at"].startswith("2026-03-02T09:00")
    assert [e["kind"] for e in data["message_events"]] == ["delivered"]
    assert sorted(r["kind"] for r in data["responses"]) == ["meeting", "reply"]
    assert "We raised the case." in [r["body_text"] for r in data["responses"]]
    assert [h["what"] for h in data["history"]] == ["Meeting", "Reply", "Appeal for Ana"]


def test_erasure_removes_their_responses_and_anonymises_their_messages(app, client, auth):
    first, second = a_contact_with_history(app)
    auth.login("campaigner")
    url = f"/contacts/{first['contact_id']}"
    client.post(f"{url}/erase", data={"csrf_token": csrf_token(client, url)})
    with app.app_context():
        assert db.session.get(Contact, first["contact_id"]) is None
        assert is_suppressed(first["email"])
        message = db.session.get(Message, first["id"])
        assert message.email == f"erased-{first['id']}@erased.invalid" and message.contact_id is None
        assert message.state == "delivered" and message.message_id_header is None  # the counts stay right
        assert db.session.execute(select(MessageEvent.detail)).scalar_one() == ""
        assert db.session.execute(select(Response.subject)).scalars().all() == ["Not theirs"]
        assert db.session.execute(select(func.count()).select_from(ResponseAttachment)).scalar_one() == 0
        other = db.session.get(Message, second["id"])
        assert other.email == second["email"] and other.contact_id == second["contact_id"]
        everything = " ".join(str(v) for row in db.session.execute(select(Message.email, Message.last_error))
                              for v in row)
        assert first["email"] not in everything
