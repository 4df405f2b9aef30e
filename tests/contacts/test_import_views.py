"""Importing from the page: upload, preview with the mapping, change the mapping, import, report."""
from __future__ import annotations

import io
import re
import time

from tests.conftest import csrf_token
from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251


def finished(client, done_url: str, timeout: float = 30.0) -> str:
    """Follow the import's page as a browser would until it says it finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = client.get(done_url)
        text = page.get_data(as_text=True)
        if page.status_code == 200 and "Import finished" in text:
            return text
        assert page.status_code == 200 and '<meta http-equiv="refresh"' in text, (page.status_code, text[:500])
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def upload(client, path, tags=""):
    return client.post("/contacts/import", data={"csrf_token": csrf_token(client, "/contacts/import"), "tags": tags,
                                                 "file": (io.BytesIO(path.read_bytes()), path.name)})


def test_upload_preview_remap_import_and_download_the_report(app, client, auth, tmp_path):
    auth.login("campaigner")
    path = excel_cp1251(tmp_path / "посольства.csv", [
        RUSSIAN_HEADER + ["Комментарий"],
        ["Иван Петров", "ivan@example.org", "Германия", "ru", "Посольство Германии", "Атташе", "eu", "в отпуске"],
        ["Плохой", "bad-address", "KZ", "kk", "", "", "", ""],
    ])
    response = upload(client, path, tags="autumn")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert re.fullmatch(r"/contacts/import/[A-Za-z0-9_-]{20,}", preview_url)
    assert "посольства" not in preview_url and "session" not in response.headers.get("Set-Cookie", "")
    preview = client.get(preview_url).get_data(as_text=True)
    assert "Windows-1251" in preview and "semicolon" in preview
    assert "<strong>1</strong> new" in preview and "<strong>1</strong> rejected" in preview
    assert "invalid email &#39;bad-address&#39;" in preview
    assert '<option value="email" selected>' in preview
    assert client.get("/contacts/").get_data(as_text=True).count('name="ids"') == 0  # nothing written yet

    mapping = {f"column-{i}": f for i, f in enumerate(
        ["name", "email", "country", "language", "organisation", "position", "tags", "notes"])}
    token = csrf_token(client, preview_url)
    remapped = client.post(preview_url, data={"csrf_token": token, "action": "preview", **mapping})
    assert '<option value="notes" selected>' in remapped.get_data(as_text=True)
    started = client.post(preview_url, data={"csrf_token": token, "action": "import", **mapping})
    assert started.headers["Location"] == preview_url + "/done"
    text = finished(client, preview_url + "/done")
    assert "<strong>1</strong> created, <strong>0</strong> updated" in text and "<strong>1</strong> rejected" in text
    report = client.get(preview_url + "/rejected-rows.csv")
    assert report.status_code == 200
    assert report.data.decode("cp1251").startswith(";".join(RUSSIAN_HEADER + ["Комментарий", "Rejected because"]))
    contact = client.get("/contacts/?q=ivan").get_data(as_text=True)
    assert "Иван Петров" in contact and "autumn" in contact and "eu" in contact


def test_a_file_that_cannot_be_read_is_refused_on_the_page(app, client, auth, tmp_path):
    auth.login("campaigner")
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    response = upload(client, path)
    assert response.status_code == 422
    assert "Cannot read this file: this is an Excel workbook" in response.get_data(as_text=True)


def test_a_mapping_without_email_is_explained_and_cannot_be_imported(app, client, auth, tmp_path):
    auth.login("campaigner")
    path = excel_cp1251(tmp_path / "x.csv", [["Имя", "Страна"], ["Анна", "DE"]])
    preview = client.get(upload(client, path).headers["Location"]).get_data(as_text=True)
    assert "no column holds the email address" in preview and 'value="import"' not in preview


def test_another_user_cannot_open_someone_elses_upload(app, client, auth, tmp_path):
    auth.login("campaigner")
    url = upload(client, excel_cp1251(tmp_path / "x.csv", [["email"], ["a@example.org"]])).headers["Location"]
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(app, other).login("admin")
    assert other.get(url).status_code == 404


MAPPING = {"column-0": "email", "column-1": "name"}


def _uploaded(app, client, tmp_path, rows: int):
    path = excel_cp1251(tmp_path / "big.csv", [["email", "name"]] + [[f"p{i}@example.org", f"P {i}"] for i in range(rows)])
    url = upload(client, path).headers["Location"]
    assert "<strong>%d</strong> new" % rows in client.get(url).get_data(as_text=True)  # the preview counts them
    return url, url.rsplit("/", 1)[1]


def test_a_large_import_runs_in_the_background_and_is_audited_for_its_user(app, client, auth, tmp_path):
    from sqlalchemy import func, select

    from contacts.models import Contact
    from core.audit import AuditEvent
    from core.db import db

    auth.login("campaigner")
    url, _ = _uploaded(app, client, tmp_path, 5000)  # three batches
    started = client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import", **MAPPING})
    assert started.status_code == 302
    text = finished(client, url + "/done")
    assert "<strong>5000</strong> created" in text
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Contact)).scalar_one() == 5000
        from accounts.models import User

        user_id = db.session.execute(select(User.id).where(User.email == "campaigner@example.org")).scalar_one()
        event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "contacts.import")).scalar_one()
        assert event.actor_id == user_id and '"created":5000' in event.detail_json
    assert client.get(url).headers["Location"].endswith("/done")  # no second import of the same upload


def _set(app, upload_id: str, **values) -> None:
    """What another process (the worker) writes on the upload's progress row."""
    from sqlalchemy import update

    from contacts.models import ImportUpload
    from core.db import db

    with app.app_context():
        db.session.execute(update(ImportUpload).where(ImportUpload.id == upload_id).values(**values))
        db.session.commit()


