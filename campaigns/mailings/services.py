"""What a campaigner can do with a mailing: create, review, send, pause, resume, cancel, follow up.

Plain values in, results or domain errors out: the pages, the API, the CLI and jobs share them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from campaigns.mailings import jobs, ledger
from campaigns.mailings.models import TEST_KIND, Mailing, Message
from core import audit, mail
from core.db import db, utcnow
from core.errors import Conflict, NotFound, ValidationError
from core.queue import enqueue
from core.mail import states
from core.mail.headers import check_header


@dataclass(frozen=True)
class MailingInput:
    name: str
    template_id: int | None
    from_email: str
    from_name: str = ""
    reply_to: str | None = None
    case_ids: tuple[int, ...] = ()
    campaign_id: int | None = None
    audience: dict = field(default_factory=dict)
    tracking: bool = False
    rate_per_minute: int | None = None
    sender_id: int | None = None  # a sender identity: its From and Reply-To replace the typed ones


def _sender_fields(data: MailingInput) -> dict:
    """The identity chosen, else the typed addresses, else the campaign's default identity (or the first)."""
    from campaigns.senders.services import default_sender_for, find_sender

    identity = find_sender(data.sender_id)
    if identity is None and not (data.from_email or "").strip():
        identity = default_sender_for(data.campaign_id)
    if identity is not None:
        return {"sender_id": identity.id, "from_name": identity.from_name, "from_email": identity.from_email,
                "reply_to": identity.reply_to}
    return {"sender_id": None, "from_name": check_header("from_name", data.from_name.strip()[:200]),
            "from_email": _email(data.from_email, "from_email"), "reply_to": _email(data.reply_to, "reply_to", False)}


def _email(value: str | None, name: str, required: bool = True) -> str | None:
    from contacts.validation import clean_email

    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(name, "is required")
        return None
    try:
        return clean_email(value)
    except ValueError as exc:
        raise ValidationError(name, str(exc)) from None


def create_mailing(data: MailingInput, user_id: int | None = None) -> Mailing:
    name = data.name.strip()
    if not name:
        raise ValidationError("name", "is required")
    if data.template_id is None:
        raise ValidationError("template_id", "choose a template")
    if not (data.audience.get("tags") or data.audience.get("segment_id") or data.audience.get("informed_of_case")):
        raise ValidationError("audience", "choose a segment, at least one tag, or those informed of the case")
    informed = data.audience.get("informed_of_case")
    if informed is not None and informed not in data.case_ids:
        raise ValidationError("audience", "a case update goes to those informed of one of the mailing's cases")
    if data.rate_per_minute is not None and data.rate_per_minute < 1:
        raise ValidationError("rate_per_minute", "must be above 0")
    from campaigns.mailings.compose import variant_for

    mailing = Mailing(name=name[:200], template_id=data.template_id, case_ids=list(data.case_ids),
                      campaign_id=data.campaign_id, audience=dict(data.audience), **_sender_fields(data),
                      tracking=bool(data.tracking), rate_per_minute=data.rate_per_minute, created_by_id=user_id)
    try:
        variant_for(mailing, None)
    except Exception:  # noqa: BLE001 - any failure to find the template means it is not usable
        raise ValidationError("template_id", "no such template, or it has no variant") from None
    db.session.add(mailing)
    db.session.commit()
    return mailing


def get_mailing(mailing_id: int) -> Mailing:
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        raise NotFound("no such mailing")
    return mailing


def list_mailings(limit: int = 100) -> list[Mailing]:
    return list(db.session.execute(select(Mailing).order_by(Mailing.id.desc()).limit(limit)).scalars())


