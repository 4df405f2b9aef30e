"""POST /webhooks/sendgrid/inbound/<secret>: replies matched and stored, auto-replies apart, bounces by mail."""
from __future__ import annotations

from sqlalchemy import select

from tests.campaigns.responses.conftest import INBOUND_SECRET
from tests.campaigns.responses.factories import make_mailing, message_row

URL = f"/webhooks/sendgrid/inbound/{INBOUND_SECRET}"


def inbound(client, headers: str, text: str = "", html: str = "", to: str = "", url: str = URL):
    return client.post(url, data={"headers": headers, "text": text, "html": html, "to": to,
                                  "subject": next((line[9:] for line in headers.splitlines()
                                                   if line.startswith("Subject: ")), "")},
                       content_type="multipart/form-data")


def responses(app):
    from campaigns.responses.models import Response
    from core.db import db

    with app.app_context():
        return [{"kind": r.kind, "message_id": r.message_id, "contact_id": r.contact_id, "suggested": r.suggested,
                 "html": r.body_html, "text": r.body_text, "auto_reason": r.auto_reason}
                for r in db.session.execute(select(Response).order_by(Response.id)).scalars()]


def test_a_reply_is_matched_by_the_token_in_the_address(app, client):
    m = make_mailing(app, 2)["messages"][1]
    headers = (f"From: Attaché <attache@de.example>\nTo: reply+{m['key']}@outreach.example\n"
               "Subject: Re: Appeal for Ana\nMessage-ID: <a1@de.example>\n")
    answer = inbound(client, headers, text="Thank you for your letter; we have raised the case with the ministry.",
                     html='<p>Thank you<script>alert(1)</script><img src="https://t.example/p.gif"></p>',
                     to=f"reply+{m['key']}@outreach.example")
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "reply"
    [stored] = responses(app)
    assert stored["message_id"] == m["id"] and stored["contact_id"] == m["contact_id"]
    assert stored["suggested"] == "action_taken"
    assert "script" not in stored["html"] and "img" not in stored["html"]
    assert message_row(app, m["id"])["state"] == "replied"


def test_a_reply_is_matched_by_in_reply_to_when_the_token_is_lost(app, client):
    m = make_mailing(app, 2)["messages"][0]
    headers = ("From: press@fr.example\nTo: campaign@outreach.example\nSubject: Re: Appeal\n"
               f"Message-ID: <a2@fr.example>\nIn-Reply-To: {m['message_id_header']}\n")
    assert inbound(client, headers, text="We cannot comment on an internal affair.").get_json()["outcome"] == "reply"
    [stored] = responses(app)
    assert stored["message_id"] == m["id"] and stored["suggested"] == "refusal"
    assert message_row(app, m["id"])["state"] == "replied"


def test_an_out_of_office_reply_is_kept_apart_and_does_not_count_as_a_reply(app, client):
    m = make_mailing(app, 1)["messages"][0]
    headers = (f"From: attache@de.example\nTo: reply+{m['key']}@outreach.example\n"
               "Subject: Out of office: Appeal for Ana\nAuto-Submitted: auto-replied\nMessage-ID: <ooo@de.example>\n")
    assert inbound(client, headers, text="I am away until Monday.").get_json()["outcome"] == "auto_reply"
    [stored] = responses(app)
    assert stored["kind"] == "auto_reply" and stored["auto_reason"] == "Auto-Submitted: auto-replied"
    assert stored["suggested"] is None
    assert message_row(app, m["id"])["state"] == "delivered"


def test_a_retried_post_is_stored_once(app, client):
    m = make_mailing(app, 1)["messages"][0]
    headers = f"From: a@de.example\nTo: reply+{m['key']}@outreach.example\nSubject: Re\nMessage-ID: <same@de.example>\n"
    inbound(client, headers, text="Received.")
    assert inbound(client, headers, text="Received.").get_json()["outcome"] == "duplicate"
    assert len(responses(app)) == 1


def test_a_bounce_report_by_mail_bounces_the_message_and_suppresses(app, client):
    from contacts.suppression import is_suppressed

    m = make_mailing(app, 1)["messages"][0]
    raw = (f"From: MAILER-DAEMON@mx.example\nTo: campaign@outreach.example\nSubject: Undelivered Mail Returned to Sender\n"
           f"Message-ID: <dsn1@mx.example>\nMIME-Version: 1.0\n"
           f'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
           f"--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
           f"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
           f"Final-Recipient: rfc822; {m['email']}\nAction: failed\nStatus: 5.1.1\n\n"
           f"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {m['message_id_header']}\nSubject: Appeal\n\n--B--\n")
    answer = client.post(URL, data={"email": raw, "to": "campaign@outreach.example"}, content_type="multipart/form-data")
    assert answer.get_json()["outcome"] == "bounce"
    assert responses(app) == []
    assert message_row(app, m["id"])["state"] == "bounced"
    with app.app_context():
        assert is_suppressed(m["email"])


def test_a_wrong_or_missing_secret_gets_403(app, client):
    m = make_mailing(app, 1)["messages"][0]
    headers = f"From: a@de.example\nTo: reply+{m['key']}@outreach.example\nSubject: Re\n"
    assert inbound(client, headers, text="x", url="/webhooks/sendgrid/inbound/wrong").status_code == 403
    app.config["INBOUND_WEBHOOK_SECRET"] = None
    assert inbound(client, headers, text="x").status_code == 403
    assert responses(app) == [] and message_row(app, m["id"])["state"] == "sent"


def test_attachments_are_kept_only_when_configured(app, client):
    import io

    from campaigns.responses.models import ResponseAttachment
    from core.db import db

    m = make_mailing(app, 1)["messages"][0]
    headers = f"From: a@de.example\nTo: reply+{m['key']}@outreach.example\nSubject: Re\n"

    def post(message_id: str):
        return client.post(URL, data={"headers": headers + f"Message-ID: <{message_id}@de.example>\n", "text": "See attached.",
                                      "attachment1": (io.BytesIO(b"%PDF-1.4 note"), "note.pdf", "application/pdf")},
                           content_type="multipart/form-data")

    post("one")
    app.config["INBOUND_KEEP_ATTACHMENTS"] = True
    post("two")
    with app.app_context():
        kept = db.session.execute(select(ResponseAttachment.filename, ResponseAttachment.size)).all()
    assert [tuple(k) for k in kept] == [("note.pdf", 13)]


def test_a_mail_to_the_list_unsubscribe_address_suppresses(app, client):
    from contacts.suppression import is_suppressed

    m = make_mailing(app, 1)["messages"][0]
    headers = f"From: {m['email']}\nTo: unsubscribe+{m['key']}@outreach.example\nSubject: unsubscribe\n"
    assert inbound(client, headers, to=f"unsubscribe+{m['key']}@outreach.example").get_json()["outcome"] == "unsubscribe"
    assert responses(app) == []
    with app.app_context():
        assert is_suppressed(m["email"])
