"""Sending one mail with a file attached, through whichever backend MAIL_BACKEND names.

`core.mail` envelopes carry text and HTML only; a compiled letter needs its PDF, so this builds the
same message the backend would and adds the attachment: a MIME part for the outbox and SMTP, the
`attachments` field of the v3 JSON for SendGrid. Outcomes are classified by `core.mail`'s rules.
"""
from __future__ import annotations

import base64
import os
import secrets
import smtplib
from pathlib import Path

from flask import current_app

from core.mail import AMBIGUOUS, RETRY, SENT, Envelope, Outcome, to_mime


def send_with_attachment(envelope: Envelope, filename: str, content: bytes,
                         mimetype: str = "application/pdf") -> Outcome:
    config = current_app.config
    backend = config.get("MAIL_BACKEND", "outbox")
    if backend == "sendgrid":
        return _sendgrid(config, envelope, filename, content, mimetype)
    message = to_mime(envelope)
    maintype, _, subtype = mimetype.partition("/")
    message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    if backend == "smtp":
        return _smtp(config, envelope, message)
    directory = Path(config["OUTBOX_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{envelope.key or secrets.token_hex(8)}-{secrets.token_hex(4)}"
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(bytes(message))
    os.replace(tmp, directory / f"{name}.eml")
    return Outcome(SENT, provider_id=name)


def _sendgrid(config, envelope: Envelope, filename: str, content: bytes, mimetype: str) -> Outcome:
    from core.mail.sendgrid import SendgridSession, build_body

    body = build_body(envelope)
    body["attachments"] = [{"content": base64.b64encode(content).decode(), "type": mimetype,
                            "filename": filename, "disposition": "attachment"}]
    return SendgridSession(config).send_body(body)


def _smtp(config, envelope: Envelope, message) -> Outcome:
    from core.mail.smtp import SmtpSession

    session = SmtpSession(config)
    try:
        conn = session._connect()
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(RETRY, reason=f"cannot connect: {type(exc).__name__}")
    session.conn = conn
    try:
        conn.send_message(message, from_addr=envelope.from_email, to_addrs=[envelope.to])
        return Outcome(SENT, provider_id=envelope.message_id)
    except smtplib.SMTPResponseException as exc:
        kind = RETRY if 400 <= exc.smtp_code < 500 else "rejected"
        return Outcome(kind, reason=f"SMTP {exc.smtp_code}")
    except smtplib.SMTPRecipientsRefused:
        return Outcome("rejected", reason="recipient refused")
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(AMBIGUOUS, reason=f"connection lost: {type(exc).__name__}")
    finally:
        session.close()
