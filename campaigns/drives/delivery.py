"""Taking a drive to its targets: the compiled letter, digests of new signatures, and mailto copies.

Each run first closes a batch: every counted signature not yet delivered gets the next batch number.
Each target then receives, in one message, the signatures of the batches it has not had: all of them
(the compiled letter) the first time, only the new ones (a digest) after. Signers without consent are
only counted; anonymous signers who consented appear as "name withheld for safety". Every message
is a `DriveDelivery` row, written before the send and settled after it; a target with a delivery of
unknown fate ("sending") is skipped rather than mailed twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from flask import current_app
from sqlalchemy import func, select, update

from campaigns.drives.drives import get_drive, targets
from campaigns.drives.i18n import country_names, words
from campaigns.drives.identity import drive_sender
from campaigns.drives.models import LANGUAGES, Drive, DriveDelivery, Signature, counted_clause
from campaigns.drives.pdf import Compiled, render_pdf
from campaigns.drives.sending import send_with_attachment
from campaigns.drives.signing import target_name
from core.db import db, utcnow


@dataclass(frozen=True)
class Report:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def _close_batch(drive_id: int) -> int:
    current = db.session.execute(select(func.coalesce(func.max(Signature.batch), 0)).where(
        Signature.drive_id == drive_id)).scalar_one()
    changed = db.session.execute(update(Signature).where(
        Signature.drive_id == drive_id, counted_clause(), Signature.batch.is_(None))
        .values(batch=current + 1)).rowcount
    db.session.commit()
    return current + 1 if changed else current


def _language(contact, drive: Drive) -> str:
    primary = (contact.language or "").split("-")[0].lower()
    return primary if primary in LANGUAGES else drive.default_language


def compile_for(drive: Drive, rows: list, language: str, total: int, digest: bool) -> Compiled:
    """The document for one target language from (name, city, country, display, consent) rows."""
    w = words(language)
    letter = drive.letter(language)
    names = country_names(language)
    named, unnamed = [], 0
    for name, city, country, display, consent in rows:
        shown = target_name(name, display, consent, w)
        if shown is None:
            unnamed += 1
        elif display == "anonymous":
            named.append(shown)
        else:
            named.append(", ".join(part for part in (shown, city, names.get(country, country)) if part))
    summary = w["n_new"].format(n=len(rows)) if digest else w["n_signed"].format(n=total)
    return Compiled(heading=w["another"].format(n=len(rows)) if digest else w["open_letter"],
                    title=letter.title if letter else drive.title, body=letter.body if letter else "",
                    named=named, note=w["unnamed"].format(n=unnamed) if unnamed else "", summary=summary)


def deliver_drive(drive_id: int) -> Report:
    from core.mail import SENT, Envelope, new_message_id

    drive = get_drive(drive_id)
    batch = _close_batch(drive.id)
    if batch == 0:
        return Report()
    contacts = targets(drive)
    last = dict(db.session.execute(select(DriveDelivery.contact_id, func.max(DriveDelivery.batch)).where(
        DriveDelivery.drive_id == drive.id, DriveDelivery.state == "sent",
        DriveDelivery.kind.in_(("compiled", "digest"))).group_by(DriveDelivery.contact_id)).all())
    unsettled = set(db.session.execute(select(DriveDelivery.contact_id).where(
        DriveDelivery.drive_id == drive.id, DriveDelivery.state == "sending")).scalars())
    from_name, sender, reply_to = drive_sender(drive)
    rows_since: dict[int, list] = {}
    sent = failed = skipped = 0
    for contact in contacts:
        since = last.get(contact.id, 0)
        if contact.id in unsettled or since >= batch:
            skipped += 1
            continue
        if since not in rows_since:
            rows_since[since] = db.session.execute(
                select(Signature.name, Signature.city, Signature.country, Signature.display, Signature.consent)
                .where(Signature.drive_id == drive.id, counted_clause(), Signature.batch > since,
                       Signature.batch <= batch).order_by(Signature.id)).all()
        rows = rows_since[since]
        if not rows:
            skipped += 1
            continue
        digest = since > 0
        language = _language(contact, drive)
        doc = compile_for(drive, rows, language, len(rows), digest)
        record = DriveDelivery(drive_id=drive.id, contact_id=contact.id, email=contact.email,
                               kind="digest" if digest else "compiled", batch=batch, signatures=len(rows),
                               named=len(doc.named), state="sending")
        db.session.add(record)
        db.session.commit()
        subject = f"{doc.heading}: {doc.title}" if digest else doc.title
        text = words(language)["delivery_body"].format(summary=doc.summary, title=doc.title, body=doc.body)
        envelope = Envelope(to=contact.email, subject=subject, text=text, html=None, from_email=sender,
                            from_name=from_name, reply_to=reply_to, message_id=new_message_id(sender))
        outcome = send_with_attachment(envelope, f"{drive.slug}-{batch}.pdf", render_pdf(doc))
        record.message_id = outcome.provider_id or envelope.message_id
        if outcome.kind == SENT:
            record.state, record.sent_at = "sent", utcnow()
            sent += 1
        elif outcome.kind in ("rejected", "retry", "auth"):
            record.state, record.error = "failed", f"{outcome.kind}: {outcome.reason}"[:500]
            failed += 1
        else:  # ambiguous: it may have arrived; a person decides before anything is sent again
            record.error = f"{outcome.kind}: {outcome.reason}"[:500]
            failed += 1
        db.session.commit()
    from core.audit import record as audit

    audit("drive.deliver", target=f"drive:{drive.id}", detail={"batch": batch, "sent": sent, "failed": failed},
          actor_email=None if _in_request() else "cli")
    db.session.commit()
    return Report(sent, failed, skipped)


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def due_drives() -> list[int]:
    """Compiled-delivery drives whose last delivery is older than their digest interval."""
    drives = db.session.execute(select(Drive).where(Drive.delivery == "compiled")).scalars().all()
    last = dict(db.session.execute(select(DriveDelivery.drive_id, func.max(DriveDelivery.created_at))
                                   .where(DriveDelivery.kind.in_(("compiled", "digest")))
                                   .group_by(DriveDelivery.drive_id)).all())
    now = utcnow()
    return [d.id for d in drives if d.id in last and now - last[d.id] >= timedelta(days=d.digest_days)]


def copy_address(token: str) -> str:
    sender = current_app.config.get("MAIL_FROM") or "drives@localhost"
    local, _, domain = sender.rpartition("@")
    return f"{current_app.config.get('DRIVE_COPY_LOCAL', 'drive-copy')}+{token}@{domain or 'localhost'}"


def mailto_link(drive: Drive, language: str, copy_token: str | None) -> str | None:
    """A mailto: link with the letter, to every target, with a counted copy address in Bcc."""
    emails = [c.email for c in targets(drive)]
    letter = drive.letter(language)
    if not emails or letter is None:
        return None
    query = f"subject={quote(letter.title)}&body={quote(letter.body)}"
    if copy_token:
        query += f"&bcc={quote(copy_address(copy_token), safe='@')}"
    return "mailto:" + ",".join(quote(e, safe="@") for e in emails) + "?" + query


def record_copy(address: str) -> bool:
    """Count a supporter's own sent copy that reached our copy address (called by inbound mail)."""
    local = address.strip().lower().partition("@")[0]
    token = local.partition("+")[2]
    if not token:
        return False
    signature = db.session.execute(select(Signature).where(Signature.copy_token == token)).scalar_one_or_none()
    if signature is None:
        return False
    seen = db.session.execute(select(DriveDelivery.id).where(
        DriveDelivery.signature_id == signature.id, DriveDelivery.kind == "mailto")).first()
    if seen is None:
        db.session.add(DriveDelivery(drive_id=signature.drive_id, signature_id=signature.id, kind="mailto",
                                     signatures=1, named=0, state="sent", sent_at=utcnow()))
        db.session.commit()
    return True
