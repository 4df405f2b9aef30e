"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest


# SQLite cannot reflect expression indexes, so autogenerate says it skips them there (on PostgreSQL
# they are compared like any other index).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import db

    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_reminders_and_drive_letters_sent_before_the_one_ledger_keep_their_fate(unmigrated_app):
    """0013 moves each reminder and drive letter into the ledger: what was sent stays sent, what was
    refused stays refused, and one whose send never finished is held for a person, not sent again."""
    from datetime import datetime, timezone

    from flask_migrate import upgrade
    from sqlalchemy import text

    from campaigns.drives.models import DriveDelivery
    from campaigns.responses.models import Chase
    from core.db import db

    app, now = unmigrated_app, datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    with app.app_context():
        upgrade(revision="0012_senders")
        run = lambda sql, **p: db.session.execute(text(sql), p)  # noqa: E731
        run("INSERT INTO mailings (id, name, status, case_ids, audience, source, from_name, from_email, tracking, "
            "created_at, updated_at) VALUES (1, 'Appeal', 'done', '[]', '{}', 'audience', '', 'a@ngo.example', "
            ":f, :now, :now)", f=False, now=now)
        ids = []  # the messages' ids come from the database (an explicit id would leave its sequence behind)
        for i, email in enumerate(("envoy@de.example", "envoy@fr.example"), start=1):
            run("INSERT INTO messages (mailing_id, email, state, key, attempts, queued_at, updated_at, "
                "message_id_header) VALUES (1, :e, 'sent', :k, 1, :now, :now, :h)",
                e=email, k=f"key{i}", now=now, h=f"<m{i}@ngo.example>")
            ids.append(run("SELECT id FROM messages WHERE key = :k", k=f"key{i}").scalar_one())
        run("INSERT INTO chases (id, message_id, state, message_id_header, created_at, sent_at) "
            "VALUES (1, :m, 'sent', '<c1@ngo.example>', :now, :now)", m=ids[0], now=now)
        run("INSERT INTO chases (id, message_id, state, message_id_header, created_at) "
            "VALUES (2, :m, 'sending', '<c2@ngo.example>', :now)", m=ids[1], now=now)
        run("INSERT INTO drives (id, slug, title, default_language, goal, status, delivery, audience_tags, "
            "digest_days, created_at, updated_at) VALUES (1, 'free-ana', 'Free Ana', 'en', 100, 'open', "
            "'compiled', '[]', 7, :now, :now)", now=now)
        run("INSERT INTO drive_deliveries (id, drive_id, kind, email, batch, signatures, named, state, error, "
            "created_at) VALUES (1, 1, 'compiled', 'envoy@de.example', 1, 3, 2, 'failed', 'SMTP 550', :now)",
            now=now)
        run("INSERT INTO drive_deliveries (id, drive_id, kind, batch, signatures, named, state, created_at) "
            "VALUES (2, 1, 'mailto', 0, 1, 0, 'sent', :now)", now=now)
        db.session.commit()
        db.session.remove()
        upgrade(revision="heads")

        sent, unknown = db.session.get(Chase, 1), db.session.get(Chase, 2)
        assert (sent.state, sent.sent_at.date(), sent.message_id_header) == ("sent", now.date(), "<c1@ngo.example>")
        assert unknown.state == "unknown" and unknown.sent.lease_until is None  # held for a person
        assert (sent.sent.kind, sent.sent.mailing_id, sent.sent.email) == ("chase", None, "envoy@de.example")
        letter, copy = db.session.get(DriveDelivery, 1), db.session.get(DriveDelivery, 2)
        assert (letter.state, letter.error, letter.sent.kind) == ("failed", "SMTP 550", "drive_letter")
        assert copy.state == "sent" and copy.sent is None
