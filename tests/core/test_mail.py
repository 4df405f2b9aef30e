"""The delivery backends: outbox files, SMTP on a real local server, SendGrid against the stand-in."""
from __future__ import annotations

import email
import email.policy
import logging
import time

import pytest

from core import mail
from core.mail.sendgrid import KEY_ARG
from tests.standins.sendgrid import Faults, SendgridStandin


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def envelope(to="envoy@example.org", key="k3y", subject="Free Aigul", **kw) -> mail.Envelope:
    return mail.Envelope(to=to, subject=subject, text="Dear envoy", html="<p>Dear envoy</p>",
                         from_email="campaigns@example.net", from_name="Campaign", key=key,
                         reply_to=f"reply+{key}@example.net", message_id=mail.new_message_id("campaigns@example.net", key),
                         unsubscribe_url=f"https://app.example.net/unsubscribe/{'t' * 90}",
                         unsubscribe_mailto=f"unsubscribe+{key}@example.net", **kw)


def test_every_message_carries_a_message_id_and_one_click_unsubscribe(tmp_path):
    session = mail.open_session({"MAIL_BACKEND": "outbox", "OUTBOX_DIR": str(tmp_path)})
    outcomes = session.send_many([envelope(), envelope(to="other@example.org", key="k4y")])
    assert [o.kind for o in outcomes] == ["sent", "sent"]
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    parsed = [email.message_from_bytes(f.read_bytes()) for f in files]
    assert len({m["Message-ID"] for m in parsed}) == 2
    for m in parsed:
        assert m["List-Unsubscribe"].startswith("<https://app.example.net/unsubscribe/")
        assert "<mailto:unsubscribe+" in m["List-Unsubscribe"]
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "=?" not in m["List-Unsubscribe"]  # one plain header, not an encoded-word
        assert len(m.get_all("To")) == 1


@pytest.mark.parametrize("concurrency", [1, 2])
def test_smtp_keeps_its_connections_for_a_batch_and_sends_one_recipient_each(tmp_path, concurrency):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.envelopes, self.sessions = [], set()

        async def handle_DATA(self, server, session, env):
            self.envelopes.append(list(env.rcpt_tos))
            self.sessions.add(id(session))
            return "250 OK"

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        session = mail.open_session({"MAIL_BACKEND": "smtp", "SMTP_URL": f"smtp://127.0.0.1:{port}",
                                     "SMTP_CONCURRENCY": concurrency})
        outcomes = session.send_many([envelope(to=f"p{i}@example.org", key=f"k{i}") for i in range(5)])
        outcomes += session.send_many([envelope(to=f"p{i}@example.org", key=f"k{i}") for i in range(5, 8)])
        session.close()
    finally:
        controller.stop()
    assert [o.kind for o in outcomes] == ["sent"] * 8
    assert sorted(sink.envelopes) == [[f"p{i}@example.org"] for i in range(8)]
    assert len(sink.sessions) <= concurrency  # the second batch reused the first one's connections


def test_smtp_refuses_a_password_in_the_clear_to_a_remote_server():
    session = mail.open_session({"MAIL_BACKEND": "smtp", "SMTP_URL": "smtp://user:secret@192.0.2.1:2525",
                                 "SMTP_CONNECT_TIMEOUT": 0.5})
    assert session.send_many([envelope()])[0].kind == mail.RETRY


def _sendgrid(standin, **extra):
    return mail.open_session({"MAIL_BACKEND": "sendgrid", "SENDGRID_API_HOST": standin.url,
                              "SENDGRID_API_KEY": "SG.secret-key", "SENDGRID_READ_TIMEOUT": 1,
                              "SENDGRID_CONNECT_TIMEOUT": 1, **extra})


def test_sendgrid_body_has_one_recipient_the_key_only_and_no_tracking_by_default(caplog):
    caplog.set_level(logging.DEBUG)
    with SendgridStandin(keep_bodies=True) as standin:
        outcomes = _sendgrid(standin).send_many([envelope(to=f"p{i}@example.org", key=f"k{i}") for i in range(20)])
        tracked = _sendgrid(standin).send_many([envelope(to="t@example.org", key="kt", tracking=True)])
    assert {o.kind for o in outcomes + tracked} == {"sent"}
    assert all(o.provider_id for o in outcomes)
    assert sorted(a.to[0] for a in standin.accepted[:20]) == sorted(f"p{i}@example.org" for i in range(20))
    assert all(len(a.to) == 1 and len(a.body["personalizations"]) == 1 for a in standin.accepted)
    assert all(set(a.custom_args) == {KEY_ARG} for a in standin.accepted)
    untracked = standin.accepted[0].body["tracking_settings"]
    assert untracked["open_tracking"]["enable"] is False and untracked["click_tracking"]["enable"] is False
    assert standin.accepted[-1].body["tracking_settings"]["open_tracking"]["enable"] is True
    headers = standin.accepted[0].headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and "Message-ID" in headers
    assert "SG.secret-key" not in caplog.text and "Dear envoy" not in caplog.text


