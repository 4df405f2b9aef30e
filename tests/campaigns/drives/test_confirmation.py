"""Signing with an address: a confirmation link by mail before it counts; signing again updates."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.campaigns.drives.helpers import confirm, confirmation_link, count, make_drive, outbox, sign


@pytest.fixture
def drive(app):
    return make_drive(app)


def _rows(app):
    from sqlalchemy import select

    from campaigns.drives.models import Signature
    from core.db import db

    with app.app_context():
        return db.session.execute(select(Signature).order_by(Signature.id)).scalars().all()


def test_a_signature_with_an_email_counts_only_once_confirmed(app, client, drive):
    response = sign(client, email="Signer@Example.org")
    assert "we sent you a link" in response.get_data(as_text=True)
    assert count(client) == 0
    [mail] = outbox(app)
    assert mail["To"] == "signer@example.org"
    link = confirmation_link(mail)
    assert "example.org" not in link and "signer" not in link.lower()  # the address never enters a URL
    page = client.get(link)
    assert page.status_code == 200 and "Confirm my signature" in page.get_data(as_text=True)
    assert count(client) == 0  # a mail scanner following the link confirms nothing

    confirmed = confirm(client, link)
    assert "Confirmed" in confirmed.get_data(as_text=True)
    assert count(client) == 1
    [row] = _rows(app)
    assert row.email is None and row.confirm_hash is None and row.email_hash  # the address itself is gone


def test_a_link_works_once(app, client, drive):
    sign(client, email="signer@example.org")
    link = confirmation_link(outbox(app)[0])

    confirm(client, link)
    again = confirm(client, link)
    assert again.status_code == 404 and "not valid" in again.get_data(as_text=True)
    assert count(client) == 1


def test_the_address_is_stored_encrypted_until_confirmed(app, client, drive):
    sign(client, email="signer@example.org", name="Aigerim Nurlanovna")
    from sqlalchemy import text

    from core.db import db

    with app.app_context():
        raw = db.session.execute(text("SELECT email, name FROM drive_signatures")).one()
    assert "signer@example.org" not in raw[0] and "Aigerim" not in raw[1]


def test_signing_again_with_a_confirmed_email_updates_rather_than_duplicates(app, client, drive):

    sign(client, email="signer@example.org", name="Aigerim Nurlanovna", display="full")
    link = confirmation_link(outbox(app)[0])
    confirm(client, link)
    response = sign(client, email="SIGNER@example.org", name="Aigerim N", display="anonymous")
    assert "we sent you a link" in response.get_data(as_text=True)
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "Aigerim Nurlanovna" in page  # unchanged until the address confirms the change
    second = confirmation_link(outbox(app)[1])
    confirm(client, second)
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "Aigerim Nurlanovna" not in page and "a supporter from Almaty" in page
    assert count(client) == 1 and len(_rows(app)) == 1


def test_signing_again_before_confirming_keeps_one_row(app, client, drive):
    sign(client, email="signer@example.org", name="First Try")
    sign(client, email="signer@example.org", name="Second Try")
    rows = _rows(app)
    assert len(rows) == 1 and rows[0].name == "Second Try"

    old, new = confirmation_link(outbox(app)[0]), confirmation_link(outbox(app)[1])
    assert confirm(client, old).status_code == 404
    confirm(client, new)
    assert count(client) == 1


def test_purge_deletes_unconfirmed_signatures_after_the_configured_days(app, client, runner, drive):
    sign(client, email="late@example.org")
    sign(client, email="recent@example.org")
    sign(client)  # no address: counted, never purged
    from sqlalchemy import update

    from campaigns.drives.models import Signature
    from core.db import db, utcnow

    with app.app_context():
        db.session.execute(update(Signature).where(Signature.id == 1).values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()
    assert app.config["DRIVE_UNCONFIRMED_DAYS"] == 7
    result = runner.invoke(args=["drives", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 unconfirmed signature(s) deleted" in result.output
    assert [r.id for r in _rows(app)] == [2, 3]
    from core.audit import AuditEvent

    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="drive.signatures.purge").count() == 1
