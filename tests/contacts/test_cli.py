"""`flask contacts import|export` prints one summary line and writes real files."""
from __future__ import annotations

from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251
from tests.contacts.helpers import add_contact


def test_import_prints_one_summary_line_and_reasons_on_stderr(runner, tmp_path):
    path = excel_cp1251(tmp_path / "list.csv", [
        RUSSIAN_HEADER, ["Иван", "ivan@example.org", "DE", "ru", "", "", ""], ["Bad", "bad", "", "", "", "", ""]])
    dry = runner.invoke(args=["contacts", "import", str(path), "--tag", "eu", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.strip() == "created 1, updated 0, unchanged 0, rejected 1"
    first = runner.invoke(args=["contacts", "import", str(path), "--tag", "eu", "--tag", "2026"])
    assert first.stdout.strip() == "created 1, updated 0, unchanged 0, rejected 1"
    assert "row 3: invalid email 'bad'" in first.stderr
    again = runner.invoke(args=["contacts", "import", str(path), "--tag", "eu"])
    assert again.stdout.strip() == "created 0, updated 0, unchanged 1, rejected 1"


def test_import_refuses_an_unreadable_file_with_one_line(runner, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = runner.invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: cannot read this file: the file is empty"


def test_export_writes_utf8_with_bom_filtered_by_tag(app, runner, tmp_path):
    add_contact(app, email="anna@example.org", name="Анна", tags="eu")
    add_contact(app, email="bob@example.org", name="Bob", tags="media")
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["contacts", "export", str(out), "--tag", "eu"])
    assert result.stdout.strip() == f"exported 1 contacts to {out}"
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfemail,name,")
    assert "anna@example.org,Анна" in data.decode("utf-8-sig") and b"bob@" not in data
