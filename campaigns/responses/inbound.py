"""Inbound mail, pure: reading a SendGrid Inbound Parse post into what a reply means.

Handles both Inbound Parse modes: parsed fields (`headers`, `text`, `html`, `envelope`, attachments)
and raw (`email`, the whole MIME message). Decides whether the mail is a person's reply, an
auto-reply (out of office), or a delivery status notification (a bounce that came back by mail,
which is how SMTP sending learns of bounces), and which of our messages it answers.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr

import nh3

TOKEN = re.compile(r"(?:reply|bounce)\+([A-Za-z0-9_\-]{6,64})@", re.I)
UNSUBSCRIBE_TOKEN = re.compile(r"unsubscribe\+([A-Za-z0-9_\-]{6,64})@", re.I)
MESSAGE_ID = re.compile(r"<[^<>\s]{3,250}>")
AUTO_SUBJECT = re.compile(
    r"out of (the )?office|automatic reply|auto[- ]?reply|autoresponse|auto[- ]?response|away from|"
    r"on (annual )?leave|abwesenheit|automatische antwort|réponse automatique|absence du bureau|"
    r"respuesta automática|fuori ufficio|автоответ|автоматический ответ|вне офиса|в отпуске", re.I)
DSN_SUBJECT = re.compile(
    r"undeliver|delivery status notification|mail delivery (failed|failure|subsystem)|returned mail|"
    r"delivery failure|failure notice|non[- ]?delivery|недоставлен|не доставлен", re.I)
DAEMONS = ("mailer-daemon", "postmaster")
STATUS_LINE = re.compile(r"^\s*Status:\s*([245]\.\d{1,3}\.\d{1,3})", re.I | re.M)
ACTION_LINE = re.compile(r"^\s*Action:\s*(\w+)", re.I | re.M)
RECIPIENT_LINE = re.compile(r"^\s*(?:Final|Original)-Recipient:\s*(?:rfc822;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?",
                            re.I | re.M)
ORIGINAL_ID_LINE = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.I | re.M)
ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) - {"img"}  # remote images are tracking pixels: never fetched


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Bounce:
    recipient: str
    status: str
    hard: bool


@dataclass
class InboundMail:
    from_address: str
    recipients: list[str]
    subject: str
    text: str
    html: str
    headers: Message
    attachments: list[Attachment] = field(default_factory=list)
    bounces: list[Bounce] = field(default_factory=list)
    original_ids: list[str] = field(default_factory=list)  # Message-IDs quoted inside a DSN
    is_dsn: bool = False
    auto_reason: str | None = None

    @property
    def tokens(self) -> list[str]:
        found = []
        for address in self.recipients:
            found += [m.group(1) for m in TOKEN.finditer(address)]
        return list(dict.fromkeys(found))

    @property
    def unsubscribe_tokens(self) -> list[str]:
        """Keys from `unsubscribe+<key>@` (the List-Unsubscribe mailto of our messages)."""
        return list(dict.fromkeys(m.group(1) for a in self.recipients for m in UNSUBSCRIBE_TOKEN.finditer(a)))

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers: In-Reply-To first, then References newest first."""
        ids = MESSAGE_ID.findall(str(self.headers.get("In-Reply-To", "")))
        ids += list(reversed(MESSAGE_ID.findall(str(self.headers.get("References", "")))))
        return list(dict.fromkeys(ids + self.original_ids))

    @property
    def message_id(self) -> str | None:
        found = MESSAGE_ID.findall(str(self.headers.get("Message-ID", "")))
        return found[0] if found else None


