"""Background jobs of drives, taking ids only: confirmation mails and deliveries to targets."""
from __future__ import annotations

from flask import current_app

from campaigns.drives import signatures
from campaigns.drives.i18n import words
from campaigns.drives.identity import drive_sender
from campaigns.drives.models import Drive
from core.db import db


def send_confirmation(signature_id: int) -> bool:
    """Mail the signer a fresh confirmation link; the address itself never enters a URL."""
    from core import mail

    issued = signatures.issue_confirmation(signature_id)
    if issued is None:
        return False
    signature, token = issued
    drive = db.session.get(Drive, signature.drive_id)
    w = words(signature.language)
    letter = drive.letter(signature.language)
    title = letter.title if letter else drive.title
    link = f"{current_app.config['PUBLIC_BASE_URL']}/drives/{drive.slug}/confirm/{token}?lang={signature.language}"
    from_name, from_email, reply_to = drive_sender(drive)
    envelope = mail.transactional(signature.email, w["mail_subject"].format(title=title),
                                  w["mail_body"].format(title=title, link=link), from_email=from_email,
                                  from_name=from_name, reply_to=reply_to)
    state = mail.deliver(envelope, "confirmation")
    if state == "failed":  # the signer can sign again to get a new link
        current_app.logger.warning("drives: confirmation mail for signature %s was refused", signature_id)
        return False
    return True


DELIVER = "campaigns.drives.jobs.deliver"


def start_delivery(drive_id: int) -> None:
    """Deliver the drive in the background. The job is idempotent (each letter is written once per
    drive, batch and target), so a job whose work horse died is simply run again by rq."""
    from core.queue import enqueue

    enqueue(DELIVER, drive_id, queue="mail", retries=(5, 30, 120), timeout=1800)


def deliver(drive_id: int) -> None:
    from campaigns.drives.delivery import deliver_drive

    deliver_drive(drive_id)
