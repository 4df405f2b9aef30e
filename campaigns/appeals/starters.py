"""The starter library: appeals for political-prisoner advocacy that a campaigner adapts.

Each starter is one template with an English source and a Russian variant, read from
`starter_texts/<key>.<language>.md` (a `name:` and `subject:` header, `---`, then the Markdown body).
Loading is idempotent: a starter already in the library (by its key) is left as it is.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from campaigns.appeals.models import AppealTemplate
from core.db import db

FOLDER = Path(__file__).parent / "starter_texts"
SOURCE_LANGUAGE = "en"
KEYS = ("urgent-arrest", "trial-attendance", "prison-visit", "diplomat-thanks")


def read_starter(key: str, language: str) -> dict:
    text = (FOLDER / f"{key}.{language}.md").read_text(encoding="utf-8")
    header, _, body = text.partition("\n---\n")
    fields = dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)
    return {"name": fields["name"], "subject": fields["subject"], "body": body.lstrip("\n")}


def languages(key: str) -> list[str]:
    found = sorted(p.name.split(".")[1] for p in FOLDER.glob(f"{key}.*.md"))
    return [SOURCE_LANGUAGE] + [lang for lang in found if lang != SOURCE_LANGUAGE]


def missing() -> list[str]:
    """Names of starters not yet in the library."""
    have = set(db.session.execute(select(AppealTemplate.starter_key).where(
        AppealTemplate.starter_key.is_not(None))).scalars())
    return [read_starter(key, SOURCE_LANGUAGE)["name"] for key in KEYS if f"starter:{key}" not in have]


def load_starters() -> int:
    """Add every starter not yet loaded; returns how many were added."""
    from campaigns.appeals.services import create_template, save_variant

    have = set(db.session.execute(select(AppealTemplate.starter_key)).scalars())
    added = 0
    for key in KEYS:
        if f"starter:{key}" in have:
            continue
        source = read_starter(key, SOURCE_LANGUAGE)
        template = create_template(source["name"], SOURCE_LANGUAGE, source["subject"], source["body"],
                                   starter_key=f"starter:{key}")
        for language in languages(key)[1:]:
            variant = read_starter(key, language)
            save_variant(template.id, language, variant["subject"], variant["body"])
        added += 1
    return added
