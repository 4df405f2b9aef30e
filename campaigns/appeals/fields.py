"""The fields an appeal template may use, and the plain data a template is rendered with.

Templates never see ORM objects: `context_for` copies the few values a letter needs into dicts,
strings and lists, formats dates for the recipient's language, and refuses values that could break
a mail header (any line break `str.splitlines` knows, or NUL, in names). `SCHEMA` is what the compile-time check validates field names
against, so a typo like `contact.nmae` is reported with its line before anything is saved.
"""
from __future__ import annotations

from datetime import date, datetime

from core.errors import ValidationError
from core.mail.headers import header_problem

EVENT = {"date": None, "kind": None, "description": None, "source": None}
CASE = {
    "name": None, "alias": None, "public": None, "status": None, "charges": None, "arrest_date": None,
    "place_of_detention": None, "summary": None, "events": [EVENT], "latest_event": EVENT,
}
SCHEMA: dict = {
    "contact": {"name": None, "salutation": None, "position": None, "organisation": None, "kind": None,
                "country": None, "city": None, "email": None, "language": None},
    "case": CASE,
    "cases": [CASE],
    "campaign": {"name": None, "goal": None, "starts_on": None, "ends_on": None},
    "sender": {"name": None, "email": None, "organisation": None, "position": None},
    "today": None,
}

MAX_VALUE = 10_000  # characters in one value: a case summary fits, a megabyte of padding does not
MAX_CASES = 200
MAX_EVENTS = 100
HEADER_SAFE = ("contact.name", "contact.salutation", "sender.name", "sender.email", "case.name", "case.alias",
               "campaign.name")

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
STATUS_WORDS = {
    "en": {"detained": "detained", "on_trial": "on trial", "sentenced": "sentenced",
           "house_arrest": "under house arrest", "released": "released", "other": ""},
    "ru": {"detained": "под стражей", "on_trial": "под судом", "sentenced": "осуждён(а)",
           "house_arrest": "под домашним арестом", "released": "на свободе", "other": ""},
}
EVENT_WORDS = {
    "en": {"arrest": "arrest", "hearing": "hearing", "sentence": "sentence", "transfer": "transfer",
           "health": "health", "hunger_strike": "hunger strike", "release": "release", "other": ""},
    "ru": {"arrest": "задержание", "hearing": "заседание суда", "sentence": "приговор", "transfer": "этап",
           "health": "здоровье", "hunger_strike": "голодовка", "release": "освобождение", "other": ""},
}

SAMPLE_CONTACT = {
    "name": "Alex Example", "salutation": "Dear Ambassador", "position": "Ambassador",
    "organisation": "Embassy of Exampleland", "kind": "embassy", "country": "XX", "city": "Astana",
    "email": "alex@example.org", "language": "en",
}


def primary(language: str | None) -> str:
    return (language or "en").replace("_", "-").split("-")[0].lower()


def format_date(value, language: str | None) -> str:
    """A date as a recipient reads it: '3 March 2025', '3 марта 2025'; ISO for other languages."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.date()
    months = MONTHS.get(primary(language))
    if months is None:
        return value.isoformat()
    return f"{value.day} {months.split()[value.month - 1]} {value.year}"


def _text(value, field: str) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text:
        raise ValidationError(field, "contains a NUL character")
    if field in HEADER_SAFE and header_problem(text):
        raise ValidationError(field, header_problem(text))
    if len(text) > MAX_VALUE:
        raise ValidationError(field, f"is longer than {MAX_VALUE} characters")
    return text


def _plain(data: dict | None, keys, prefix: str) -> dict:
    data = data or {}
    return {key: _text(data.get(key), f"{prefix}.{key}") for key in keys}


def _event(data: dict, language: str) -> dict:
    kind = data.get("kind") or ""
    words = EVENT_WORDS.get(primary(language), EVENT_WORDS["en"])
    return {"date": format_date(data.get("happened_on") or data.get("date"), language),
            "kind": words.get(kind, kind),
            "description": _text(data.get("description"), "case.events.description"),
            "source": _text(data.get("source_url") or data.get("source"), "case.events.source")}


def _case(data: dict, language: str) -> dict:
    words = STATUS_WORDS.get(primary(language), STATUS_WORDS["en"])
    events = [_event(e, language) for e in (data.get("events") or [])[-MAX_EVENTS:]]
    status = data.get("status") or ""
    return {
        "name": _text(data.get("name"), "case.name"),
        "alias": _text(data.get("alias"), "case.alias"),
        "public": bool(data.get("public")),
        "status": words.get(status, status),
        "charges": _text(data.get("charges"), "case.charges"),
        "arrest_date": format_date(data.get("arrest_date"), language),
        "place_of_detention": _text(data.get("place_of_detention"), "case.place_of_detention"),
        "summary": _text(data.get("summary"), "case.summary"),
        "events": events,
        "latest_event": events[-1] if events else {"date": "", "kind": "", "description": "", "source": ""},
    }


def context_for(contact: dict | None, cases: list[dict] | None, campaign: dict | None, sender: dict | None,
                today: date, language: str | None = None) -> dict:
    """Plain data for one recipient. `cases` may hold several: `case` is the first, `cases` all."""
    language = language or (contact or {}).get("language") or "en"
    case_list = [_case(c, language) for c in (cases or [])[:MAX_CASES]]
    campaign = dict(campaign or {})
    return {
        "contact": _plain(contact, SCHEMA["contact"], "contact"),
        "case": case_list[0] if case_list else _case({}, language),
        "cases": case_list,
        "campaign": {"name": _text(campaign.get("name"), "campaign.name"),
                     "goal": _text(campaign.get("goal"), "campaign.goal"),
                     "starts_on": format_date(campaign.get("starts_on"), language),
                     "ends_on": format_date(campaign.get("ends_on"), language)},
        "sender": _plain(sender, SCHEMA["sender"], "sender"),
        "today": format_date(today, language),
    }
