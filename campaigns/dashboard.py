"""The dashboard's one question: what is in flight, and what needs a person today.

`at_a_glance` returns a small frozen dataclass; every figure is a count or a short list read with a
grouped query on indexed columns (held unknowns by state, replies by classification, signatures by
drive and moderation, contacts by the needs-checking indexes), so the page stays cheap as rows grow.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from campaigns.appeals.models import template_cases
from campaigns.cases.models import UPDATE_KINDS, Case, CaseEvent
from campaigns.drives.models import Drive, Signature, counted_clause
from campaigns.mailings.choices import counts_for
from campaigns.mailings.models import Mailing
from campaigns.mailings.unknowns import held_counts
from campaigns.responses.models import ChaseRule, Response
from contacts.models import Contact
from contacts.segments import needs_checking_clause
from core.db import db

IN_FLIGHT = ("scheduled", "sending", "paused")
CHASE_RULES_LOOKED_AT = 20  # the most recent rules: older mailings' reminders are long settled


@dataclass(frozen=True)
class MailingLine:
    id: int
    name: str
    status: str
    total: int
    settled: int
    needs_decision: int

    @property
    def percent(self) -> int:
        return round(100 * self.settled / self.total) if self.total else 0


@dataclass(frozen=True)
class DriveLine:
    id: int
    title: str
    counted: int
    goal: int
    held: int


@dataclass(frozen=True)
class CaseLine:
    id: int
    name: str
    kind: str
    happened_on: date


@dataclass(frozen=True)
class AtAGlance:
    mailings: tuple[MailingLine, ...]
    single_unknown: int
    replies_to_classify: int
    chases_due: tuple[tuple[int, str, int], ...]  # (mailing id, name, recipients to remind)
    cases_to_update: tuple[CaseLine, ...]
    drives: tuple[DriveLine, ...]
    contacts_to_check: int

    @property
    def quiet(self) -> bool:
        return not (self.mailings or self.single_unknown or self.replies_to_classify or self.chases_due
                    or self.cases_to_update or self.drives or self.contacts_to_check)


def at_a_glance(today: date) -> AtAGlance:
    held = held_counts()
    return AtAGlance(mailings=_mailings(held), single_unknown=held.get(None, 0),
                     replies_to_classify=_replies_to_classify(), chases_due=_chases_due(today),
                     cases_to_update=_cases_to_update(), drives=_drives(),
                     contacts_to_check=db.session.execute(
                         select(func.count()).select_from(Contact).where(needs_checking_clause(today))).scalar_one())


def _mailings(held: dict[int | None, int]) -> tuple[MailingLine, ...]:
    """Mailings in flight, and any other whose messages of unknown fate wait for a decision."""
    waiting = [i for i in held if i is not None]
    rows = db.session.execute(select(Mailing.id, Mailing.name, Mailing.status).where(
        Mailing.status.in_(IN_FLIGHT) | Mailing.id.in_(waiting)).order_by(Mailing.id.desc()).limit(20)).all()
    counts = counts_for([r.id for r in rows])
    return tuple(MailingLine(r.id, r.name, r.status, counts[r.id]["total"],
                             counts[r.id]["sent"] + counts[r.id]["failed"], held.get(r.id, 0)) for r in rows)


def _replies_to_classify() -> int:
    return db.session.execute(select(func.count()).select_from(Response).where(
        Response.kind == "reply", Response.classification.is_(None))).scalar_one()


def _chases_due(today: date) -> tuple[tuple[int, str, int], ...]:
    from campaigns.responses.chasing import proposals

    rules = db.session.execute(select(ChaseRule.mailing_id, Mailing.name).join(Mailing, Mailing.id == ChaseRule.mailing_id)
                               .order_by(ChaseRule.id.desc()).limit(CHASE_RULES_LOOKED_AT)).all()
    due = ((mailing_id, name, len(proposals(mailing_id, today))) for mailing_id, name in rules)
    return tuple(line for line in due if line[2])


def _cases_to_update() -> tuple[CaseLine, ...]:
    """Cases whose latest event is news (a transfer, a sentence...) recorded after the last mailing
    about the case started: those who were told of the case have not heard of it."""
    latest = (select(CaseEvent.case_id, func.max(CaseEvent.happened_on).label("on"))
              .group_by(CaseEvent.case_id).subquery())
    news = db.session.execute(
        select(Case.id, Case.name, CaseEvent.kind, CaseEvent.happened_on, CaseEvent.created_at)
        .join(latest, latest.c.case_id == Case.id)
        .join(CaseEvent, (CaseEvent.case_id == Case.id) & (CaseEvent.happened_on == latest.c.on))
        .where(CaseEvent.kind.in_(UPDATE_KINDS))).all()
    if not news:
        return ()
    heard = _last_heard({row.id for row in news})
    lines = {row.id: CaseLine(row.id, row.name, row.kind, row.happened_on) for row in news
             if row.id in heard and _naive(row.created_at) > heard[row.id]}
    return tuple(sorted(lines.values(), key=lambda line: line.happened_on, reverse=True))


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def _last_heard(case_ids: set[int]) -> dict[int, datetime]:
    """{case id: when the latest mailing naming it, or sending an appeal citing it, started}."""
    cited = {}
    for template_id, case_id in db.session.execute(select(template_cases.c.template_id, template_cases.c.case_id)
                                                   .where(template_cases.c.case_id.in_(case_ids))):
        cited.setdefault(template_id, set()).add(case_id)
    heard: dict[int, datetime] = {}
    for template_id, named, started in db.session.execute(
            select(Mailing.template_id, Mailing.case_ids, Mailing.started_at).where(Mailing.started_at.is_not(None))):
        for case_id in (set(named or []) & case_ids) | cited.get(template_id, set()):
            heard[case_id] = max(heard.get(case_id, _naive(started)), _naive(started))
    return heard


def _drives() -> tuple[DriveLine, ...]:
    drives = db.session.execute(select(Drive.id, Drive.title, Drive.goal).where(Drive.status == "open")
                                .order_by(Drive.id.desc()).limit(20)).all()
    ids = [d.id for d in drives]
    counted = dict(db.session.execute(select(Signature.drive_id, func.count()).where(
        Signature.drive_id.in_(ids), counted_clause()).group_by(Signature.drive_id)).all()) if ids else {}
    held = dict(db.session.execute(select(Signature.drive_id, func.count()).where(
        Signature.drive_id.in_(ids), Signature.moderation == "held").group_by(Signature.drive_id)).all()) if ids else {}
    return tuple(DriveLine(d.id, d.title, counted.get(d.id, 0), d.goal, held.get(d.id, 0)) for d in drives)
