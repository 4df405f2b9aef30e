"""Delivery to targets: the compiled letter as a PDF, digests of only the new signatures, mailto copies."""
from __future__ import annotations

import pytest

from tests.campaigns.drives.helpers import make_contact, make_drive, outbox, sign


def _deliveries(app):
    from sqlalchemy import select

    from campaigns.drives.models import DriveDelivery
    from core.db import db

    with app.app_context():
        return [(d.kind, d.email, d.signatures, d.named, d.state) for d in
                db.session.execute(select(DriveDelivery).order_by(DriveDelivery.id)).scalars()]


def _signers(client):
    sign(client, name="Aigerim Nurlanovna", display="full", consent="1")
    sign(client, name="Secret Person", city="Almaty", display="anonymous", consent="1")
    sign(client, name="Quiet Person", display="full", consent=None)


def _attachment(message) -> bytes:
    [part] = [p for p in message.iter_attachments()]
    assert part.get_content_type() == "application/pdf"
    return part.get_content()


def test_the_compiled_letter_reaches_each_target_with_a_pdf(app, client, runner):
    make_contact(app, "envoy@embassy.example", language="en")
    make_contact(app, "posol@embassy.example", language="ru")
    make_contact(app, "other@example.org", tags=("media",))
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    result = runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert "2 sent, 0 failed" in result.output, result.output
    mails = {m["To"]: m for m in outbox(app)}
    assert set(mails) == {"envoy@embassy.example", "posol@embassy.example"}
    english = mails["envoy@embassy.example"]
    assert english["Subject"] == "Free Aigerim"
    assert "3 people signed this letter" in english.get_body(("plain",)).get_content()
    assert mails["posol@embassy.example"]["Subject"] == "Свободу Айгерим"
    pdf = _attachment(english)
    assert pdf.startswith(b"%PDF")
    from campaigns.drives.delivery import compile_for
    from campaigns.drives.models import Drive
    from core.db import db

    with app.app_context():
        drive = db.session.get(Drive, 1)
        doc = compile_for(drive, [("Aigerim Nurlanovna", "Almaty", "KZ", "full", True),
                                  ("Secret Person", "Almaty", "KZ", "anonymous", True),
                                  ("Quiet Person", "Almaty", "KZ", "full", False)], "en", 3, False)
    assert doc.named == ["Aigerim Nurlanovna, Almaty, Kazakhstan", "name withheld for safety"]
    assert doc.note == "and 1 more who asked that only their number be passed on"
    assert _deliveries(app) == [("compiled", "envoy@embassy.example", 3, 2, "sent"),
                                ("compiled", "posol@embassy.example", 3, 2, "sent")]


def test_digests_carry_only_new_signatures(app, client, runner):
    make_contact(app, "envoy@embassy.example")
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    runner.invoke(args=["drives", "digest", "--drive", "1"])
    nothing_new = runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert "0 sent" in nothing_new.output
    sign(client, name="Late Signer")
    runner.invoke(args=["drives", "digest", "--drive", "1"])
    latest = outbox(app)[-1]
    assert latest["Subject"] == "Another 1 people signed: Free Aigerim"
    assert "1 more people signed this letter since our last message" in latest.get_body(("plain",)).get_content()
    assert [d[0] for d in _deliveries(app)] == ["compiled", "digest"]
    assert _deliveries(app)[1][2] == 1


