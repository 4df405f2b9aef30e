"""The SMTP backend against a real relay on the loopback (aiosmtpd) that answers late, drops the line,
defers and refuses. The relay's own log is the witness of what was taken, not the session's outcomes."""
from __future__ import annotations

import email
import email.policy
import time

import pytest
from core import mail
from tests.standins.smtp import Relay, Stalling, running

pytestmark = pytest.mark.xdist_group("smtp_relay")  # timing tests: kept on one worker, not racing each other


@pytest.fixture
def relay():
    with running(Relay()) as relay:
        yield relay


def session(url: str, **config):
    return mail.open_session({"MAIL_BACKEND": "smtp", "SMTP_URL": url, "SMTP_CONNECT_TIMEOUT": 5,
                              "SMTP_COMMAND_TIMEOUT": 5, "SMTP_DATA_START_TIMEOUT": 5, "SMTP_DATA_TIMEOUT": 5,
                              **config})


def send(url: str, envelopes: list[mail.Envelope], **config) -> list[mail.Outcome]:
    s = session(url, **config)
    try:
        return s.send_many(envelopes)
    finally:
        s.close()


def envelope(to="envoy@example.org", text="Dear envoy", **kw) -> mail.Envelope:
    return mail.Envelope(to=to, subject="Free Aigul", text=text, html=None, from_email="campaigns@example.net",
                         message_id=mail.new_message_id("campaigns@example.net"), **kw)


def test_a_late_final_reply_within_the_final_timeout_is_one_copy_sent(relay):
    relay.late["envoy@example.org"] = 3
    [outcome] = send(relay.url, [envelope()], SMTP_FINAL_TIMEOUT=6)
    assert outcome.kind == mail.SENT
    assert relay.taken("envoy@example.org") == 1


def test_no_final_reply_within_the_final_timeout_is_ambiguous_and_never_sent_again(relay):
    relay.late["envoy@example.org"] = 3
    started = time.monotonic()
    [outcome] = send(relay.url, [envelope()], SMTP_FINAL_TIMEOUT=1)
    assert outcome.kind == mail.AMBIGUOUS
    assert outcome.reason == "no reply after the final dot within SMTP_FINAL_TIMEOUT (1 s)"
    assert time.monotonic() - started < 2.5  # gave up after the final timeout, did not wait for the relay
    time.sleep(3)  # let the relay finish its answer
    assert relay.taken("envoy@example.org") == 1  # the relay has it: ambiguous was the honest answer


def test_a_connection_dropped_after_the_data_is_ambiguous(relay):
    relay.drop.add("envoy@example.org")
    [outcome, after] = send(relay.url, [envelope(), envelope(to="next@example.org")], SMTP_CONCURRENCY=1)
    assert outcome.kind == mail.AMBIGUOUS and "final dot (the server closed the connection" in outcome.reason
    assert after.kind == mail.SENT  # the next message got a new connection
    assert relay.taken("envoy@example.org") == 1 and len(relay.connections) == 2


@pytest.mark.parametrize("reply, kind", [("421 4.3.2 Shutting down", mail.RETRY),
                                         ("451 4.3.0 Try again later", mail.RETRY),
                                         ("550 5.1.1 No such user", mail.REJECTED)])
@pytest.mark.parametrize("where", ["at_rcpt", "at_data_end"])
def test_deferrals_and_refusals_are_classified_by_their_code(relay, reply, kind, where):
    getattr(relay, where)["envoy@example.org"] = reply
    outcome, after = send(relay.url, [envelope(), envelope(to="next@example.org")], SMTP_CONCURRENCY=1)
    assert outcome.kind == kind and outcome.reason.startswith(f"SMTP {reply[:3]}")
    assert after.kind == mail.SENT
    # 421 closes the channel: the next message needs a new connection; after a 451 or 550 the old one serves.
    assert len(relay.connections) == (2 if reply.startswith("421") else 1)


def test_a_slow_message_does_not_hold_the_others(relay):
    relay.late["slow@example.org"] = 3
    batch = [envelope(to="slow@example.org")] + [envelope(to=f"p{i}@example.org") for i in range(4)]
    s = session(relay.url, SMTP_FINAL_TIMEOUT=10, SMTP_CONCURRENCY=4)
    try:
        started = time.monotonic()
        pending = s.start_many(batch)
        returned = time.monotonic() - started
        outcomes = pending.result()
    finally:
        s.close()
    assert returned < 0.5  # start_many hands the batch to the session's threads
    assert [o.kind for o in outcomes] == [mail.SENT] * 5
    slow = next(c for c in relay.copies if c.to == ["slow@example.org"])
    others = [c for c in relay.copies if c.to != ["slow@example.org"]]
    assert len(others) == 4 and all(c.answered < slow.answered - 2 for c in others)
    assert len(relay.connections) <= 4


def test_nothing_starts_after_the_deadline(relay):
    s = session(relay.url)
    try:
        outcomes = s.send_many([envelope(), envelope(to="b@example.org")], deadline=time.monotonic() - 1)
    finally:
        s.close()
    assert [o.kind for o in outcomes] == [mail.RETRY, mail.RETRY] and relay.copies == []


def test_attachments_and_leading_dots_arrive_intact_through_smtp(relay):
    pdf = mail.Attachment("free-aigul-1.pdf", b"%PDF-1.4\n.\n" + bytes(range(256)), "application/pdf")
    [outcome] = send(relay.url, [envelope(text=".a line that starts with a dot\n..and two\n.", attachments=(pdf,))])
    assert outcome.kind == mail.SENT
    [copy] = relay.copies
    message = email.message_from_bytes(copy.data, policy=email.policy.default)
    assert message.get_body(("plain",)).get_content().splitlines() == [
        ".a line that starts with a dot", "..and two", "."]
    [part] = message.iter_attachments()
    assert (part.get_filename(), part.get_content_type()) == ("free-aigul-1.pdf", "application/pdf")
    assert part.get_content() == pdf.content


def test_data_that_cannot_all_be_sent_is_retried_not_ambiguous():
    server = Stalling()
    big = mail.Attachment("big.bin", bytes(32 * 1024 * 1024), "application/octet-stream")
    try:
        [outcome] = send(server.url, [envelope(attachments=(big,))], SMTP_DATA_TIMEOUT=1)
    finally:
        server.close()
    assert outcome.kind == mail.RETRY and "before the final dot" in outcome.reason
