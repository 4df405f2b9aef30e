"""Taking a drive to its targets: the compiled letter, digests of new signatures, and mailto copies.

Each run first closes a batch: every counted signature not yet delivered gets the next batch number.
Each target then receives, in one message, the signatures of the batches it has not had: all of them
(the compiled letter) the first time, only the new ones (a digest) after. Signers without consent are
only counted; anonymous signers who consented appear as "name withheld for safety". Every message
is a single message of the one outgoing ledger, written with its `DriveDelivery` row in one
transaction before any provider hears of it (its `ref` names the drive, batch and target, so two runs
at once cannot both write it); a target with a delivery still open (queued, sending, or of unknown
fate) is skipped rather than mailed twice, and one the provider refused is tried again next time.
"""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from campaigns.drives.drives import get_drive, targets
from campaigns.drives.i18n import country_names, words
from campaigns.drives.identity import drive_sender
from campaigns.drives.models import LANGUAGES, Drive, DriveDelivery, Signature, counted_clause
from campaigns.drives.pdf import Compiled, render_pdf
from campaigns.drives.signing import target_name
from campaigns.mailings import outgoing
from campaigns.mailings.compose import unsubscribe_links
from campaigns.mailings.models import Message
from core.db import db, utcnow
from core.mail import states


@dataclass(frozen=True)
class Report:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0  # handed to workers, or of unknown fate


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


def delivered_batches(drive_id: int) -> dict[int, int]:
    """Per target, the last batch whose letter or digest the provider took."""
    return dict(db.session.execute(
        select(DriveDelivery.contact_id, func.max(DriveDelivery.batch))
        .join(Message, Message.id == DriveDelivery.sent_id)
        .where(DriveDelivery.drive_id == drive_id, Message.state.in_(states.ACCEPTED))
        .group_by(DriveDelivery.contact_id)).all())


def still_open(drive_id: int) -> set[int]:
    """Targets with a delivery the ledger has not settled: mailing them again could reach them twice."""
    return set(db.session.execute(
        select(DriveDelivery.contact_id).join(Message, Message.id == DriveDelivery.sent_id)
        .where(DriveDelivery.drive_id == drive_id, Message.state.in_(states.OPEN))).scalars())


def deliver_drive(drive_id: int) -> Report:
    from core.mail import Attachment, Envelope, new_message_id

    drive = get_drive(drive_id)
    batch = _close_batch(drive.id)
    if batch == 0:
        return Report()
    contacts = targets(drive)
    last = delivered_batches(drive.id)
    unsettled = still_open(drive.id)
    from_name, sender, reply_to = drive_sender(drive)
    rows_since: dict[int, list] = {}
    # The letter depends only on the target's language and on what it had before, not on the target:
    # render each PDF once (about 0.15 s each, which made a run of 1,500 targets outlast the job's 180 s).
    pdfs: dict[tuple[int, str], tuple] = {}
    written: list[int] = []
    skipped = 0
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
        if (since, language) not in pdfs:
            doc = compile_for(drive, rows, language, len(rows), digest)
            pdfs[since, language] = doc, Attachment(f"{drive.slug}-{batch}.pdf", render_pdf(doc), "application/pdf")
        doc, pdf = pdfs[since, language]
        subject = f"{doc.heading}: {doc.title}" if digest else doc.title
        text = words(language)["delivery_body"].format(summary=doc.summary, title=doc.title, body=doc.body)
        key = secrets.token_urlsafe(15)  # the ledger's key: unsubscribe links and provider events name it
        envelope = Envelope(to=contact.email, subject=subject, text=text, html=None, from_email=sender,
                            from_name=from_name, reply_to=reply_to, message_id=new_message_id(sender, key), key=key,
                            attachments=(pdf,), **unsubscribe_links(key, current_app.config))
        sent_id = _write(drive, batch, contact, envelope, language,
                         dict(kind="digest" if digest else "compiled", signatures=len(rows), named=len(doc.named)))
        if sent_id is None:
            skipped += 1  # another run wrote this very letter a moment ago
        else:
            written.append(sent_id)
    for sent_id in written:  # every row committed: now the jobs may send them
        outgoing.start(sent_id)
    report = _report(written, skipped)
    from core.audit import record as audit

    audit("drive.deliver", target=f"drive:{drive.id}", detail={"batch": batch, "sent": report.sent,
                                                               "failed": report.failed, "pending": report.pending},
          actor_email=None if _in_request() else "cli")
    db.session.commit()
    return report


def _write(drive: Drive, batch: int, contact, envelope, language: str, counts: dict) -> int | None:
    """The ledger row and the delivery row, in one transaction; None if this letter exists already.

    Read again here, not from the run's start: another run may have written this target's letter since.
    A letter of this batch that is not refused (open, sent, or further) means nothing to do; refused
    ones are counted, and the ref names the next try, so two runs at once compute the same ref and only
    one of them can write it."""
    earlier = list(db.session.execute(select(Message.state).join(DriveDelivery, DriveDelivery.sent_id == Message.id)
                                      .where(DriveDelivery.drive_id == drive.id, DriveDelivery.contact_id == contact.id,
                                             DriveDelivery.batch == batch)).scalars())
    if any(state != states.FAILED for state in earlier):
        db.session.rollback()
        return None
    ref = f"drive:{drive.id}:batch:{batch}:contact:{contact.id}:try:{len(earlier) + 1}"
    try:
        sent = outgoing.write_one(envelope, "drive_letter", ref, contact_id=contact.id, language=language)
        db.session.add(DriveDelivery(drive_id=drive.id, contact_id=contact.id, email=contact.email, batch=batch,
                                     sent_id=sent.id, **counts))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return sent.id


def _report(sent_ids: list[int], skipped: int) -> Report:
    found = Counter(db.session.execute(select(Message.state).where(Message.id.in_(sent_ids))).scalars()) \
        if sent_ids else Counter()
    sent = sum(n for s, n in found.items() if s in states.ACCEPTED)
    failed = found.get(states.FAILED, 0)
    return Report(sent, failed, skipped, pending=sum(found.values()) - sent - failed)


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
                                     signatures=1, named=0))
        db.session.commit()
    return True
