"""From a claimed message to an Envelope: the template compiled once per language and job, rendered
per recipient, with the headers every copy carries (Message-ID, List-Unsubscribe, Reply-To as
`campaigns.senders.addresses.reply_address` decides).
"""
from __future__ import annotations

import hashlib
from datetime import date

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from campaigns.mailings import ledger
from campaigns.mailings.models import Mailing
from campaigns.senders.addresses import reply_address, unsubscribe_address
from contacts.models import Contact, Organisation
from core import mail
from core.db import db
from core.errors import DomainError, ValidationError
from core.mail.headers import envelope_problems

CONTACT_COLUMNS = (Contact.id, Contact.name, Contact.salutation, Contact.position, Organisation.name.label("organisation"),
                   Contact.kind, Contact.country, Contact.city, Contact.email, Contact.language)


def _signer() -> URLSafeSerializer:
    """One serializer per app (building one derives its key: a few microseconds on every message)."""
    ext = current_app.extensions
    signer = ext.get("mailings.unsubscribe_signer")
    if signer is None:
        signer = ext["mailings.unsubscribe_signer"] = URLSafeSerializer(current_app.config["SECRET_KEY"],
                                                                        salt="mailings.unsubscribe")
    return signer


def unsubscribe_token(key: str) -> str:
    return _signer().dumps(key)


def unsubscribe_links(key: str, config) -> dict:
    """The List-Unsubscribe targets of the message with this key: the one-click page, and a mailto where
    mail to it reaches the app. Every message to a contact outside the team carries them."""
    return {"unsubscribe_url": f"{config['PUBLIC_BASE_URL']}/unsubscribe/{unsubscribe_token(key)}",
            "unsubscribe_mailto": unsubscribe_address(key, config)}


def key_from_token(token: str) -> str | None:
    try:
        key = _signer().loads(token)
    except BadSignature:
        return None
    return key if isinstance(key, str) else None


def _get(obj, *names, default=None):
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def variant_for(mailing: Mailing, language: str | None):
    from campaigns.appeals.rendering import choose_variant

    variant = choose_variant(mailing.template_id, language)
    if variant is None:
        raise DomainError("the template has no language variant to send")
    return variant


def compiled_for(mailing: Mailing, language: str | None, cache: dict):
    """The compiled variant for a language (cached per distinct variant, so once per job, and the choice
    of variant cached per requested language, so the database is asked once per language, not per copy)."""
    from campaigns.appeals.rendering import compile_template

    chosen = cache.get(("requested", language))
    if chosen is not None:
        return chosen
    variant = variant_for(mailing, language)
    tag = _get(variant, "language", default="en")
    if tag not in cache:
        cache[tag] = compile_template(_get(variant, "subject", default=""),
                                      _get(variant, "body_markdown", "body", default=""), tag)
    cache[("requested", language)] = cache[tag]
    return cache[tag]


def fields_needed(mailing: Mailing) -> dict:
    """language -> the fields its variant needs: printed with no fallback (None: the fallback variant)."""
    if mailing.template_id is None:
        return {}
    cache: dict = {}
    languages = {None} | set(db.session.execute(select(Contact.language).distinct()).scalars())
    return {lang: compiled_for(mailing, lang, cache).required for lang in languages}


def shared_context(mailing: Mailing) -> tuple[list[dict], dict | None, dict]:
    from campaigns.mailings.sources import campaign_data, case_data

    sender = {"name": mailing.from_name, "email": mailing.from_email}
    return case_data(mailing.case_ids or []), campaign_data(mailing.campaign_id), sender


def contact_rows(ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    stmt = (select(*CONTACT_COLUMNS).outerjoin(Organisation, Organisation.id == Contact.organisation_id)
            .where(Contact.id.in_(ids)))
    return {row["id"]: dict(row) for row in db.session.execute(stmt).mappings()}


def render(mailing: Mailing, contact: dict, cache: dict, shared=None):
    from campaigns.appeals.rendering import context_for

    cases, campaign, sender = shared or shared_context(mailing)
    compiled = compiled_for(mailing, contact.get("language"), cache)
    return compiled.render(context_for(contact, cases, campaign, sender, date.today(), compiled.language))


class Composer:
    """Builds the envelopes of one job: compiles each language variant once, renders per recipient."""

    def __init__(self, mailing: Mailing, config):
        self.mailing = mailing
        self.cache: dict = {}
        self.shared = shared_context(mailing)
        self.base = config["PUBLIC_BASE_URL"]
        self.config = config

    def envelope(self, key: str, email: str, contact: dict, message_id: str | None = None) -> mail.Envelope:
        rendered = render(self.mailing, contact, self.cache, self.shared)
        m = self.mailing
        envelope = mail.Envelope(
            to=email, subject=rendered.subject, text=rendered.text, html=rendered.html,
            from_email=m.from_email, from_name=m.from_name, reply_to=reply_address(m, key, self.config),
            key=key, message_id=message_id or mail.new_message_id(m.from_email, key), tracking=m.tracking,
            **unsubscribe_links(key, self.config))
        problems = envelope_problems(envelope)  # the last check before a header is written
        if problems:
            field, reason = next(iter(problems.items()))
            raise ValidationError(field, reason, problems)
        return envelope

    def envelopes(self, claimed: list[ledger.Claimed]):
        """(unused, results of messages that cannot be rendered, [(claimed, envelope, content hash)])."""
        contacts = contact_rows([c.contact_id for c in claimed if c.contact_id])
        failed, sendable = [], []
        for c in claimed:
            contact = contacts.get(c.contact_id) or {"email": c.email, "language": c.language}
            contact = {**contact, "email": c.email}
            try:
                envelope = self.envelope(c.key, c.email, contact, c.message_id_header)
            except DomainError as exc:
                failed.append(ledger.Result(c.id, c.attempts, "failed", reason=f"cannot render: {exc.message}"))
                continue
            digest = hashlib.sha256((envelope.subject + "\0" + envelope.text).encode()).hexdigest()
            sendable.append((c, envelope, digest))
        return None, failed, sendable
