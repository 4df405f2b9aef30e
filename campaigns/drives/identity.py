"""Who a drive's mail comes from: its sender identity, else MAIL_FROM (deliveries and confirmations)."""
from __future__ import annotations

from flask import current_app

from core.db import db


def drive_sender(drive) -> tuple[str, str, str | None]:
    """(From name, From address, Reply-To) of the drive's mail: its identity's, else MAIL_FROM's."""
    from campaigns.senders.models import SenderIdentity

    identity = db.session.get(SenderIdentity, drive.sender_id) if drive.sender_id else None
    if identity is not None:
        return identity.from_name, identity.from_email, identity.reply_to
    from core.mail import default_sender

    return "", current_app.config.get("MAIL_FROM") or default_sender(current_app.config), None
