"""Real rows for mailing tests: contacts in bulk, a template, a mailing (through the services)."""
from __future__ import annotations

from sqlalchemy import insert, select

from core.db import db, utcnow

BODY = "{{ contact.salutation }},\n\nWe write about **{{ case.name }}**.\n\nRegards, {{ sender.name }}"


def make_contacts(n: int, tag: str = "envoys", start: int = 0, language: str = "en", **extra) -> list[int]:
    """n active contacts tagged `tag`, inserted in bulk (a real row each)."""
    from contacts.models import Contact, Tag, contact_tags

    tag_id = db.session.execute(select(Tag.id).where(Tag.name == tag)).scalar()
    if tag_id is None:
        tag_id = db.session.execute(insert(Tag).values(name=tag).returning(Tag.id)).scalar_one()
    now = utcnow()
    rows = [{"email": f"person{i}@example.org", "name": f"Person {i}", "salutation": f"Dear Person {i}",
             "language": language, "status": "active", "created_at": now, "updated_at": now, **extra}
            for i in range(start, start + n)]
    ids = []
    for i in range(0, len(rows), 2000):
        ids += list(db.session.execute(insert(Contact).returning(Contact.id), rows[i:i + 2000]).scalars())
    for i in range(0, len(ids), 5000):
        db.session.execute(insert(contact_tags), [{"contact_id": c, "tag_id": tag_id} for c in ids[i:i + 5000]])
    db.session.commit()
    return ids


def make_template(body: str = BODY, subject: str = "Free {{ case.name }}") -> int:
    from campaigns.appeals.services import create_template

    return create_template("Appeal", "en", subject, body).id


def make_case(name: str = "Aigul Example") -> int:
    from campaigns.cases.services import create_case

    return create_case({"name": name, "status": "detained", "summary": "Held for a post."}).id


def staff(role: str = "campaigner"):
    """A member of staff (a real user row) to read review samples as: they may show confidential cases."""
    from accounts.models import User
    from accounts.services import create_user

    email = f"reader-{role}@example.org"
    return db.session.execute(select(User).where(User.email == email)).scalar() or create_user(email, role)


def make_mailing(tag: str = "envoys", rate: int | None = None, **kw) -> int:
    from campaigns.mailings.services import MailingInput, create_mailing

    data = MailingInput(name=kw.pop("name", "Appeal for Aigul"), template_id=kw.pop("template_id", None) or make_template(),
                        from_email="campaigns@example.net", from_name="Campaign", case_ids=(make_case(),),
                        audience={"tags": [tag]}, rate_per_minute=rate, **kw)
    return create_mailing(data).id