def test_the_progress_page_and_a_second_click_while_it_runs(app, client, auth, tmp_path):
    from datetime import datetime, timedelta, timezone

    auth.login("campaigner")
    url, upload_id = _uploaded(app, client, tmp_path, 3)
    now = datetime.now(timezone.utc)
    _set(app, upload_id, state="running", rows_done=2000, rows_total=3000, beat_at=now)  # a worker runs it
    page = client.get(url + "/done").get_data(as_text=True)
    assert '<progress max="3000" value="2000"' in page and "2000</strong> of 3000 rows (67%)" in page
    assert '<noscript><meta http-equiv="refresh"' in page and f'data-poll="{url}/progress"' in page
    assert client.get(url + "/progress").get_json() == {"state": "running", "rows_done": 2000, "rows_total": 3000,
                                                        "percent": 67, "done": False}
    again = client.post(url, data={"csrf_token": csrf_token(client, url + "/done"), "action": "import", **MAPPING})
    assert again.headers["Location"].endswith("/done")  # the page sends it back to the progress
    assert 'name="ids"' not in client.get("/contacts/").get_data(as_text=True)  # nothing started twice

    _set(app, upload_id, beat_at=now - timedelta(hours=2))  # the run died: its heartbeat stopped long ago
    assert client.get(url + "/progress").get_json()["state"] == "stopped"
    stopped = client.get(url + "/done", follow_redirects=True).get_data(as_text=True)
    assert "The import stopped before it finished" in stopped and "Nothing was written" in stopped
    assert 'value="import"' in stopped  # and it can be started again: the dead run is taken over
    client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import", **MAPPING})
    assert "<strong>3</strong> created" in finished(client, url + "/done")


def test_the_upload_is_kept_encrypted_in_the_database_and_goes_when_the_import_is_done(app, client, auth, tmp_path):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import func, select, text

    from contacts import uploads
    from contacts.models import ImportChunk, ImportUpload
    from core.db import db

    auth.login("campaigner")
    url, upload_id = _uploaded(app, client, tmp_path, 3)
    with app.app_context():
        stored = db.session.execute(text("SELECT data FROM import_chunks WHERE upload_id = :u"), {"u": upload_id}).scalars().all()
        assert len(stored) == 1 and stored[0].startswith("v1:") and "example.org" not in stored[0]
        assert uploads.read_part(upload_id).read().startswith(b"email;name")
    client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import", **MAPPING})
    finished(client, url + "/done")
    with app.app_context():  # done, nothing rejected: the file is gone, the result stays for the page
        assert db.session.execute(select(func.count()).select_from(ImportChunk)).scalar_one() == 0
        assert db.session.get(ImportUpload, upload_id).state == "done"
    _set(app, upload_id, created_at=datetime.now(timezone.utc) - timedelta(days=1, minutes=1))
    assert client.get(url + "/done").status_code == 404  # a day later it has expired
    with app.app_context():
        assert uploads.sweep() == 1 and db.session.get(ImportUpload, upload_id) is None


def test_rejected_rows_come_back_as_the_file_had_them_and_import_again_once_fixed(app, client, auth, tmp_path):
    auth.login("campaigner")
    header = RUSSIAN_HEADER + ["Комментарий"]
    path = excel_cp1251(tmp_path / "посольства.csv", [
        header,
        ["Иван Петров", "ivan@example.org", "Германия", "ru", "Посольство Германии", "Атташе", "eu", "в отпуске"],
        ["Пётр Плохой", "petr(at)example.org", "Великобритания", "ru", "", "", "eu, press", "см. письмо"],
        ["Анна", "anna@example.org", "Франция", "клингонский", "МИД Франции", "", "", ""],
        ["Айгерим", "aigerim@example.kz", "Казахстан", "kk", "", "", "", ""],
    ])
    columns = {f"column-{i}": f for i, f in enumerate(
        ["name", "email", "country", "language", "organisation", "position", "tags", "notes"])}
    url = upload(client, path).headers["Location"]
    client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import", **columns})
    assert "<strong>2</strong> created" in finished(client, url + "/done")
    report = client.get(url + "/rejected-rows.csv")
    assert report.headers["Content-Disposition"].startswith("attachment")
    lines = report.data.decode("cp1251").split("\r\n")  # Windows-1251 as uploaded, else this would not decode
    assert lines[0].split(";") == header + ["Rejected because"]
    rows = [line.split(";") for line in lines[1:] if line]
    assert [r[1] for r in rows] == ["petr(at)example.org", "anna@example.org"]
    assert rows[0][:8] == ["Пётр Плохой", "petr(at)example.org", "Великобритания", "ru", "", "", "eu, press", "см. письмо"]
    assert "invalid email" in rows[0][8] and "unknown language" in rows[1][8]

    fixed = [line.replace("petr(at)example.org", "petr@example.org").replace("клингонский", "fr")
             for line in lines]  # fixed in the spreadsheet, saved as it was
    again = tmp_path / "посольства - исправлено.csv"
    again.write_bytes("\r\n".join(fixed).encode("cp1251"))
    url = upload(client, again).headers["Location"]
    preview = client.get(url).get_data(as_text=True)
    assert "<strong>2</strong> new" in preview and "<strong>0</strong> rejected" in preview
    client.post(url, data={"csrf_token": csrf_token(client, url), "action": "import", **columns})
    assert "<strong>2</strong> created" in finished(client, url + "/done")
    listed = client.get("/contacts/?q=example").get_data(as_text=True)
    assert "Пётр Плохой" in listed and "Анна" in listed