def test_the_scheduled_digest_waits_for_the_interval(app, client, runner):
    make_contact(app, "envoy@embassy.example")
    make_drive(app, audience={"tags": ["eu"]}, digest_days=7)
    sign(client)
    runner.invoke(args=["drives", "digest", "--drive", "1"])
    sign(client, name="Another One")
    assert runner.invoke(args=["drives", "digest"]).output == ""  # not due yet
    from sqlalchemy import update

    from campaigns.drives.models import DriveDelivery
    from core.db import db, utcnow
    from datetime import timedelta

    with app.app_context():
        db.session.execute(update(DriveDelivery).values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()
    assert "1 sent" in runner.invoke(args=["drives", "digest"]).output


def test_the_pdf_holds_cyrillic_and_kazakh_letters(app):
    from campaigns.drives.pdf import Compiled, render_pdf

    data = render_pdf(Compiled(heading="Ашық хат", title="Свободу Айгерим", body="Құрметті елші,\n\nПросим.",
                               named=["Әсел Қайратқызы, Алматы", "имя скрыто ради безопасности"], note="",
                               summary="Письмо подписали: 2"))
    assert data.startswith(b"%PDF") and b"SourceSansPro" in data
    assert len(data) < 200_000  # the font is subset, not embedded whole


@pytest.mark.parametrize("backend", ["sendgrid"])
def test_the_compiled_letter_goes_through_the_sendgrid_stand_in(database_url, tmp_path, backend):
    from tests.standins.sendgrid import SendgridStandin

    from app import create_app

    with SendgridStandin(keep_bodies=True) as standin:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                          "OUTBOX_DIR": str(tmp_path / "outbox"), "DRIVE_STATS_SECONDS": 0, "MAIL_BACKEND": backend,
                          "SENDGRID_API_KEY": "SG.test", "SENDGRID_API_HOST": standin.url,
                          "MAIL_FROM": "letters@solidarity.example"})
        client = app.test_client()
        make_contact(app, "envoy@embassy.example")
        make_contact(app, "posol@embassy.example", language="ru")
        make_drive(app, audience={"tags": ["eu"]})
        _signers(client)
        with app.app_context():
            from campaigns.drives.delivery import deliver_drive

            report = deliver_drive(1)
        assert (report.sent, report.failed) == (2, 0)
        assert sorted(standin.recipients()) == ["envoy@embassy.example", "posol@embassy.example"]
        body = standin.accepted[0].body
        [attachment] = body["attachments"]
        assert attachment["type"] == "application/pdf" and attachment["filename"] == "free-aigerim-1.pdf"
        import base64

        assert base64.b64decode(attachment["content"]).startswith(b"%PDF")
        assert all(d[4] == "sent" for d in _deliveries(app))
        with app.app_context():
            from core.db import db

            db.session.remove()
            db.engine.dispose()


def test_mailto_drives_offer_the_letter_in_the_signers_own_mail_and_count_the_copy(app, client, auth):
    make_contact(app, "envoy@embassy.example")
    make_drive(app, audience={"tags": ["eu"]}, delivery="mailto")
    page = sign(client).get_data(as_text=True)
    assert "Send the letter from your own mail too" in page
    import html
    import re
    from urllib.parse import parse_qs, unquote, urlsplit

    href = html.unescape(re.search(r'href="(mailto:[^"]+)"', page).group(1))
    parts = urlsplit(href)
    assert unquote(parts.path) == "envoy@embassy.example"
    query = parse_qs(parts.query)
    assert query["subject"] == ["Free Aigerim"] and "We ask you to visit Aigerim" in query["body"][0]
    [bcc] = query["bcc"]
    assert bcc.startswith("drive-copy+")
    # The supporter's own mail arrives through Inbound Parse: the copy address only in the envelope (Bcc).
    app.config["INBOUND_WEBHOOK_SECRET"] = "inbound-secret"
    import json

    def arrive(to: str):
        return client.post("/webhooks/sendgrid/inbound/inbound-secret", content_type="multipart/form-data", data={
            "headers": "From: supporter@mail.example\nTo: envoy@embassy.example\nSubject: Free Aigerim\n",
            "text": "We ask you to visit Aigerim", "subject": "Free Aigerim", "to": "envoy@embassy.example",
            "envelope": json.dumps({"to": ["envoy@embassy.example", to], "from": "supporter@mail.example"})})

    for to in (bcc, bcc, "drive-copy+unknownunknown@localhost"):  # twice: counted once; unknown: nothing
        reply = arrive(to)
        assert reply.status_code == 200 and reply.get_json() == {"outcome": "drive_copy"}
    assert [d[0] for d in _deliveries(app)] == ["mailto"]
    with app.app_context():
        from sqlalchemy import func, select

        from campaigns.responses.models import Response
        from core.db import db

        assert db.session.execute(select(func.count()).select_from(Response)).scalar() == 0  # no address kept
    auth.login("viewer")
    assert '<dd id="copies">1 counted copy</dd>' in client.get("/campaign-drives/1").get_data(as_text=True)


