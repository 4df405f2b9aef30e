"""Time on screen: the database keeps UTC; people read and type times in their own zone.

Pure functions over IANA zone names (zoneinfo): which zones exist, a stored UTC time in a zone, and a
time typed in a zone back to UTC. The one Jinja filter, `local`, shows a time in the signed-in user's
zone and names the zone, so no page has to say "UTC" by hand.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = "UTC"


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone a person would pick ("Asia/Almaty"), sorted, UTC first; no legacy aliases."""
    names = {n for n in available_timezones() if "/" in n and not n.startswith(("Etc/", "SystemV/", "posix/", "right/"))}
    return (UTC, *sorted(names))


def is_zone(name: str | None) -> bool:
    return bool(name) and name in zone_names()


def zone(name: str | None) -> ZoneInfo:
    """The zone of that name; UTC for none or an unknown one (a zone removed from tzdata, say)."""
    try:
        return ZoneInfo(name) if is_zone(name) else ZoneInfo(UTC)
    except ZoneInfoNotFoundError:
        return ZoneInfo(UTC)


def to_local(moment: datetime, name: str | None) -> datetime:
    """A stored time (UTC, or naive meaning UTC) as the wall-clock time in zone `name`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone(name))


def from_local(wall: datetime, name: str | None) -> datetime:
    """A wall-clock time typed in zone `name` as an aware UTC time. In the hour a clock skips, the time
    is read with the offset before the change; in the hour repeated, the first time it happens."""
    return wall.replace(tzinfo=zone(name), fold=0).astimezone(timezone.utc)


def shown(moment: datetime | None, name: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """"2026-12-08 15:00 (Asia/Almaty)": the time in the zone, and which zone that is."""
    if moment is None:
        return "—"
    return f"{to_local(moment, name).strftime(fmt)} ({name if is_zone(name) else UTC})"


def init_app(app) -> None:
    from flask_login import current_user

    @app.template_filter("local")
    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return shown(moment, getattr(current_user, "time_zone", None), fmt)

    @app.template_filter("local_input")
    def local_input(moment: datetime | None) -> str:
        """The value of a datetime-local field holding a stored time, in the user's zone."""
        if moment is None:
            return ""
        return to_local(moment, getattr(current_user, "time_zone", None)).strftime("%Y-%m-%dT%H:%M")
