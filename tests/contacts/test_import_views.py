"""Importing from the page: upload, preview with the mapping, change the mapping, import, report."""
from __future__ import annotations

import io
import re

from tests.conftest import csrf_token
from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251


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
    done = client.post(preview_url, data={"csrf_token": token, "action": "import", **mapping}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "Imported: created 1, updated 0, unchanged 0, rejected 1." in text
    report = client.get(preview_url + "/rejections.csv")
    assert report.status_code == 200 and report.data.startswith(b"\xef\xbb\xbfrow,email,reason")
    assert "3,bad-address,invalid email" in report.data.decode("utf-8-sig")
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
