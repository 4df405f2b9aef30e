"""The evidence trail of a case: who was informed, by which mailing, when it arrived, what came back.

Facts are sealed into `evidence_records`, a hash chain per case: each record stores
`hash = sha256(prev_hash + canonical JSON of (seq, fact key, time recorded, payload))`. Sealing only
appends (under a lock per case); verifying walks the chain and also compares every sealed payload with
what the database says now, so an edit to a record, or to the data it was sealed from, shows.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text

from campaigns.mailings.models import Mailing, Message
from campaigns.responses.models import Chase, EvidenceRecord, MessageEvent, Response
from contacts.models import Contact, Organisation
from core.db import db, utcnow
from core.mail import states

GENESIS = "0" * 64
_PG_LOCK_CLASS = 0x0E1D  # the first half of the advisory lock key; the case id is the second


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(prev_hash: str, seq: int, fact_key: str, recorded_at: datetime, payload: str) -> str:
    body = canonical({"seq": seq, "fact": fact_key, "recorded_at": recorded_at.isoformat(timespec="microseconds"),
                      "payload": payload})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _sha(text_: str) -> str:
    return hashlib.sha256((text_ or "").encode()).hexdigest()


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at else None


def case_mailings(case_id: int) -> list[Mailing]:
    mailings = db.session.execute(select(Mailing).order_by(Mailing.id)).scalars()
    return [m for m in mailings if case_id in [int(c) for c in (m.case_ids or []) if str(c).isdigit()]]


def live_facts(case_id: int) -> list[tuple[str, int | None, dict]]:
    """(fact key, message id, payload) for everything the database knows about this case, oldest first."""
    mailings = {m.id: m for m in case_mailings(case_id)}
    facts: list[tuple[str, int | None, dict]] = []
    messages = db.session.execute(
        select(Message, Contact.name, Organisation.name).outerjoin(Contact, Contact.id == Message.contact_id)
        .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
        .where(Message.mailing_id.in_(list(mailings)), Message.state.in_(states.ACCEPTED))
        .order_by(Message.sent_at, Message.id)).all() if mailings else []
    ids = [m.id for m, _, _ in messages]
    firsts: dict[tuple[int, str], MessageEvent] = {}
    if ids:
        for e in db.session.execute(select(MessageEvent).where(
                MessageEvent.message_id.in_(ids), MessageEvent.kind.in_(("delivered", "bounce", "dropped")))
                .order_by(MessageEvent.occurred_at)).scalars():
            firsts.setdefault((e.message_id, e.kind), e)
    for m, name, org in messages:
        facts.append((f"informed:{m.id}", m.id, {
            "fact": "informed", "at": _iso(m.sent_at), "contact": name, "organisation": org, "email": m.email,
            "mailing_id": m.mailing_id, "mailing": mailings[m.mailing_id].name,
            "message_id_header": m.message_id_header, "content_hash": m.content_hash}))
        for kind, fact in (("delivered", "delivered"), ("bounce", "bounced"), ("dropped", "dropped")):
            e = firsts.get((m.id, kind))
            if e is not None:
                facts.append((f"{fact}:{m.id}", m.id, {"fact": fact, "at": _iso(e.occurred_at), "detail": e.detail}))
    responses = db.session.execute(
        select(Response, Contact.name).outerjoin(Contact, Contact.id == Response.contact_id)
        .where((Response.message_id.in_(ids)) | (Response.case_id == case_id)).order_by(Response.occurred_at)).all()
    for r, name in responses:
        facts.append((f"response:{r.id}", r.message_id, {
            "fact": r.kind, "at": _iso(r.occurred_at), "contact": name, "from": r.from_address,
            "subject": r.subject, "classification": r.classification, "outcome": r.outcome,
            "text_sha256": _sha(r.body_text)}))
    for c in db.session.execute(select(Chase).join(Message, Message.id == Chase.sent_id).where(
            Chase.message_id.in_(ids), Message.state.in_(states.ACCEPTED))).scalars():
        facts.append((f"reminder:{c.id}", c.message_id, {"fact": "reminder", "at": _iso(c.sent_at),
                                                         "message_id_header": c.message_id_header}))
    facts.sort(key=lambda f: (f[2].get("at") or "", f[0]))
    return facts


def _lock(case_id: int) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": _PG_LOCK_CLASS, "b": case_id})
    else:  # any write takes SQLite's single writer lock before we read the head
        db.session.execute(text("UPDATE evidence_records SET id = id WHERE 1 = 0"))


def seal(case_id: int) -> int:
    """Append every fact not yet sealed to the case's chain; returns how many were added."""
    _lock(case_id)
    records = db.session.execute(select(EvidenceRecord.fact_key, EvidenceRecord.seq, EvidenceRecord.hash)
                                 .where(EvidenceRecord.case_id == case_id).order_by(EvidenceRecord.seq)).all()
    sealed = {r.fact_key for r in records}
    seq, prev = (records[-1].seq, records[-1].hash) if records else (0, GENESIS)
    added = 0
    for fact_key, message_id, payload in live_facts(case_id):
        if fact_key in sealed:
            continue
        seq += 1
        now = utcnow()
        body = canonical(payload)
        digest = record_hash(prev, seq, fact_key, now, body)
        db.session.add(EvidenceRecord(case_id=case_id, seq=seq, fact_key=fact_key, message_id=message_id,
                                      recorded_at=now, payload=body, prev_hash=prev, hash=digest))
        prev, added = digest, added + 1
    db.session.commit()
    return added


@dataclass(frozen=True)
class TrailRow:
    record: EvidenceRecord
    fact: dict
    chain_ok: bool
    unchanged: bool  # the data the record was sealed from still says the same


@dataclass(frozen=True)
class Trail:
    case_id: int
    rows: list[TrailRow]
    head: str | None

    @property
    def intact(self) -> bool:
        return all(r.chain_ok and r.unchanged for r in self.rows)


def trail(case_id: int) -> Trail:
    """Seal what is new, then read the chain back and check every link and every payload."""
    seal(case_id)
    live = {key: canonical(payload) for key, _, payload in live_facts(case_id)}
    rows, prev = [], GENESIS
    records = db.session.execute(select(EvidenceRecord).where(EvidenceRecord.case_id == case_id)
                                 .order_by(EvidenceRecord.seq)).scalars().all()
    for r in records:
        ok = r.prev_hash == prev and record_hash(r.prev_hash, r.seq, r.fact_key, r.recorded_at, r.payload) == r.hash
        try:
            fact = json.loads(r.payload)
        except ValueError:
            fact, ok = {}, False
        rows.append(TrailRow(r, fact, ok, live.get(r.fact_key) == r.payload))
        prev = r.hash
    return Trail(case_id, rows, records[-1].hash if records else None)
