"""The evidence trail of a case: sealed facts, a hash chain that shows edits, safe CSV, audited export."""
from __future__ import annotations

from sqlalchemy import select, update

from tests.campaigns.responses.factories import event, make_mailing, post_events
from tests.campaigns.responses.test_webhook_inbound import inbound

CASE = 7


def setup_trail(app, client):
    made = make_mailing(app, 2, case_ids=[CASE])
    m = made["messages"]
    post_events(client, [event("delivered", x, 5) for x in m])
    inbound(client, f"From: a@de.example\nTo: reply+{m[0]['key']}@outreach.example\nSubject: =HYPERLINK(\"x\")\n"
                    f"Message-ID: <ev1@de.example>\n", text="We have raised the case.")
    return made


def test_the_trail_lists_who_was_informed_when_it_arrived_and_what_came_back(app, client, auth):
    made = setup_trail(app, client)
    make_mailing(app, 1, name="Another case")  # not about this case: not in its trail
    auth.login("viewer")
    page = client.get(f"/responses/cases/{CASE}/evidence").get_data(as_text=True)
    assert "Chain intact" in page
    assert page.count(">informed<") == 2 and page.count(">delivered<") == 2 and ">reply<" in page
    assert made["messages"][0]["message_id_header"].replace("<", "&lt;").replace(">", "&gt;") in page
    assert "Another case" not in page


def test_an_edit_after_sealing_shows(app, client, auth):
    from campaigns.responses.models import EvidenceRecord, Response
    from core.db import db

    setup_trail(app, client)
    auth.login("viewer")
    client.get(f"/responses/cases/{CASE}/evidence")
    with app.app_context():
        db.session.execute(update(Response).values(body_text="Nothing was ever raised."))
        db.session.commit()
    assert "data changed since" in client.get(f"/responses/cases/{CASE}/evidence").get_data(as_text=True)
    with app.app_context():
        first = db.session.execute(select(EvidenceRecord).order_by(EvidenceRecord.seq)).scalars().first()
        first.payload = first.payload.replace("Diplomat", "Nobody")
        db.session.commit()
    page = client.get(f"/responses/cases/{CASE}/evidence").get_data(as_text=True)
    assert "record edited" in page and "Changed after sealing" in page


def test_the_csv_export_is_formula_safe_and_recorded_in_the_audit_trail(app, client, auth):
    from core.audit import AuditEvent
    from core.db import db

    setup_trail(app, client)
    auth.login("viewer")
    response = client.get(f"/responses/cases/{CASE}/evidence.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffseq,recorded_at,fact")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert len(text.strip().splitlines()) == 1 + 5
    with app.app_context():
        actions = db.session.execute(select(AuditEvent.action, AuditEvent.target)).all()
    assert ("evidence.export", f"case:{CASE}") in [tuple(a) for a in actions]


def test_sealing_twice_adds_nothing_new(app, client):
    from campaigns.responses.evidence import seal

    setup_trail(app, client)
    with app.app_context():
        assert seal(CASE) == 5
        assert seal(CASE) == 0