def send_mailing(mailing_id: int, at: datetime | None = None) -> int:
    """Send now (the ledger is written at once) or schedule for `at`; returns the recipients queued."""
    mailing = get_mailing(mailing_id)
    if mailing.status not in ("draft", "scheduled"):
        raise Conflict(f"the mailing is {mailing.status}; only a draft can be sent")
    _refuse_an_empty_audience(mailing)
    audit.record("mailing.send", f"mailing:{mailing_id}", {"at": at.isoformat() if at else "now"})
    if at is not None and at > utcnow() + timedelta(seconds=5):
        mailing.status, mailing.send_at = "scheduled", at
        db.session.commit()
        enqueue("campaigns.mailings.jobs.start_mailing", mailing_id,
                delay_seconds=(at - utcnow()).total_seconds()) if current_app.config.get("REDIS_URL") else None
        jobs.ensure_pump() if current_app.config.get("REDIS_URL") else None
        return 0
    db.session.commit()
    from campaigns.mailings.preparing import prepare_mailing

    queued = prepare_mailing(mailing_id)
    if current_app.config.get("REDIS_URL"):
        jobs.dispatch(mailing_id)
        jobs.ensure_pump()
    else:
        jobs.dispatch(mailing_id)
        jobs.finish_done([mailing_id])
    return queued


def _refuse_an_empty_audience(mailing: Mailing) -> None:
    """A mailing that would reach nobody is not sent: say why (who was left out, which fields are missing)."""
    from campaigns.mailings.compose import fields_needed
    from campaigns.mailings.preparing import resolve
    from campaigns.mailings.review import REASONS

    audience = resolve(mailing, fields_needed(mailing))
    if audience.recipients:
        return
    left_out = "; ".join(f"{n} {REASONS.get(k, k)}" for k, n in sorted(audience.excluded.items(), key=lambda kv: -kv[1]))
    missing = ", ".join(f"{f} ({n})" for f, n in sorted(audience.missing.items()))
    why = f"left out: {left_out}" if left_out else "the audience is empty"
    raise Conflict(f"nobody would get this mailing ({why}{'; missing fields: ' + missing if missing else ''})",
                   {"audience": "nobody to send to"})


def _move(mailing_id: int, from_states: tuple[str, ...], to: str, action: str) -> Mailing:
    mailing = get_mailing(mailing_id)
    done = db.session.execute(update(Mailing).where(Mailing.id == mailing_id, Mailing.status.in_(from_states))
                              .values(status=to, paused_reason=None, updated_at=utcnow()))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"the mailing is {mailing.status}; it cannot be {action}")
    audit.record(f"mailing.{action}", f"mailing:{mailing_id}")
    db.session.commit()
    db.session.refresh(mailing)
    return mailing


def pause_mailing(mailing_id: int) -> Mailing:
    """Workers check the status before every chunk, so sending stops within seconds."""
    return _move(mailing_id, ("sending",), "paused", "paused")


def resume_mailing(mailing_id: int) -> Mailing:
    mailing = _move(mailing_id, ("paused",), "sending", "resumed")
    c = Message.__table__.c
    db.session.execute(update(Message.__table__).where(c.mailing_id == mailing_id, c.state == "queued")
                       .values(dispatched_at=None))
    db.session.commit()
    jobs.dispatch(mailing_id)
    if current_app.config.get("REDIS_URL"):
        jobs.ensure_pump()
    else:
        jobs.finish_done([mailing_id])
    return mailing


def cancel_mailing(mailing_id: int) -> Mailing:
    mailing = _move(mailing_id, ("draft", "scheduled", "sending", "paused"), "cancelled", "cancelled")
    ledger.cancel_queued(mailing_id, utcnow())
    db.session.commit()
    return mailing


def discard_draft(mailing_id: int) -> None:
    """A draft nobody will send is deleted, not kept as "cancelled": it never reached anyone, so the
    list of mailings stays the record of what was sent. Only a draft: anything further has a ledger."""
    done = db.session.execute(delete(Mailing).where(Mailing.id == mailing_id, Mailing.status == "draft"))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict(f"the mailing is {get_mailing(mailing_id).status}; only a draft can be discarded")
    audit.record("mailing.discard", f"mailing:{mailing_id}")
    db.session.commit()


