"""The dashboard: what is in flight and what needs a person, each line a link to where it is done."""
from __future__ import annotations

import re

from tests.campaigns.drives.helpers import make_drive, sign
from tests.campaigns.mailings.factories import make_case, make_contacts, make_mailing, make_template


def _section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"')[1].split("</section>")[0]


def test_a_quiet_day_says_so(client, auth):
    auth.login("viewer")
    html = client.get("/").get_data(as_text=True)
    assert "Nothing waits for a decision." in html and "No mailing is scheduled or sending." in html
    assert "No drive is open." in html and "No follow-ups due" in html


def test_the_dashboard_shows_what_is_in_flight_and_what_needs_a_person(app, client, auth):
    from datetime import datetime, timezone

    from sqlalchemy import func, update

    from campaigns.cases.services import add_event
    from campaigns.drives.models import Signature
    from campaigns.mailings.models import Message
    from campaigns.mailings.preparing import prepare_mailing
    from campaigns.mailings.services import MailingInput, create_mailing, send_mailing
    from campaigns.responses.models import Response
    from contacts.models import Contact
    from core.db import db

    with app.app_context():
        make_contacts(3)
        case_id = make_case("Aigul Example")
        told = create_mailing(MailingInput(name="First appeal", template_id=make_template(), case_ids=(case_id,),
                                           from_email="campaigns@example.net", audience={"tags": ["envoys"]})).id
        send_mailing(told, None)  # in-process: done, the envoys are informed of the case
        add_event(case_id, {"happened_on": "2026-11-20", "kind": "sentence", "description": "Seven years."})
        flying = make_mailing(name="Autumn appeal")
        prepare_mailing(flying)  # sending, nothing delivered yet
        first = db.session.execute(db.select(Message.id).where(Message.mailing_id == flying)
                                   .order_by(Message.id)).scalars().first()
        db.session.execute(update(Message).where(Message.id == first).values(state="unknown", lease_until=None))
        db.session.add(Response(kind="reply", occurred_at=datetime.now(timezone.utc), subject="Re: appeal"))
        db.session.add(Contact(email="gone@example.org", name="Gone", status="bounced"))
        db.session.commit()
    make_drive(app, goal=250)
    sign(client)
    sign(client, name="Dana Held", email=None)
    with app.app_context():
        last = db.session.execute(db.select(func.max(Signature.id))).scalar_one()
        db.session.execute(update(Signature).where(Signature.id == last).values(moderation="held"))
        db.session.commit()

    auth.login("campaigner")
    html = client.get("/").get_data(as_text=True)
    needs = _section(html, "needs-you")
    assert re.search(r"1 message of “Autumn appeal”</a> of unknown fate waits for your decision", needs)
    assert "1 reply</a> to read and classify" in needs
    assert "Aigul Example</a>: sentence on 2026-11-20, not yet told to those informed of the case" in needs
    assert "1 contact</a> whose posting or address needs checking" in needs
    flight = _section(html, "in-flight")
    assert "Autumn appeal" in flight and "First appeal" not in flight and "<progress" in flight
    drives = _section(html, "drives-open")
    assert "Free Aigerim</a>: 1 of 250 counted" in drives and "1 held for a check</a>" in drives

