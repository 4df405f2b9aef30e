"""The figures behind the dashboards: a mailing's funnel, and response rates by organisation and country.

Replies and clicks lead; opens are a weak signal and machine opens (privacy proxies, scanners) are
never counted as reads. Each rate is shown beside the number of appeals it is drawn from, so a busy
embassy is not compared unfairly with a quiet one.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from campaigns.mailings.models import Mailing, Message
from campaigns.responses.models import MessageEvent, Response
from contacts.models import Contact, Organisation
from core.db import db
from core.mail import states

def funnel(mailing_id: int) -> dict[str, int]:
    counts = dict(db.session.execute(select(Message.state, func.count()).where(Message.mailing_id == mailing_id)
                                     .group_by(Message.state)).all())

    def engaged(condition) -> int:
        return db.session.execute(
            select(func.count(func.distinct(MessageEvent.message_id))).join(Message, Message.id == MessageEvent.message_id)
            .where(Message.mailing_id == mailing_id, condition)).scalar() or 0

    return {
        "sent": sum(counts.get(s, 0) for s in states.ACCEPTED),
        "delivered": sum(counts.get(s, 0) for s in states.REACHED),
        "opened": engaged(or_(and_(MessageEvent.kind == "open", MessageEvent.machine.is_(False)),
                              MessageEvent.kind == "click")),
        "clicked": engaged(MessageEvent.kind == "click"),
        "replied": counts.get(states.State.REPLIED, 0),
        "bounced": counts.get(states.State.BOUNCED, 0) + counts.get(states.State.DROPPED, 0),
        "machine_opens": engaged(and_(MessageEvent.kind == "open", MessageEvent.machine.is_(True))),
    }


def recent_mailings(limit: int = 20) -> list[Mailing]:
    return list(db.session.execute(select(Mailing).where(Mailing.started_at.is_not(None))
                                   .order_by(Mailing.started_at.desc()).limit(limit)).scalars())


@dataclass
class Group:
    label: str
    appeals: int = 0
    replied: int = 0
    delays: list[float] = field(default_factory=list)  # days from sending to first reply
    months: dict[str, list] = field(default_factory=dict)  # month -> [appeals, replied, delays]

    @property
    def rate(self) -> float:
        return self.replied / self.appeals if self.appeals else 0.0

    @property
    def median_days(self) -> float | None:
        return statistics.median(self.delays) if self.delays else None

    def rate_series(self, months: list[str]) -> list[float | None]:
        return [(m[1] / m[0]) if (m := self.months.get(month)) and m[0] else None for month in months]

    def delay_series(self, months: list[str]) -> list[float | None]:
        return [statistics.median(m[2]) if (m := self.months.get(month)) and m[2] else None for month in months]


def month_labels(now: datetime, count: int = 12) -> list[str]:
    labels, year, month = [], now.year, now.month
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(labels))


def response_groups(by: str, now: datetime, months: int = 12) -> list[Group]:
    """Appeals received, replies and time to first reply per organisation or per country."""
    since = now - timedelta(days=31 * months)
    first = (select(Response.message_id, func.min(Response.occurred_at).label("first"))
             .where(Response.message_id.is_not(None), Response.kind != "auto_reply")
             .group_by(Response.message_id).subquery())
    key = Organisation.name if by == "organisation" else Contact.country
    rows = db.session.execute(
        select(key, Message.sent_at, first.c.first)
        .join(Contact, Contact.id == Message.contact_id)
        .outerjoin(Organisation, Organisation.id == Contact.organisation_id)
        .outerjoin(first, first.c.message_id == Message.id)
        .where(Message.state.in_(states.ACCEPTED), Message.sent_at >= since))
    groups: dict[str, Group] = {}
    for label, sent_at, replied_at in rows:
        group = groups.setdefault(label or "—", Group(label or "—"))
        month = groups_month(sent_at)
        bucket = group.months.setdefault(month, [0, 0, []])
        group.appeals += 1
        bucket[0] += 1
        if replied_at is not None:
            days = max((replied_at - sent_at).total_seconds() / 86400, 0.0)
            group.replied += 1
            group.delays.append(days)
            bucket[1] += 1
            bucket[2].append(days)
    return sorted(groups.values(), key=lambda g: (-g.appeals, g.label))


def groups_month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"
