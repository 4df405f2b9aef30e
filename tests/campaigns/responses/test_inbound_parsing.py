"""Reading inbound mail: tokens, threads, auto-replies, bounce reports, sanitising; no database."""
from __future__ import annotations

from campaigns.responses.classify import suggest
from campaigns.responses.inbound import Attachment, parse_inbound, sanitise_html

HEADERS = "From: Attaché <attache@embassy.example>\nTo: reply+AbCdEf123456@replies.example.org\n" \
          "Subject: Re: Appeal\nMessage-ID: <r1@embassy.example>\nIn-Reply-To: <orig-1@outreach.example>\n" \
          "References: <first@outreach.example> <orig-1@outreach.example>\n"


def test_a_parsed_post_gives_the_token_and_the_thread():
    mail = parse_inbound({"headers": HEADERS, "text": "We have raised the case.", "from": "attache@embassy.example",
                          "envelope": '{"to": ["reply+AbCdEf123456@replies.example.org"]}'})
    assert mail.tokens == ["AbCdEf123456"]
    assert mail.thread_ids == ["<orig-1@outreach.example>", "<first@outreach.example>"]
    assert mail.message_id == "<r1@embassy.example>"
    assert mail.auto_reason is None and not mail.is_dsn


def test_out_of_office_is_recognised_by_header_or_subject():
    by_header = parse_inbound({"headers": "From: a@b.example\nAuto-Submitted: auto-replied\nSubject: Re: x\n"})
    assert by_header.auto_reason == "Auto-Submitted: auto-replied"
    by_subject = parse_inbound({"headers": "From: a@b.example\n", "subject": "Автоответ: Appeal"})
    assert by_subject.auto_reason == "subject"
    by_precedence = parse_inbound({"headers": "From: a@b.example\nPrecedence: bulk\n", "subject": "Hi"})
    assert by_precedence.auto_reason == "Precedence: bulk"
    person = parse_inbound({"headers": "From: a@b.example\nAuto-Submitted: no\n", "subject": "Re: Appeal"})
    assert person.auto_reason is None


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example>
To: bounce+AbCdEf123456@outreach.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="XX"

--XX
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--XX
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; gone@ministry.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--XX
Content-Type: text/rfc822-headers

From: campaign@outreach.example
To: gone@ministry.example
Message-ID: <orig-9@outreach.example>
Subject: Appeal

--XX--
"""


def test_a_raw_delivery_status_notification_is_a_hard_bounce():
    mail = parse_inbound({"email": DSN.decode()})
    assert mail.is_dsn and mail.auto_reason is None
    assert [(b.recipient, b.status, b.hard) for b in mail.bounces] == [("gone@ministry.example", "5.1.1", True)]
    assert "<orig-9@outreach.example>" in mail.thread_ids
    assert mail.tokens == ["AbCdEf123456"]


def test_a_parsed_dsn_with_the_report_as_an_attachment():
    report = Attachment("details.txt", "message/delivery-status",
                        b"Final-Recipient: rfc822; slow@x.example\nAction: delayed\nStatus: 4.4.1\n")
    mail = parse_inbound({"headers": "From: postmaster@x.example\nSubject: Delivery Status Notification (Delay)\n"},
                         [report])
    assert mail.is_dsn
    assert [(b.recipient, b.hard) for b in mail.bounces] == [("slow@x.example", False)]


def test_html_is_sanitised_and_remote_images_removed():
    clean = sanitise_html('<p onclick="x()">Hi<script>alert(1)</script><img src="https://track.example/p.gif">'
                          '<a href="javascript:alert(1)">x</a></p>')
    assert "script" not in clean and "onclick" not in clean and "img" not in clean and "javascript" not in clean
    assert clean.startswith("<p>Hi")


def test_the_suggested_class_follows_the_words():
    assert suggest("Thank you for your letter, we have received it.") == "acknowledgement"
    assert suggest("The ambassador raised the case with the minister yesterday.") == "action_taken"
    assert suggest("We are not in a position to comment on an internal affair.") == "refusal"
    assert suggest("Мы не можем комментировать внутренние дела.") == "refusal"
    assert suggest("word " * 100) == "substantive"
