"""Provider events, pure: reading SendGrid's event JSON and deciding what each event means.

Events arrive in any order and more than once. A message's state only moves up a rank, so a late
'processed' never turns 'delivered' back into 'sent'; bounced and dropped outrank delivery, and
only proof of a human (a read, a click, a reply) outranks them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from core.mail import states
from core.mail.sendgrid import KEY_ARG

KINDS = ("processed", "delivered", "deferred", "bounce", "dropped", "open", "click", "spamreport",
         "unsubscribe", "group_unsubscribe", "group_resubscribe")

# Opens this soon after sending are scanners or prefetchers, not people.
EARLY_OPEN = timedelta(seconds=5)
# Apple Mail Privacy Protection fetches with a bare "Mozilla/5.0"; security gateways name themselves.
MACHINE_AGENTS = re.compile(r"^Mozilla/5\.0$|barracuda|mimecast|proofpoint|symantec|forcepoint|"
                            r"trendmicro|zscaler|messagelabs|bot\b|crawler|spider", re.I)
DROPPED_SUPPRESSION = {"bounced address": "bounced", "spam reporting address": "complained",
                       "unsubscribed address": "unsubscribed"}


@dataclass(frozen=True)
class Event:
    sg_event_id: str
    kind: str
    key: str | None
    email: str
    occurred_at: datetime
    detail: str = ""
    machine: bool = False          # the provider itself says a machine opened it (Apple MPP)
    user_agent: str = ""
    hard_bounce: bool = False
    provider_message_id: str | None = None


class EventFormatError(ValueError):
    pass


def _time(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        raise EventFormatError(f"bad timestamp {value!r}") from None


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def parse_event(raw: dict) -> Event | None:
    """One SendGrid event as an Event; None for kinds we do not record."""
    if not isinstance(raw, dict):
        raise EventFormatError("an event must be a JSON object")
    kind = raw.get("event")
    if kind not in KINDS:
        return None
    event_id = raw.get("sg_event_id")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 100:
        raise EventFormatError("sg_event_id is missing")
    key = raw.get(KEY_ARG)
    if not isinstance(key, str) and isinstance(raw.get("unique_args"), dict):
        key = raw["unique_args"].get(KEY_ARG)
    detail = raw.get("reason") or raw.get("response") or raw.get("url") or ""
    bounce_type = str(raw.get("type") or "bounce").lower()
    status = str(raw.get("status") or "")
    sg_message_id = raw.get("sg_message_id")
    return Event(
        sg_event_id=event_id, kind=kind, key=key if isinstance(key, str) and key else None,
        email=str(raw.get("email") or "").strip().lower()[:254], occurred_at=_time(raw.get("timestamp")),
        detail=str(detail)[:500], machine=_truthy(raw.get("sg_machine_open")),
        user_agent=str(raw.get("useragent") or "")[:300],
        hard_bounce=kind == "bounce" and bounce_type == "bounce" and not status.startswith("4"),
        provider_message_id=str(sg_message_id).split(".filter")[0][:200] if sg_message_id else None,
    )


def parse_batch(payload) -> tuple[list[Event], int]:
    """Events from a webhook body (a JSON array); returns (events, number skipped as unknown kinds)."""
    if not isinstance(payload, list):
        raise EventFormatError("the body must be a JSON array of events")
    events, skipped = [], 0
    for raw in payload:
        event = parse_event(raw)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped


def is_machine_open(event: Event, sent_at: datetime | None) -> bool:
    """An open a person did not make: flagged by the provider, a proxy's agent, or too early."""
    if event.kind != "open":
        return False
    if event.machine or MACHINE_AGENTS.search(event.user_agent or ""):
        return True
    return sent_at is not None and event.occurred_at - sent_at < EARLY_OPEN


def state_for(event: Event, machine_open: bool) -> str | None:
    """The message state an event proves (at least)."""
    S = states.State
    return {
        "processed": S.SENT, "deferred": S.DEFERRED, "delivered": S.DELIVERED, "bounce": S.BOUNCED,
        "dropped": S.DROPPED, "open": S.DELIVERED if machine_open else S.OPENED, "click": S.CLICKED,
        "spamreport": S.DELIVERED, "unsubscribe": S.DELIVERED, "group_unsubscribe": S.DELIVERED,
    }.get(event.kind)


def suppression_for(event: Event) -> str | None:
    """The suppression reason an event calls for: hard bounce, complaint or unsubscribe."""
    if event.kind == "bounce" and event.hard_bounce:
        return "bounced"
    if event.kind == "spamreport":
        return "complained"
    if event.kind in ("unsubscribe", "group_unsubscribe"):
        return "unsubscribed"
    if event.kind == "dropped":
        return DROPPED_SUPPRESSION.get(event.detail.strip().lower())
    return None