def test_campaigners_start_a_delivery_from_the_drive_page(app, client, auth):
    make_contact(app, "envoy@embassy.example")
    make_drive(app, audience={"tags": ["eu"]})
    sign(client)
    auth.login("campaigner")
    from tests.conftest import csrf_token

    page = client.get("/campaign-drives/1").get_data(as_text=True)
    assert "Deliver to targets" in page and 'href="/campaign-drives/1/deliver"' in page
    confirm = client.get("/campaign-drives/1/deliver").get_data(as_text=True)
    assert "This will mail 1 person" in confirm and "envoy@embassy.example" in confirm
    token = csrf_token(client, "/campaign-drives/1/deliver")
    refused = client.post("/campaign-drives/1/deliver", data={"csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/campaign-drives/1/deliver")
    assert outbox(app) == []
    response = client.post("/campaign-drives/1/deliver", data={"csrf_token": token, "confirm": "1"})
    assert response.status_code == 302
    page = client.get("/campaign-drives/1").get_data(as_text=True)
    assert "envoy@embassy.example" in page and "compiled" in page
    assert len(outbox(app)) == 1


def test_a_targets_deliveries_are_in_their_history_export_and_erased_with_them(app, client, auth, runner):
    from sqlalchemy import select

    from campaigns.drives.models import DriveDelivery
    from core.db import db
    from tests.conftest import csrf_token

    envoy = make_contact(app, "envoy@embassy.example")
    make_contact(app, "posol@embassy.example", language="ru")
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    assert "2 sent, 0 failed" in runner.invoke(args=["drives", "digest", "--drive", "1"]).output
    auth.login("campaigner")
    page = client.get(f"/contacts/{envoy}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert "Letter drive: Free Aigerim" in history and "3 signatures" in history and "/campaign-drives/1" in history
    data = client.get(f"/contacts/{envoy}/data.json").get_json()
    assert [(d["kind"], d["email"], d["signatures"]) for d in data["drive_deliveries"]] == [
        ("compiled", "envoy@embassy.example", 3)]
    client.post(f"/contacts/{envoy}/erase", data={"csrf_token": csrf_token(client, f"/contacts/{envoy}")})
    with app.app_context():
        from campaigns.mailings.models import Message

        rows = db.session.execute(select(DriveDelivery.email, DriveDelivery.contact_id, Message.email,
                                         Message.message_id_header, Message.sealed)
                                  .join(Message, Message.id == DriveDelivery.sent_id).order_by(DriveDelivery.id)).all()
    # The drive still counts two deliveries; nothing of the erased envoy is left in them or in the ledger.
    assert len(rows) == 2 and "envoy@embassy.example" not in [r[0] for r in rows] + [r[2] for r in rows]
    assert rows[0][:2] == (None, None) and rows[0][2].endswith("@erased.invalid") and rows[0][3:] == (None, None)
    assert rows[1][0] == "posol@embassy.example"


def test_through_sendgrid_the_letter_travels_as_an_attachment_of_one_recipient_each(app, client, runner):
    import base64

    from tests.standins.sendgrid import SendgridStandin

    make_contact(app, "envoy@embassy.example", language="en")
    make_contact(app, "posol@embassy.example", language="ru")
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    with SendgridStandin(keep_bodies=True) as standin:
        app.config.update(MAIL_BACKEND="sendgrid", SENDGRID_API_HOST=standin.url, SENDGRID_API_KEY="SG.k")
        result = runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert "2 sent, 0 failed" in result.output, result.output
    assert sorted(a.to[0] for a in standin.accepted) == ["envoy@embassy.example", "posol@embassy.example"]
    for accepted in standin.accepted:
        [attachment] = accepted.body["attachments"]
        assert attachment["type"] == "application/pdf"
        assert base64.b64decode(attachment["content"]).startswith(b"%PDF")


def test_through_smtp_the_letter_travels_as_a_mime_attachment_of_one_recipient_each(app, client, runner):
    import email
    import email.policy

    from tests.standins.smtp import Relay, running

    make_contact(app, "envoy@embassy.example", language="en")
    make_contact(app, "posol@embassy.example", language="ru")
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    with running(Relay()) as relay:
        app.config.update(MAIL_BACKEND="smtp", SMTP_URL=relay.url)
        result = runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert "2 sent, 0 failed" in result.output, result.output
    assert sorted(c.to for c in relay.copies) == [["envoy@embassy.example"], ["posol@embassy.example"]]
    for copy in relay.copies:
        [part] = email.message_from_bytes(copy.data, policy=email.policy.default).iter_attachments()
        assert part.get_content_type() == "application/pdf" and part.get_content().startswith(b"%PDF")
    assert all(d[4] == "sent" for d in _deliveries(app))


def test_a_target_can_unsubscribe_from_a_drive_letter_in_one_click(app, client, runner):
    """Drive letters go to people outside the team like appeals do: with a one-click unsubscribe."""
    make_contact(app, "envoy@embassy.example", language="en")
    make_contact(app, "posol@embassy.example", language="ru")
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    runner.invoke(args=["drives", "digest", "--drive", "1"])
    letter = {m["To"]: m for m in outbox(app)}["envoy@embassy.example"]
    assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = letter["List-Unsubscribe"].strip("<>").split(">")[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(f"/{path}", data={"List-Unsubscribe": "One-Click"}).status_code == 200  # a mail client's POST
    sign(client, name="Later Signer", display="full", consent="1")
    result = runner.invoke(args=["drives", "digest", "--drive", "1"])
    assert "1 sent" in result.output, result.output  # the digest reaches only the one still listening
    assert [m["To"] for m in outbox(app)].count("envoy@embassy.example") == 1


def test_a_letter_the_relay_refused_is_tried_again_on_the_next_delivery_and_only_then(app, client, runner):
    from tests.standins.smtp import Relay, running

    make_contact(app, "envoy@embassy.example", language="en")
    make_contact(app, "posol@embassy.example", language="ru")
    make_drive(app, audience={"tags": ["eu"]})
    _signers(client)
    relay = Relay(at_rcpt={"posol@embassy.example": "550 5.1.1 mailbox full"}, times={"posol@embassy.example": 1})
    with running(relay):
        app.config.update(MAIL_BACKEND="smtp", SMTP_URL=relay.url)
        first = runner.invoke(args=["drives", "digest", "--drive", "1"]).output
        again = runner.invoke(args=["drives", "digest", "--drive", "1"]).output  # no new signature since
        third = runner.invoke(args=["drives", "digest", "--drive", "1"]).output
    assert "1 sent, 1 failed" in first and "1 sent, 0 failed" in again and "0 sent, 0 failed" in third, (first, again, third)
    assert sorted(c.to[0] for c in relay.copies if c.taken) == ["envoy@embassy.example", "posol@embassy.example"]
    assert [d[1:] for d in _deliveries(app)] == [("envoy@embassy.example", 3, 2, "sent"),
                                                 ("posol@embassy.example", 3, 2, "failed"),
                                                 ("posol@embassy.example", 3, 2, "sent")]
