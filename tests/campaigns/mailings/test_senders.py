"""A mailing's sender: the identity chosen when composing, the Reply-To recipients see, the test copy."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from tests.campaigns.mailings.factories import make_case, make_contacts, make_mailing, make_template, staff
from tests.conftest import csrf_token

PRESS = {"label": "Press office", "from_name": "Justice for Aigul", "from_email": "press@example.net",
         "reply_to": "team@example.net"}


def outbox(app) -> list:
    files = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]


def test_composing_offers_the_identities_and_the_chosen_one_fills_the_sender(app, client, auth):
    from campaigns.mailings.models import Mailing
    from campaigns.senders.services import create_sender
    from campaigns.services import create_campaign
    from core.db import db

    with app.app_context():
        make_contacts(2)
        template_id, case_id = make_template(), make_case()
        create_sender({**PRESS, "label": "A general", "from_email": "info@example.net", "reply_to": ""})
        press = create_sender(PRESS).id
        campaign = create_campaign({"name": "Free Aigul", "default_sender_id": press}).id
    auth.login("campaigner")
    first = client.get("/mailings/new").get_data(as_text=True)
    assert '<option value="1" selected>A general' in first  # no campaign: the first identity
    for_campaign = client.get(f"/mailings/new?campaign_id={campaign}").get_data(as_text=True)
    assert f'<option value="{press}" selected>Press office' in for_campaign
    assert f'<option value="{campaign}" data-sender="{press}" selected>' in for_campaign
    token = csrf_token(client, "/mailings/new")
    form = {"csrf_token": token, "name": "Appeal", "template_id": str(template_id), "case_ids": str(case_id),
            "tags": "envoys", "from_email": "typed@example.net"}
    unnamed = client.post("/mailings/new", data={**form, "sender_id": "", "from_email": ""})
    assert unnamed.status_code == 422 and "choose a sender" in unnamed.get_data(as_text=True)
    created = client.post("/mailings/new", data={**form, "sender_id": str(press)})
    assert created.status_code == 302
    typed = client.post("/mailings/new", data={**form, "sender_id": "", "reply_to": "Me@Example.net"})
    assert typed.status_code == 302
    with app.app_context():
        chosen, other = db.session.execute(db.select(Mailing).order_by(Mailing.id)).scalars().all()
        assert (chosen.sender_id, chosen.from_name, chosen.from_email, chosen.reply_to) == (
            press, "Justice for Aigul", "press@example.net", "team@example.net")
        assert (other.sender_id, other.from_email, other.reply_to) == (None, "typed@example.net", "me@example.net")


def test_without_capture_recipients_get_the_typed_reply_to_and_with_it_the_capture_address(app, client, auth):
    from campaigns.mailings.models import Message
    from campaigns.mailings.services import send_mailing
    from core.db import db

    with app.app_context():
        make_contacts(2)
        typed = make_mailing(reply_to="team@example.net")
        captured = make_mailing(tag="envoys", name="Second appeal", reply_to="team@example.net")
    auth.login("campaigner")
    review = client.get(f"/mailings/{typed}").get_data(as_text=True)
    assert '<dd id="reply-to">team@example.net: replies go there</dd>' in review
    with app.app_context():
        send_mailing(typed)
    assert {m["Reply-To"] for m in outbox(app)} == {"team@example.net"}

    app.config.update(INBOUND_REPLY_DOMAIN="replies.example.org", INBOUND_WEBHOOK_SECRET="inbound-secret")
    review = client.get(f"/mailings/{captured}").get_data(as_text=True)
    assert "<code>reply+&lt;key&gt;@replies.example.org</code>" in review
    assert "replies pass through this capture address and are shown in the app" in review
    with app.app_context():
        send_mailing(captured)
        keys = {m.email: m.key for m in db.session.execute(
            db.select(Message).where(Message.mailing_id == captured)).scalars()}
    later = outbox(app)[2:]
    assert {m["Reply-To"] for m in later} == {f"reply+{keys[m['To']]}@replies.example.org" for m in later}
    assert all(f"<mailto:unsubscribe+{keys[m['To']]}@replies.example.org>" in m["List-Unsubscribe"] for m in later)


def test_without_a_reply_to_and_without_capture_there_is_no_reply_to_header(app, client, auth):
    from campaigns.mailings.services import send_mailing

    with app.app_context():
        make_contacts(1)
        mailing_id = make_mailing()
        send_mailing(mailing_id)
    [message] = outbox(app)
    assert message["Reply-To"] is None and message["From"] == "Campaign <campaigns@example.net>"


def test_the_test_copy_is_what_the_first_recipient_gets(app, client, auth):
    from campaigns.mailings.review import review_mailing
    from campaigns.senders.services import create_sender

    with app.app_context():
        make_contacts(3)
        sender_id = create_sender(PRESS).id
        mailing_id = make_mailing(sender_id=sender_id)
        first = review_mailing(mailing_id, samples=1, reader=staff()).samples[0][0]["email"]
    auth.login("campaigner")
    page = f"/mailings/{mailing_id}"
    token = csrf_token(client, page)
    tested = client.post(f"{page}/test", data={"csrf_token": token}, follow_redirects=True)
    assert "A test copy went to campaigner@example.org" in tested.get_data(as_text=True)
    sent = client.post(f"{page}/send", data={"csrf_token": token, "confirm": "3"}, follow_redirects=True)
    assert "Sending started." in sent.get_data(as_text=True)
    test_copy, *letters = outbox(app)
    [real] = [m for m in letters if m["To"] == first]
    assert test_copy["To"] == "campaigner@example.org"
    assert test_copy["Subject"] == f"[TEST] {real['Subject']}"
    assert test_copy["From"] == real["From"] == "Justice for Aigul <press@example.net>"
    assert test_copy["Reply-To"] == real["Reply-To"] == "team@example.net"
    assert test_copy["List-Unsubscribe-Post"] == real["List-Unsubscribe-Post"]
    assert test_copy["Message-ID"].endswith("@example.net>") and real["Message-ID"].endswith("@example.net>")
    assert test_copy.get_body(("plain",)).get_content() == real.get_body(("plain",)).get_content()
    # The test copy's unsubscribe link must not put the campaigner's own address on the suppression list.
    link = test_copy["List-Unsubscribe"].split(",")[0].strip("<> ")
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"}).get_data(as_text=True)
    assert "This is a test copy" in answer
    with app.app_context():
        from contacts.suppression import is_suppressed

        assert not is_suppressed("campaigner@example.org")
