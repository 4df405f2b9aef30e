"""Sender identities: create, edit, delete, list; which one a campaign or a new mailing starts with.

Addresses go through the contacts' one email normaliser (`contacts.validation.clean_email`).
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from campaigns.senders.models import SenderIdentity
from contacts.validation import clean_email
from core.db import db
from core.errors import Conflict, NotFound, ValidationError
from core.mail.headers import header_problem


def _one_line(value, field: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(field, "is required")
    if header_problem(text):
        raise ValidationError(field, f"must be one line: it {header_problem(text)}")
    if len(text) > limit:
        raise ValidationError(field, f"must be one line of at most {limit} characters")
    return text


def _address(value, field: str, required: bool) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationError(field, "is required")
        return None
    try:
        return clean_email(text)
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None


def _fields(data: dict) -> dict:
    return {"label": _one_line(data.get("label"), "label", 100, required=True),
            "from_name": _one_line(data.get("from_name"), "from_name", 200),
            "from_email": _address(data.get("from_email"), "from_email", True),
            "reply_to": _address(data.get("reply_to"), "reply_to", False)}


def _commit(identity: SenderIdentity) -> SenderIdentity:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("a sender with this label already exists", {"label": "is already used"}) from None
    return identity


def create_sender(data: dict) -> SenderIdentity:
    identity = SenderIdentity(**_fields(data))
    db.session.add(identity)
    return _commit(identity)


def update_sender(sender_id: int, data: dict) -> SenderIdentity:
    identity = get_sender(sender_id)
    for key, value in _fields(data).items():
        setattr(identity, key, value)
    return _commit(identity)


def delete_sender(sender_id: int) -> None:
    """Campaigns and mailings forget it (mailings keep the addresses they were sent from); a drive
    that sends under it must be given another sender first."""
    from campaigns.drives.models import Drive
    from campaigns.mailings.models import Mailing
    from campaigns.models import Campaign

    identity = get_sender(sender_id)
    drive = db.session.execute(select(Drive.title).where(Drive.sender_id == sender_id).limit(1)).scalar()
    if drive is not None:
        raise Conflict(f"the drive “{drive}” sends under this sender: choose another one for it first")
    db.session.execute(update(Campaign).where(Campaign.default_sender_id == sender_id).values(default_sender_id=None))
    db.session.execute(update(Mailing).where(Mailing.sender_id == sender_id).values(sender_id=None))
    db.session.delete(identity)
    db.session.commit()


def get_sender(sender_id: int) -> SenderIdentity:
    identity = db.session.get(SenderIdentity, sender_id)
    if identity is None:
        raise NotFound(f"sender {sender_id} does not exist")
    return identity


def find_sender(sender_id, field: str = "sender_id") -> SenderIdentity | None:
    """The identity an input names (None for none given); a bad id is the field's error."""
    if sender_id in (None, ""):
        return None
    try:
        return get_sender(int(sender_id))
    except (TypeError, ValueError, NotFound):
        raise ValidationError(field, "no such sender") from None


def list_senders() -> list[SenderIdentity]:
    return list(db.session.execute(select(SenderIdentity).order_by(SenderIdentity.label)).scalars())


def default_sender_for(campaign_id: int | None) -> SenderIdentity | None:
    """The campaign's default identity, else the first one (by label), else None."""
    if campaign_id is not None:
        from campaigns.models import Campaign

        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None and campaign.default_sender_id is not None:
            return db.session.get(SenderIdentity, campaign.default_sender_id)
    return db.session.execute(select(SenderIdentity).order_by(SenderIdentity.label).limit(1)).scalar()


def sender_data(identity: SenderIdentity) -> dict:
    return {"id": identity.id, "label": identity.label, "from_name": identity.from_name,
            "from_email": identity.from_email, "reply_to": identity.reply_to}
