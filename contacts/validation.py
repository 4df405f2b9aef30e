"""Pure cleaning of one contact field at a time: each function returns the clean value or raises
ValueError with the reason a person can act on. No database, no request, no clock.
"""
from __future__ import annotations

import gettext
import re
from datetime import date, datetime
from functools import lru_cache

import langcodes
import pycountry
from babel import Locale
from email_validator import EmailNotValidError, validate_email

from contacts.models import KINDS, MAILBOXES

TRANSLATED_NAMES = ("ru", "kk", "uk", "de", "fr")  # spreadsheet languages we read country names in
CLDR_NAMES = ("en", "ru", "kk")  # CLDR's names (Babel) as people write them: "Великобритания", not pycountry's
# Common usage that neither ISO nor CLDR spells out: abbreviations, old and informal names.
_COUNTRY_EXTRA = {
    "uk": "GB", "u.k.": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "great britain": "GB",
    "britain": "GB", "usa": "US", "u.s.a.": "US", "us": "US", "u.s.": "US", "america": "US", "uae": "AE",
    "holland": "NL", "czech republic": "CZ", "turkey": "TR", "russian federation": "RU", "south korea": "KR",
    "north korea": "KP", "republic of korea": "KR", "burma": "MM", "ivory coast": "CI", "vatican": "VA", "macedonia": "MK",
    "великобритания": "GB", "британия": "GB", "англия": "GB", "соединенное королевство": "GB", "сша": "US",
    "соединенные штаты америки": "US", "америка": "US", "оаэ": "AE", "фрг": "DE", "германия": "DE",
    "рф": "RU", "российская федерация": "RU", "кнр": "CN", "голландия": "NL", "чехия": "CZ",
    "южная корея": "KR", "северная корея": "KP", "киргизия": "KG", "молдавия": "MD", "белоруссия": "BY",
    "ресей": "RU", "ресей федерациясы": "RU", "ақш": "US", "құрама штаттар": "US", "ұлыбритания": "GB",
    "баә": "AE", "германия федеративтік республикасы": "DE", "қхр": "CN",
}


# An ASCII dot-atom local part (RFC 5322) is valid as it stands; only its domain needs the validator,
# and a list holds thousands of addresses at a few hundred domains, so domains are checked once each.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


@lru_cache(maxsize=20000)
def _checked_domain(domain: str) -> tuple[bool, str]:
    try:
        return True, validate_email("postmaster@" + domain, check_deliverability=False).domain.lower()
    except EmailNotValidError as exc:
        return False, str(exc)


def clean_email(value: str) -> str:
    """The address validated by email-validator (syntax only, no DNS), lower-cased."""
    value = value.strip()
    if not value:
        raise ValueError("email is missing")
    local, at, domain = value.rpartition("@")
    if at and len(local) <= 64 and len(value) <= 254 and _PLAIN_LOCAL.match(local):
        ok, answer = _checked_domain(domain)
        if not ok:
            raise ValueError(f"invalid email {value!r}: {answer}")
        return f"{local}@{answer}".lower()
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email {value!r}: {exc}") from None
    return result.normalized.lower()


def _translations(domain: str):
    for lang in TRANSLATED_NAMES:
        try:
            yield gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang])
        except OSError:
            continue


def _country_key(name: str) -> str:
    """A country name as looked up: lower case, ё as е, one space, no trailing dot ("U.S.A." = "u.s.a")."""
    return " ".join(name.lower().replace("ё", "е").split()).strip(".")


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    translations = list(_translations("iso3166-1"))
    for country in pycountry.countries:
        for label in {country.name, getattr(country, "common_name", country.name),
                      getattr(country, "official_name", country.name)}:
            names[_country_key(label)] = country.alpha_2
            for t in translations:
                names[_country_key(t.gettext(label))] = country.alpha_2
    for lang in CLDR_NAMES:
        for code, label in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha() and pycountry.countries.get(alpha_2=code):
                names[_country_key(label)] = code
    names.update((_country_key(label), code) for label, code in _COUNTRY_EXTRA.items())
    return names


