"""Who gets a mailing: the audience resolved, the exclusions counted, and the ledger written at once.

The same `resolve` feeds the review page (counts, reasons, samples) and `prepare_mailing`, so what a
campaigner reviewed is what is sent. Rows are fixed at the moment of sending: one per address,
suppressed and unreachable contacts dropped.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from campaigns.mailings.models import Mailing, Message
from contacts.models import Contact, Organisation
from contacts.segments import audience_query
from contacts.suppression import suppressed_among
from core.db import db, utcnow

CONTACT_FIELDS = ("name", "salutation", "position", "organisation", "kind", "country", "city", "email", "language")
REASONS = {"no_email": "no email address", "unsubscribed": "unsubscribed", "bounced": "bounced before",
           "complained": "complained", "suppressed": "on the suppression list", "duplicate": "same address twice",
           "missing_fields": "missing fields the template needs", "already_sent": "already got this appeal"}
CHUNK = 5000


@dataclass
class Audience:
    recipients: list[dict] = field(default_factory=list)  # contact dicts, one per address
    excluded: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)  # field -> contacts lacking it

    def exclude(self, reason: str) -> None:
        self.excluded[reason] = self.excluded.get(reason, 0) + 1


def _contacts(mailing: Mailing):
    columns = [Contact.id, Contact.email, Contact.status, Contact.name, Contact.salutation, Contact.position,
               Organisation.name.label("organisation"), Contact.kind, Contact.country, Contact.city,
               Contact.language]
    if mailing.source == "failed_of":
        failed = select(Message.contact_id).where(Message.mailing_id == mailing.parent_id, Message.state == "failed")
        stmt = select(Contact).where(Contact.id.in_(failed))
    else:
        args = _audience_args(mailing.audience or {})
        stmt = audience_query(**args) if args else select(Contact)
        if (mailing.audience or {}).get("informed_of_case"):
            # A case update: those already sent a message about the case (within the tags or segment, if
            # any were chosen too), fixed when the mailing is prepared.
            from campaigns.cases.citations import informed_contact_ids

            stmt = stmt.where(Contact.id.in_(informed_contact_ids(mailing.audience["informed_of_case"])))
    stmt = (stmt.with_only_columns(*columns).outerjoin(Organisation, Organisation.id == Contact.organisation_id)
            .order_by(Contact.id))
    return db.session.execute(stmt).mappings()


def _audience_args(audience: dict) -> dict:
    allowed = ("tags", "kind", "country", "language", "status", "segment_id")
    return {k: v for k, v in audience.items() if k in allowed and v not in (None, "", [])}


def resolve(mailing: Mailing, needed: dict[str | None, frozenset] | None = None) -> Audience:
    """Everyone the mailing would reach now, and how many are left out and why.

    `needed` maps a language (None: any) to the contact fields its template variant uses.
    """
    audience, seen = Audience(), set()
    already = set()
    if mailing.source == "added_since" and mailing.parent_id:
        already = set(db.session.execute(select(Message.email).where(Message.mailing_id == mailing.parent_id)).scalars())
    candidates = []
    for row in _contacts(mailing):
        email = (row["email"] or "").strip().lower()
        if not email:
            audience.exclude("no_email")
        elif row["status"] != "active":
            audience.exclude(row["status"] if row["status"] in REASONS else "suppressed")
        elif email in seen:
            audience.exclude("duplicate")
        elif email in already:
            audience.exclude("already_sent")
        else:
            seen.add(email)
            candidates.append({**{k: row[k] for k in CONTACT_FIELDS}, "id": row["id"], "email": email})
    suppressed: set[str] = set()
    for i in range(0, len(candidates), CHUNK):
        suppressed.update(suppressed_among([c["email"] for c in candidates[i:i + CHUNK]]))
    for contact in candidates:
        if contact["email"] in suppressed:
            audience.exclude("suppressed")
            continue
        lacking = _lacking(contact, needed)
        if lacking:
            audience.exclude("missing_fields")
            for name in lacking:
                audience.missing[name] = audience.missing.get(name, 0) + 1
            continue
        audience.recipients.append(contact)
    return audience


def _lacking(contact: dict, needed: dict | None) -> list[str]:
    if not needed:
        return []
    fields = needed.get(contact.get("language")) or needed.get(None) or frozenset()
    return sorted(f for f in fields if f.startswith("contact.") and not contact.get(f.split(".", 1)[1]))


def prepare_mailing(mailing_id: int) -> int:
    """Fix the recipients and write one queued message each, in the transaction that starts sending.

    Idempotent: only a draft or scheduled mailing is prepared, and only once.
    """
    from campaigns.mailings.compose import fields_needed

    now = utcnow()
    started = db.session.execute(update(Mailing).where(Mailing.id == mailing_id,
                                                       Mailing.status.in_(("draft", "scheduled")))
                                 .values(status="sending", started_at=now, paused_reason=None))
    if started.rowcount != 1:
        db.session.rollback()
        return 0
    mailing = db.session.get(Mailing, mailing_id)
    audience = resolve(mailing, fields_needed(mailing))
    rows = [{"mailing_id": mailing_id, "contact_id": c["id"], "email": c["email"], "language": c["language"],
             "state": "queued", "key": secrets.token_urlsafe(18), "attempts": 0, "queued_at": now,
             "updated_at": now} for c in audience.recipients]
    for i in range(0, len(rows), CHUNK):
        db.session.execute(insert(Message.__table__), rows[i:i + CHUNK])
    if not rows:
        mailing.status, mailing.finished_at = "done", now
    db.session.commit()
    return len(rows)