@pytest.mark.parametrize("fault, kind", [("p429", mail.RETRY), ("p500", mail.AMBIGUOUS), ("p503", mail.AMBIGUOUS),
                                         ("p_accept_then_fail", mail.AMBIGUOUS), ("p_hang", mail.AMBIGUOUS)])
def test_sendgrid_outcomes_are_classified(fault, kind):
    with SendgridStandin(Faults(**{fault: 1.0}, hang_seconds=2)) as standin:
        outcome = _sendgrid(standin).send_many([envelope()])[0]
    assert outcome.kind == kind
    if fault == "p429":
        assert 0 < outcome.retry_after <= 2


def test_sendgrid_rejections_and_refused_credentials():
    with SendgridStandin() as standin:
        bad = _sendgrid(standin).send_many([envelope(to="not-an-address")])[0]
        bad_body = _sendgrid(standin).send_many([envelope(to="x@y.org", subject="")])[0]
        session = _sendgrid(standin)
        session.headers = {**session.headers, "Authorization": "Basic x"}
        refused = session.send_many([envelope()])[0]
    assert bad.kind == mail.REJECTED
    assert bad_body.kind == mail.REJECTED and "subject is required" in bad_body.reason
    assert refused.kind == mail.AUTH


def test_sendgrid_requests_are_in_flight_together():
    with SendgridStandin(Faults(latency=(0.1, 0.1))) as standin:
        session = _sendgrid(standin, SENDGRID_CONCURRENCY=16)
        started = time.monotonic()
        outcomes = session.send_many([envelope(to=f"p{i}@example.org", key=f"k{i}") for i in range(32)])
        elapsed = time.monotonic() - started
    assert {o.kind for o in outcomes} == {"sent"}
    assert elapsed < 1.0  # 32 requests of 100 ms each, 16 at a time: about 0.2 s, not 3.2 s


def test_nothing_starts_after_the_deadline():
    with SendgridStandin() as standin:
        outcomes = _sendgrid(standin).send_many([envelope()], deadline=time.monotonic() - 1)
    assert outcomes[0].kind == mail.RETRY and standin.accepted == []


def test_sendgrid_unreachable_is_retried_not_ambiguous():
    session = mail.open_session({"MAIL_BACKEND": "sendgrid", "SENDGRID_API_HOST": f"http://127.0.0.1:{free_port()}",
                                 "SENDGRID_CONNECT_TIMEOUT": 1, "SENDGRID_READ_TIMEOUT": 1})
    outcomes = session.send_many([envelope(), envelope(to="other@example.org", key="k4y")])
    assert [o.kind for o in outcomes] == [mail.RETRY, mail.RETRY]
    assert "cannot connect" in outcomes[0].reason


def pdf(name="letter.pdf") -> mail.Attachment:
    return mail.Attachment(name, b"%PDF-1.4 a letter\n.\n", "application/pdf")


def test_attachments_travel_as_mime_parts_in_the_outbox(tmp_path):
    session = mail.open_session({"MAIL_BACKEND": "outbox", "OUTBOX_DIR": str(tmp_path)})
    assert session.send_many([envelope(attachments=(pdf(), pdf("second.pdf")))])[0].kind == mail.SENT
    [file] = tmp_path.glob("*.eml")
    parsed = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    parts = list(parsed.iter_attachments())
    assert [(p.get_filename(), p.get_content_type()) for p in parts] == [
        ("letter.pdf", "application/pdf"), ("second.pdf", "application/pdf")]
    assert parts[0].get_content() == b"%PDF-1.4 a letter\n.\n"
    assert parsed.get_body(("plain",)).get_content().strip() == "Dear envoy"


def test_sendgrid_body_carries_the_attachment():
    import base64

    with SendgridStandin(keep_bodies=True) as standin:
        outcome = _sendgrid(standin).send_many([envelope(attachments=(pdf(),))])[0]
    assert outcome.kind == mail.SENT
    [attachment] = standin.accepted[0].body["attachments"]
    assert attachment == {"content": base64.b64encode(b"%PDF-1.4 a letter\n.\n").decode(), "type": "application/pdf",
                          "filename": "letter.pdf", "disposition": "attachment"}


def test_only_sendgrid_has_evidence_to_settle_an_ambiguous_send():
    assert mail.has_evidence({"MAIL_BACKEND": "sendgrid"}) is True
    assert mail.has_evidence({"MAIL_BACKEND": "smtp"}) is False
    assert mail.has_evidence({"MAIL_BACKEND": "outbox"}) is False
