"""The audit trail: who, what, when, from where; hash-chained; read-only for admins."""
from __future__ import annotations

from sqlalchemy import select, update

from core import audit
from core.db import db


def test_an_event_records_who_what_when_and_where(app):
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        audit.record("contacts.export", target="tag:embassies", detail={"rows": 12}, commit=True)
        event = db.session.execute(select(audit.AuditEvent)).scalar_one()
    assert (event.action, event.target, event.detail, event.remote_addr) == (
        "contacts.export", "tag:embassies", {"rows": 12}, "203.0.113.9")
    assert event.at.tzinfo is not None and event.actor_id is None


def test_record_commits_with_the_callers_transaction(app):
    with app.app_context():
        audit.record("cases.delete", target="case:1")
        db.session.rollback()  # the action failed: its record goes with it
        assert db.session.execute(select(audit.AuditEvent)).first() is None
        audit.record("cases.delete", target="case:2", actor_email="cli")
        db.session.commit()
        assert db.session.execute(select(audit.AuditEvent.actor_email)).scalar_one() == "cli"


def test_the_chain_verifies_and_names_the_first_tampered_row(app):
    with app.app_context():
        for i in range(5):
            audit.record("mailings.send", target=f"mailing:{i}")
            db.session.commit()
        assert audit.verify_chain().ok and audit.verify_chain().checked == 5
        ids = db.session.execute(select(audit.AuditEvent.id).order_by(audit.AuditEvent.id)).scalars().all()
        db.session.execute(update(audit.AuditEvent).where(audit.AuditEvent.id == ids[2]).values(target="mailing:99"))
        db.session.commit()
        report = audit.verify_chain()
        assert not report.ok and report.first_broken_id == ids[2] and report.checked == 2


def test_deleting_a_row_breaks_the_chain(app):
    with app.app_context():
        for i in range(3):
            audit.record("contacts.erase", target=f"contact:{i}", commit=True)
        first, second, third = db.session.execute(
            select(audit.AuditEvent.id).order_by(audit.AuditEvent.id)).scalars().all()
        db.session.execute(audit.AuditEvent.__table__.delete().where(audit.AuditEvent.id == second))
        db.session.commit()
        assert audit.verify_chain().first_broken_id == third


def test_several_events_in_one_transaction_chain_in_order(app):
    with app.app_context():
        for i in range(3):
            audit.record("contacts.import", target=f"row:{i}")
        db.session.commit()
        rows = db.session.execute(select(audit.AuditEvent).order_by(audit.AuditEvent.id)).scalars().all()
        assert [r.target for r in rows] == ["row:0", "row:1", "row:2"]
        assert rows[1].prev_hash == rows[0].hash and audit.verify_chain().ok


def test_admins_read_and_filter_the_trail(app, client, auth):
    with app.app_context():
        audit.record("contacts.export", target="tag:a", actor_email="someone@example.org", commit=True)
        audit.record("mailings.send", target="mailing:3", actor_email="other@example.org", commit=True)
    auth.login("admin")
    page = client.get("/admin/audit?action=mailings.send").get_data(as_text=True)
    assert "mailing:3" in page and "tag:a" not in page and "chain intact" in page
    page = client.get("/admin/audit?actor=someone@example.org").get_data(as_text=True)
    assert "tag:a" in page and "mailing:3" not in page


def test_the_trail_cannot_be_changed_from_the_app(app, client, auth):
    auth.login("admin")
    rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule]
    assert rules and all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)


def test_a_broken_chain_is_shown_to_admins(app, client, auth):
    with app.app_context():
        audit.record("contacts.export", target="tag:a", commit=True)
        db.session.execute(update(audit.AuditEvent).values(detail_json='{"rows":1}'))
        db.session.commit()
    auth.login("admin")
    assert "chain broken" in client.get("/admin/audit").get_data(as_text=True)


def test_campaigners_cannot_read_the_trail(client, auth):
    auth.login("campaigner")
    assert client.get("/admin/audit").status_code == 403