def follow_up(mailing_id: int, source: str, user_id: int | None = None) -> Mailing:
    """A new draft: "resend to failed" (source failed_of) or "send to contacts added since"."""
    parent = get_mailing(mailing_id)
    if parent.status in ("draft", "scheduled"):
        raise Conflict("send the mailing first")
    label = {"failed_of": "failed recipients", "added_since": "contacts added since"}[source]
    child = Mailing(name=f"{parent.name} ({label})"[:200], template_id=parent.template_id, case_ids=parent.case_ids,
                    campaign_id=parent.campaign_id, audience=parent.audience, source=source, parent_id=parent.id,
                    added_since=parent.started_at, sender_id=parent.sender_id, from_name=parent.from_name,
                    from_email=parent.from_email, reply_to=parent.reply_to, tracking=parent.tracking, rate_per_minute=parent.rate_per_minute,
                    created_by_id=user_id)
    db.session.add(child)
    db.session.commit()
    return child


def progress(mailing_id: int) -> dict:
    """Counts by state, rate over the last minute and time left: the progress bar and the API."""
    mailing = get_mailing(mailing_id)
    counts = ledger.counts(mailing_id)
    total = sum(counts.values())
    accepted = sum(counts.get(s, 0) for s in states.ACCEPTED)
    settled = accepted + counts.get("failed", 0) + counts.get("cancelled", 0)
    minute_ago = utcnow() - timedelta(seconds=60)
    recent = db.session.execute(select(func.count()).where(Message.mailing_id == mailing_id,
                                                           Message.sent_at >= minute_ago)).scalar_one()
    rate = recent / 60
    held = db.session.execute(select(func.count()).where(ledger.held_for_person(mailing_id))).scalar_one()
    settled += held  # nothing more happens to them without a person: not work left for the workers
    left = total - settled
    finished = mailing.status in ("done", "cancelled")
    full = {s: counts.get(s, 0) for s in ("queued", "sending", "sent", "unknown", "failed", "cancelled")}
    full.update({s: n for s, n in counts.items() if s not in full})
    return {"id": mailing.id, "name": mailing.name, "status": mailing.status,
            "paused_reason": mailing.paused_reason,
            "counts": {"total": total, "accepted": accepted, **full},
            "percent": round(100 * settled / total, 1) if total else (100.0 if mailing.status == "done" else 0.0),
            "rate_per_second": round(rate, 1),
            "seconds_left": round(left / rate) if rate and left and not finished else None,
            "needs_decision": held,
            "done": finished}


def test_envelope(mailing_id: int, to: str, reader=None) -> mail.Envelope:
    """The first recipient's envelope as the Composer builds it (From, Reply-To, headers), addressed to
    `to` with the subject marked "[TEST] ". Its key is its own: it names no message of the ledger."""
    import secrets

    from campaigns.mailings.compose import Composer
    from campaigns.mailings.review import review_mailing

    mailing = get_mailing(mailing_id)
    review = review_mailing(mailing_id, samples=1, reader=reader, via="test copy")
    if not review.samples:
        raise ValidationError("audience", "nobody to render a sample for")
    contact = review.samples[0][0]
    envelope = Composer(mailing, current_app.config).envelope(f"test-{secrets.token_urlsafe(12)}",
                                                              contact["email"], contact)
    return replace(envelope, to=to, subject=f"[TEST] {envelope.subject}")


def test_send(mailing_id: int, to: str, reader=None) -> None:
    """Send the first recipient's letter, From and Reply-To included, to the campaigner's own address
    (marked as a test), through the one outgoing ledger. `reader`: who asked for it, and reads it."""
    mailing = get_mailing(mailing_id)
    if mail.deliver(test_envelope(mailing_id, to, reader), TEST_KIND) == states.FAILED:
        raise mail.MailError(f"the mail server refused the test copy to {to}")
    audit.record("mailing.test_send", f"mailing:{mailing.id}")
    db.session.commit()
