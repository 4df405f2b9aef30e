"""Builders shared by the drive tests: real rows through the real services, forms through the real page."""
from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')

LETTER_EN = "Dear Ambassador,\n\nWe ask you to visit Aigerim in detention.\n\nSincerely"
LETTER_RU = "Уважаемый посол,\n\nПросим вас посетить Айгерим в заключении."


def make_drive(app, slug: str = "free-aigerim", goal: int = 100, **extra) -> int:
    from campaigns.drives.drives import parse_drive, save_drive

    data = {"slug": slug, "title": "Free Aigerim", "goal": goal,
            "letters": {"en": {"title": "Free Aigerim", "body": LETTER_EN},
                        "ru": {"title": "Свободу Айгерим", "body": LETTER_RU}}}
    data.update(extra)
    with app.app_context():
        return save_drive(parse_drive(data)).id


def make_contact(app, email_address: str, name: str = "Ambassador", language: str = "en", tags=("eu",)) -> int:
    from contacts.models import Contact, Tag
    from core.db import db

    with app.app_context():
        contact = Contact(email=email_address, name=name, language=language, status="active")
        for tag_name in tags:
            tag = db.session.query(Tag).filter_by(name=tag_name).one_or_none() or Tag(name=tag_name)
            contact.tags.append(tag)
        db.session.add(contact)
        db.session.commit()
        return contact.id


def sign(client, slug: str = "free-aigerim", lang: str = "en", **fields):
    form = {"name": "Aigerim Nurlanovna", "city": "Almaty", "country": "KZ", "display": "full", "consent": "1"}
    form.update(fields)
    form = {k: v for k, v in form.items() if v is not None}
    form["form_token"] = form_token(client, f"/drives/{slug}?lang={lang}")
    return client.post(f"/drives/{slug}?lang={lang}", data=form)


def form_token(client, page: str) -> str:
    """The signed token a real browser finds in the public page's form (supporters get no cookie)."""
    match = FORM_TOKEN.search(client.get(page).get_data(as_text=True))
    assert match, f"no form token in {page}"
    return match.group(1)


def confirm(client, link: str):
    return client.post(link, data={"form_token": form_token(client, link)})


def count(client, slug: str = "free-aigerim") -> int:
    return client.get(f"/drives/{slug}?format=json").get_json()["signatures"]


def outbox(app) -> list:
    directory = Path(app.config["OUTBOX_DIR"])
    if not directory.exists():
        return []
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def confirmation_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"https?://[^/\s]+(/drives/\S+)", text)
    assert match, text
    return match.group(1)