def sanitise_html(html: str) -> str:
    return nh3.clean(html or "", tags=ALLOWED_TAGS, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


def _addresses(values: list[str]) -> list[str]:
    return [addr for _, addr in getaddresses([v for v in values if v]) if addr]


def auto_reply_reason(headers: Message, subject: str) -> str | None:
    """Why this mail is an automatic reply, or None for a person's reply (RFC 3834 and habits)."""
    auto = str(headers.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if headers.get(name) is not None:
            return name
    precedence = str(headers.get("Precedence", "")).strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return f"Precedence: {precedence}"
    if AUTO_SUBJECT.search(subject or ""):
        return "subject"
    return None


def _looks_like_dsn(headers: Message, from_address: str, subject: str) -> bool:
    ctype = str(headers.get("Content-Type", "")).lower()
    if "multipart/report" in ctype and "delivery-status" in ctype:
        return True
    local = from_address.split("@")[0].lower()
    return local in DAEMONS and bool(DSN_SUBJECT.search(subject or ""))


def _read_dsn(report_texts: list[str]) -> tuple[list[Bounce], list[str]]:
    bounces, ids = [], []
    for text in report_texts:
        recipients = RECIPIENT_LINE.findall(text)
        statuses = STATUS_LINE.findall(text)
        actions = [a.lower() for a in ACTION_LINE.findall(text)]
        for i, recipient in enumerate(dict.fromkeys(r.lower() for r in recipients)):
            status = statuses[min(i, len(statuses) - 1)] if statuses else "5.0.0"
            action = actions[min(i, len(actions) - 1)] if actions else "failed"
            if action in ("delivered", "relayed", "expanded"):
                continue
            bounces.append(Bounce(recipient, status, hard=action == "failed" and status.startswith("5")))
        ids += ORIGINAL_ID_LINE.findall(text)
    unique = {b.recipient: b for b in reversed(bounces)}  # the first report of an address wins
    return list(reversed(unique.values())), list(dict.fromkeys(ids))


def _walk_raw(msg: EmailMessage) -> tuple[str, str, list[Attachment], list[str]]:
    text, html, attachments, reports = "", "", [], []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list):
                reports.append("\n".join(str(p) for p in payload))
            else:
                reports.append(part.get_payload(decode=True).decode("utf-8", "replace") if part.get_payload(
                    decode=True) else str(payload))
            continue
        if ctype == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                reports.append(str(inner[0]).split("\n\n", 1)[0])
            continue
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            attachments.append(Attachment(part.get_filename() or "attachment", ctype,
                                          part.get_payload(decode=True) or b""))
        elif ctype == "text/plain" and not text:
            text = part.get_content()
        elif ctype == "text/html" and not html:
            html = part.get_content()
    return text, html, attachments, reports


def parse_inbound(form: dict[str, str], files: list[Attachment] | None = None) -> InboundMail:
    """Read an Inbound Parse post (form fields and uploaded files) into an InboundMail."""
    files = files or []
    reports: list[str] = []
    if form.get("email"):
        msg = BytesParser(policy=policy.default).parsebytes(form["email"].encode("utf-8", "surrogateescape"))
        headers: Message = msg
        text, html, attachments, reports = _walk_raw(msg)
    else:
        headers = HeaderParser().parsestr(form.get("headers", ""))
        text, html = form.get("text", ""), form.get("html", "")
        attachments = list(files)
        reports = [a.data.decode("utf-8", "replace") for a in files
                   if a.content_type in ("message/delivery-status", "text/rfc822-headers", "message/rfc822")]
    subject = str(form.get("subject") or headers.get("Subject", "") or "")
    from_address = parseaddr(str(form.get("from") or headers.get("From", "")))[1].lower()
    recipients = [form.get("to", "")] + [str(headers.get(h, "")) for h in
                                         ("To", "Cc", "Delivered-To", "X-Original-To")]
    try:
        envelope = json.loads(form.get("envelope") or "{}")
        recipients += [str(a) for a in envelope.get("to", [])]
    except (ValueError, AttributeError):
        pass
    mail = InboundMail(from_address=from_address, recipients=_addresses(recipients), subject=subject[:500],
                       text=text or "", html=html or "", headers=headers, attachments=attachments)
    if _looks_like_dsn(headers, from_address, subject) or reports and any(
            STATUS_LINE.search(r) for r in reports):
        mail.is_dsn = True
        mail.bounces, mail.original_ids = _read_dsn(reports + [text])
    else:
        mail.auto_reason = auto_reply_reason(headers, subject)
    return mail