@lru_cache(maxsize=4096)
def clean_country(value: str) -> str:
    """ISO 3166-1 alpha-2 from a code (alpha-2 or alpha-3) or a name in English, Russian or Kazakh (CLDR's
    and pycountry's names, and common short forms: UK, USA, США, ОАЭ, Ресей...)."""
    raw = value.strip()
    if len(raw) in (2, 3) and raw.isascii() and raw.isalpha():
        found = pycountry.countries.get(alpha_2=raw.upper()) if len(raw) == 2 else \
            pycountry.countries.get(alpha_3=raw.upper())
        if found:
            return found.alpha_2
    code = _country_names().get(_country_key(raw))
    if code:
        return code
    raise ValueError(f"unknown country {raw!r} (use an ISO 3166-1 code such as DE or KZ)")


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    names = {}
    translations = list(_translations("iso639-3"))
    for lang in pycountry.languages:
        code = getattr(lang, "alpha_2", None)
        if not code:
            continue
        names[lang.name.lower()] = code
        for t in translations:
            names[t.gettext(lang.name).lower()] = code
    return names


@lru_cache(maxsize=1024)
def clean_language(value: str) -> str:
    """A BCP 47 tag in its standard form (en, ru, kk, pt-BR), from a tag or a language name."""
    raw = value.strip().replace("_", "-")
    if langcodes.tag_is_valid(raw):
        try:
            return langcodes.standardize_tag(raw)
        except (ValueError, LookupError):
            pass
    code = _language_names().get(raw.lower())
    if code:
        return code
    raise ValueError(f"unknown language {value.strip()!r} (use a BCP 47 tag such as en, ru or kk)")


_KIND_WORDS = {
    "embassy": "embassy", "посольство": "embassy", "елшілік": "embassy", "consulate": "embassy",
    "eu delegation": "eu_delegation", "delegation": "eu_delegation", "делегация ес": "eu_delegation",
    "ministry": "ministry", "министерство": "ministry", "министрлік": "ministry",
    "parliament": "parliament", "парламент": "parliament", "мажилис": "parliament",
    "international body": "international_body", "international organisation": "international_body",
    "international organization": "international_body", "международная организация": "international_body",
    "media": "media", "сми": "media", "press": "media", "journalist": "media", "ngo": "ngo", "нпо": "ngo",
    "нко": "ngo", "ҮЕҰ": "ngo",
}


def clean_kind(value: str) -> str:
    raw = value.strip().lower()
    if raw.replace(" ", "_") in KINDS:
        return raw.replace(" ", "_")
    if raw in _KIND_WORDS:
        return _KIND_WORDS[raw]
    raise ValueError(f"unknown kind {value.strip()!r} (one of {', '.join(KINDS)})")


def clean_mailbox(value: str) -> str:
    raw = value.strip().lower()
    if raw in MAILBOXES:
        return raw
    raise ValueError(f"mailbox must be personal or generic, not {value.strip()!r}")


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


def clean_date(value: str) -> date:
    raw = value.strip()
    if len(raw) > 10 and raw[10:11] in ("T", " ") and raw[:4].isdigit():
        raw = raw[:10]  # an ISO timestamp: its date
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"unreadable date {raw!r} (use YYYY-MM-DD or DD.MM.YYYY)")


_TAG_SPLIT = re.compile(r"[;,|]")


def clean_tags(value: str | list[str]) -> list[str]:
    parts = _TAG_SPLIT.split(value) if isinstance(value, str) else value
    tags = []
    for part in parts:
        tag = " ".join(part.split())[:80]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def clip(value: str, limit: int, label: str) -> str:
    value = " ".join(value.split())
    if len(value) > limit:
        raise ValueError(f"{label} is longer than {limit} characters")
    return value
