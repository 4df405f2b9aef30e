"""Export of a person's data, erasure, suppression and the CSV export's safety."""
from __future__ import annotations

import base64
import csv
import hashlib
import io

from sqlalchemy import select

from contacts.models import Contact, Suppression
from contacts.suppression import email_hash, is_suppressed, legacy_email_hash, suppress, suppressed_among
from core.db import db
from tests.conftest import csrf_token
from tests.contacts.files import write_csv
from tests.contacts.helpers import add_contact


def test_a_persons_data_is_exported_as_json(app, client, auth):
    contact_id = add_contact(app, email="p@x.example", name="Пётр", organisation="МИД", notes="private", tags="eu")
    auth.login("campaigner")
    response = client.get(f"/contacts/{contact_id}/data.json")
    assert response.headers["Content-Disposition"] == f'attachment; filename="contact-{contact_id}.json"'
    data = response.get_json()
    assert data["email"] == "p@x.example" and data["name"] == "Пётр" and data["notes"] == "private"
    assert data["tags"] == ["eu"] and data["organisation"]["name"] == "МИД" and data["history"] == []


def test_erasure_keeps_only_a_keyed_hash_and_blocks_reimport(app, client, auth, tmp_path):
    contact_id = add_contact(app, email="Erase.Me@x.example", name="Erase Me")
    auth.login("campaigner")
    response = client.post(f"/contacts/{contact_id}/erase",
                           data={"csrf_token": csrf_token(client, f"/contacts/{contact_id}")}, follow_redirects=True)
    assert "The contact was erased." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contact, contact_id) is None
        (row,) = db.session.execute(select(Suppression)).scalars().all()
        assert row.reason == "erased" and row.email_hash == email_hash("erase.me@x.example")
        assert "erase" not in row.email_hash and len(row.email_hash) == 64
        assert is_suppressed("ERASE.ME@x.example")
    from contacts.importing import import_file

    with app.app_context():
        result = import_file(write_csv(tmp_path / "x.csv", [["email"], ["erase.me@x.example"]]))
    assert result.summary() == "created 0, updated 0, unchanged 0, rejected 1"


def test_the_hash_is_the_lookup_keys_hmac_not_the_secret_keys(app):
    from core.crypto import Keyring, keyed_hash

    with app.app_context():
        ours = email_hash(" A@X.example ")
        assert ours == keyed_hash("a@x.example", "contacts.suppression") != hashlib.sha256(b"a@x.example").hexdigest()
        other_lookup = Keyring.parse(app.config["DATA_ENCRYPTION_KEY"], base64.b64encode(b"k" * 32).decode())
        assert email_hash("a@x.example", other_lookup) != ours
    app.config["SECRET_KEY"] = "another key"
    with app.app_context():
        assert email_hash("a@x.example") == ours  # rotating SECRET_KEY no longer forgets who was erased


def test_rows_hashed_the_old_way_still_suppress_and_move_to_the_new_hash(app, tmp_path):
    from contacts.importing import import_file

    with app.app_context():
        db.session.add_all([Suppression(email_hash=legacy_email_hash("old.erased@x.example"), reason="erased"),
                            Suppression(email_hash=legacy_email_hash("old.quit@x.example"), reason="unsubscribed")])
        db.session.commit()
        assert is_suppressed("Old.Erased@x.example")
        assert suppressed_among(["old.quit@x.example", "fine@x.example"]) == {"old.quit@x.example": "unsubscribed"}
        suppress("old.quit@x.example", "bounced")
        db.session.commit()
        hashes = dict(db.session.execute(select(Suppression.email_hash, Suppression.reason)).all())
        assert hashes[email_hash("old.quit@x.example")] == "unsubscribed"  # moved, first reason kept
        assert legacy_email_hash("old.quit@x.example") not in hashes and len(hashes) == 2
        result = import_file(write_csv(tmp_path / "x.csv", [["email"], ["old.erased@x.example"]]))
    assert result.summary() == "created 0, updated 0, unchanged 0, rejected 1"


def test_suppressing_marks_the_contact_and_it_cannot_be_set_active_again(app, client, auth):
    contact_id = add_contact(app, email="s@x.example", name="S")
    with app.app_context():
        suppress("S@x.example", "complained")
        db.session.commit()
        assert db.session.get(Contact, contact_id).status == "complained"
    auth.login("campaigner")
    url = f"/contacts/{contact_id}/edit"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "email": "s@x.example", "name": "S",
                                      "status": "active"})
    assert "on the suppression list (complained)" in response.get_data(as_text=True)


def test_csv_export_has_a_bom_and_neutralises_formulas(app, client, auth):
    add_contact(app, email="f@x.example", name="=HYPERLINK(\"http://evil\")", position="+7 701", notes="@cmd",
                tags="eu")
    add_contact(app, email="g@x.example", name="Гульнара", position="-", tags="media")
    auth.login("viewer")
    response = client.get("/contacts/export.csv?tag=eu")
    assert response.headers["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["email"] for r in rows] == ["f@x.example"]
    assert rows[0]["name"] == "'=HYPERLINK(\"http://evil\")" and rows[0]["position"] == "'+7 701"
    assert rows[0]["notes"] == "'@cmd"
    everyone = client.get("/contacts/export.csv").data.decode("utf-8-sig")
    assert "Гульнара" in everyone and ",'-," in everyone
