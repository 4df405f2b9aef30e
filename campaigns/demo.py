"""Fictional demo data. Every name, case and address here is invented; addresses use example.org.

Loading twice changes nothing: each item is looked up by its name or address first.
"""
from __future__ import annotations

from sqlalchemy import select

from core.db import db

CONTACTS = [
    # email, name, salutation, position, organisation, kind, country, city, language, tags
    ("ambassador.demo@example.org", "Anna Lindqvist", "Your Excellency", "Ambassador",
     "Embassy of Sweden (demo)", "embassy", "SE", "Astana", "en", "eu-ambassadors; astana"),
    ("political.officer@example.org", "Jan Novák", "Dear Mr Novák", "Political officer",
     "Embassy of Czechia (demo)", "embassy", "CZ", "Astana", "en", "eu-ambassadors; astana"),
    ("delegation.demo@example.org", "Marie Dubois", "Dear Ms Dubois", "Head of political section",
     "EU Delegation to Kazakhstan (demo)", "eu_delegation", "BE", "Astana", "fr", "eu; astana"),
    ("mep.office@example.org", "Katrin Weber", "Dear Ms Weber", "Member of the European Parliament",
     "European Parliament (demo)", "parliament", "DE", "Brussels", "de", "meps"),
    ("desk.editor@example.org", "Айгерим Сейтова", "Уважаемая Айгерим", "Editor",
     "Steppe Review (demo)", "media", "KZ", "Almaty", "ru", "journalists"),
    ("osce.demo@example.org", "Luca Bianchi", "Dear Mr Bianchi", "Human rights officer",
     "OSCE Office (demo)", "international_body", "IT", "Warsaw", "en", "international"),
]

CASE = {
    "name": "Erlan Demo-Example",
    "alias": "E. D.",
    "public": True,
    "status": "detained",
    "charges": "art. 174 of the Criminal Code (fictional demo case)",
    "arrest_date": "2026-03-14",
    "place_of_detention": "Pre-trial detention centre No. 1 (fictional)",
    "summary": "A fictional blogger detained after posts about local election fraud. "
               "This case exists only to show how the app works.",
}

TEMPLATE_SUBJECT = "Urgent appeal: {{ case.name }}, detained since {{ case.arrest_date }}"
TEMPLATE_BODY = """{{ contact.salutation }},

We write to ask for your attention to the case of **{{ case.name }}**, detained since
{{ case.arrest_date }} under {{ case.charges }} and held at {{ case.place_of_detention }}.

{{ case.summary }}

We respectfully ask you to raise the case with the authorities and to attend the next hearing.

With respect,
{{ sender.name }}
"""


def load_demo() -> str:
    from campaigns.appeals.models import AppealTemplate
    from campaigns.appeals.services import create_template
    from campaigns.cases.models import Case
    from campaigns.cases.services import create_case
    from contacts.models import Contact
    from contacts.services import ContactData, save_contact

    known = set(db.session.execute(select(Contact.email)).scalars())
    created_contacts = 0
    for email, name, salutation, position, org, kind, country, city, language, tags in CONTACTS:
        if email in known:
            continue
        save_contact(ContactData(email=email, name=name, salutation=salutation, position=position,
                                 organisation=org, kind=kind, country=country, city=city,
                                 language=language, tags=tags, source="demo data",
                                 lawful_basis="legitimate interest (public office)"))
        created_contacts += 1

    case = db.session.execute(select(Case).where(Case.name == CASE["name"])).scalar_one_or_none()
    if case is None:
        case = create_case(CASE)
    name = "Urgent appeal (demo)"
    if db.session.execute(select(AppealTemplate.id).where(AppealTemplate.name == name)).first() is None:
        create_template(name, "en", TEMPLATE_SUBJECT, TEMPLATE_BODY, case_ids=[case.id])
    return f"demo data loaded: {created_contacts} new contacts, case {case.name!r}, template {name!r}"
