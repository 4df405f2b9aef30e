"""Appeal templates: create, save language variants (flagging stale translations), preview, choose.

Nothing is saved that does not compile: `save_variant` runs the same checks as sending, so a saved
template never fails for a recipient because of its syntax or an unknown field.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from campaigns.appeals.fields import SAMPLE_CONTACT
from campaigns.appeals.models import AppealTemplate, TemplateVariant
from campaigns.appeals.rendering import Rendered, compile_template, context_for, pick_language
from campaigns.cases.disclosure import open_cases
from campaigns.cases.models import Case
from campaigns.cases.services import case_data
from core.db import db
from core.errors import NotFound, ValidationError

LANGUAGE_MAX = 35


@dataclass(frozen=True)
class Variant:
    """A variant as plain data, for jobs that must not hold ORM rows."""

    id: int
    template_id: int
    language: str
    subject: str
    body: str
    needs_review: bool
    is_fallback: bool


def normalise_language(value: str | None) -> str:
    tag = (value or "").strip().replace("_", "-")
    parts = tag.split("-")
    if not tag or len(tag) > LANGUAGE_MAX or not all(p.isalnum() and 1 <= len(p) <= 8 for p in parts) \
            or not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        raise ValidationError("language", "must be a language tag like en, ru, kk or pt-BR")
    return "-".join([parts[0].lower()] + [p.upper() if len(p) == 2 else p for p in parts[1:]])


def _name(value: str | None) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError("name", "is required")
    if len(name) > 200 or any(c in name for c in "\r\n\x00"):
        raise ValidationError("name", "must be one line of at most 200 characters")
    return name


def get_template(template_id: int) -> AppealTemplate:
    template = db.session.get(AppealTemplate, template_id)
    if template is None:
        raise NotFound(f"template {template_id} does not exist")
    return template


def list_templates() -> list[AppealTemplate]:
    stmt = select(AppealTemplate).options(selectinload(AppealTemplate.variants)).order_by(AppealTemplate.name)
    return list(db.session.execute(stmt).scalars())


def _cases(case_ids) -> list[Case]:
    """Cases by id, in the order given (the first is `case` in a template), each once."""
    ids: list[int] = []
    for raw in case_ids or []:
        if str(raw).strip():
            if not str(raw).strip().isdigit():
                raise ValidationError("case_ids", f"{raw!r} is not a case id")
            if int(raw) not in ids:
                ids.append(int(raw))
    if not ids:
        return []
    found = {c.id: c for c in db.session.execute(select(Case).where(Case.id.in_(ids))).scalars()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError("case_ids", f"no case with id {missing[0]}")
    return [found[i] for i in ids]


def _campaign_id(value) -> int | None:
    from campaigns.models import Campaign

    if value in (None, "", 0, "0"):
        return None
    if db.session.get(Campaign, int(value)) is None:
        raise ValidationError("campaign_id", f"no campaign with id {value}")
    return int(value)


def create_template(name: str, language: str, subject: str, body: str, campaign_id=None, case_ids=(),
                    starter_key: str | None = None) -> AppealTemplate:
    language = normalise_language(language)
    compile_template(subject, body, language)
    template = AppealTemplate(name=_name(name), source_language=language, campaign_id=_campaign_id(campaign_id),
                              starter_key=starter_key, cases=_cases(case_ids))
    template.variants.append(TemplateVariant(language=language, subject=subject.strip(), body=body, version=1))
    db.session.add(template)
    db.session.commit()
    return template


def update_settings(template_id: int, name: str, campaign_id=None, case_ids=()) -> AppealTemplate:
    template = get_template(template_id)
    template.name = _name(name)
    template.campaign_id = _campaign_id(campaign_id)
    template.cases = _cases(case_ids)
    db.session.commit()
    return template


def save_variant(template_id: int, language: str, subject: str, body: str) -> TemplateVariant:
    """Save one language variant. Saving the source with new text bumps its version and flags every
    other variant 'needs review'; saving a translation marks it reviewed against the current source."""
    template = get_template(template_id)
    language = normalise_language(language)
    body = (body or "").replace("\r\n", "\n")
    compile_template(subject, body, language)
    source = template.variant(template.source_language)
    variant = template.variant(language)
    if variant is None:
        variant = TemplateVariant(language=language, subject="", body="", version=0)
        template.variants.append(variant)
    changed = (variant.subject, variant.body) != (subject.strip(), body)
    variant.subject, variant.body = subject.strip(), body
    if language == template.source_language:
        if changed:
            variant.version = (variant.version or 0) + 1
            for other in template.variants:
                if other is not variant and (other.source_version or 0) < variant.version:
                    other.needs_review = True
    else:
        variant.version = (variant.version or 0) + (1 if changed else 0)
        variant.source_version = source.version if source else None
        variant.needs_review = False
    db.session.commit()
    return variant


def delete_variant(template_id: int, language: str) -> None:
    template = get_template(template_id)
    if language == template.source_language:
        raise ValidationError("language", "the source language variant cannot be deleted")
    variant = template.variant(language)
    if variant is None:
        raise NotFound(f"no {language} variant")
    db.session.delete(variant)
    db.session.commit()


def variant_for(template_id: int, language: str | None) -> Variant:
    template = get_template(template_id)
    chosen = pick_language(language, [v.language for v in template.variants], template.source_language)
    if chosen is None:
        raise NotFound(f"template {template_id} has no variants")
    v = template.variant(chosen)
    return Variant(v.id, template.id, v.language, v.subject, v.body, v.needs_review,
                   is_fallback=(chosen.lower() != (language or "").lower()))


def contact_data(contact_id) -> dict:
    """A contact as plain data; the sample contact when none is chosen or contacts are not installed."""
    if contact_id in (None, "", "sample"):
        return dict(SAMPLE_CONTACT)
    try:
        from contacts.models import Contact
    except ImportError:
        return dict(SAMPLE_CONTACT)
    if not str(contact_id).isdigit():
        raise ValidationError("contact_id", "must be a contact id")
    contact = db.session.get(Contact, int(contact_id))
    if contact is None:
        raise ValidationError("contact_id", f"no contact with id {contact_id}")
    organisation = getattr(contact, "organisation", None)
    return {"name": contact.name, "salutation": contact.salutation, "position": contact.position,
            "organisation": organisation.name if organisation else "", "kind": contact.kind,
            "country": contact.country, "city": contact.city, "email": contact.email, "language": contact.language}


def preview_contacts(limit: int = 200) -> list[tuple[int, str]]:
    try:
        from contacts.models import Contact
    except ImportError:
        return []
    rows = db.session.execute(select(Contact.id, Contact.name, Contact.email).order_by(Contact.name).limit(limit))
    return [(r.id, r.name or r.email or f"contact {r.id}") for r in rows]


def preview(subject: str, body: str, language: str, *, contact_id=None, case_ids=(), campaign_id=None,
            sender: dict | None = None, today: date | None = None, reader=None) -> Rendered:
    """What one recipient would get, shown to `reader`; saves nothing but the audit record of a
    confidential case it shows (which `reader` must be allowed to read). Raises TemplateRejected."""
    from campaigns.services import campaign_data, get_campaign

    compiled = compile_template(subject, (body or "").replace("\r\n", "\n"), language)
    rows = _cases(case_ids)
    open_cases(rows, reader, "template preview")
    cases = [case_data(c) for c in rows]
    campaign = campaign_data(get_campaign(int(campaign_id))) if campaign_id not in (None, "", "0", 0) else None
    context = context_for(contact_data(contact_id), cases, campaign, sender, today or date.today(), language)
    return compiled.render(context)
