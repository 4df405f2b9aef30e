"""The pure core of signing: cleaning the form, how a signer is shown, and which network they are on.

No database, request or clock here: the page, the API and the tests all call these directly.
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from campaigns.drives.models import DISPLAYS

MAX_NAME, MAX_CITY, MAX_EMAIL = 120, 80, 254
HONEYPOT = "homepage"  # a field people never see; bots fill it


class SignFormError(Exception):
    """One or more fields are wrong: `fields` maps a field to a reason key in i18n.STRINGS."""

    def __init__(self, fields: dict[str, str], limits: dict[str, int] | None = None):
        super().__init__(", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields
        self.limits = limits or {}


@dataclass(frozen=True)
class SignInput:
    name: str
    city: str
    country: str
    email: str | None
    display: str
    consent: bool
    language: str


_SPACES = re.compile(r"\s+")


def clean_text(value: str | None) -> str:
    """Drop control and format characters (bidi overrides, zero-width marks), squeeze spaces."""
    value = unicodedata.normalize("NFC", value or "")
    kept = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    return _SPACES.sub(" ", kept).strip()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def parse_sign_form(form, language: str, known_countries) -> SignInput:
    """Read a submitted sign form (any mapping); raise SignFormError naming every bad field."""
    errors: dict[str, str] = {}
    limits: dict[str, int] = {}
    raw_name, raw_city = form.get("name") or "", form.get("city") or ""
    name, city = clean_text(raw_name), clean_text(raw_city)
    for field, value, limit in (("name", name, MAX_NAME), ("city", city, MAX_CITY)):
        if not value:
            errors[field] = "required"
        elif len(value) > limit:
            errors[field], limits[field] = "too_long", limit
    country = (form.get("country") or "").strip().upper()
    if country not in known_countries:
        errors["country"] = "bad_country"
    email = (form.get("email") or "").strip() or None
    if email is not None:
        if len(email) > MAX_EMAIL:
            errors["email"], limits["email"] = "too_long", MAX_EMAIL
        else:
            try:
                email = normalise_email(validate_email(email, check_deliverability=False).normalized)
            except EmailNotValidError:
                errors["email"] = "bad_email"
    display = form.get("display") or "anonymous"
    if display not in DISPLAYS:
        display = "anonymous"  # the safest reading of a value we did not offer
    consent = (form.get("consent") or "") in ("1", "on", "yes", "true", True)
    if errors:
        raise SignFormError(errors, limits)
    return SignInput(name=name, city=city, country=country, email=email, display=display, consent=consent,
                     language=language)


def is_bot(form) -> bool:
    return bool((form.get(HONEYPOT) or "").strip())


def first_name_and_initial(name: str) -> str:
    parts = name.split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0]}."


def public_name(name: str, city: str, display: str, words: dict[str, str]) -> str:
    """How a signature reads on the public page, as its signer chose."""
    if display == "full":
        return name
    if display == "initial":
        return first_name_and_initial(name)
    return words["supporter_from"].format(city=city) if city else words["supporter"]


def target_name(name: str, display: str, consent: bool, words: dict[str, str]) -> str | None:
    """How a signature reads for the targets: None when it may only be counted."""
    if not consent:
        return None
    if display == "anonymous":
        return words["withheld"]
    return name


def network_of(address: str) -> str:
    """The network a client address belongs to: its /24 (IPv4) or /48 (IPv6)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))

