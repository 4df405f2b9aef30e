"""Importing files into the database, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from contacts.importing import _ahead, import_file
from contacts.models import Contact, Organisation
from contacts.suppression import suppress
from core.db import db
from core.errors import DomainError
from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251, many_rows, write_csv


def contacts(app) -> dict[str, Contact]:
    with app.app_context():
        return {c.email: (c.name, c.country, c.language, c.status, c.tag_names,
                          c.organisation.name if c.organisation else None)
                for c in db.session.execute(select(Contact)).scalars()}


def run(app, path, **options):
    with app.app_context():
        return import_file(path, **options)


def test_a_cp1251_excel_export_creates_contacts_and_rejects_bad_rows(app, tmp_path):
    path = excel_cp1251(tmp_path / "list.csv", [
        RUSSIAN_HEADER,
        ["Иван Петров", "ivan@example.org", "Германия", "ru", "Посольство Германии", "Атташе", "eu"],
        ["Плохой адрес", "ivan(at)example.org", "KZ", "kk", "", "", ""],
        ["Айгуль", "aigul@example.kz", "Kazakhstan", "kk", "МИД", "", ""],
        ["Без языка", "nobody@example.org", "DE", "клингонский", "", "", ""],
    ])
    result = run(app, path, tags=["import-1"])
    assert result.summary() == "created 2, updated 0, unchanged 0, rejected 2"
    assert [(r, e) for r, e, _ in result.rejections] == [(3, "ivan(at)example.org"), (5, "nobody@example.org")]
    assert "unknown language 'клингонский'" in result.rejections[1][2]
    assert contacts(app) == {
        "ivan@example.org": ("Иван Петров", "DE", "ru", "active", ["eu", "import-1"], "Посольство Германии"),
        "aigul@example.kz": ("Айгуль", "KZ", "kk", "active", ["import-1"], "МИД"),
    }


def test_country_names_in_russian_and_kazakh_and_their_short_forms_are_read(app, tmp_path):
    names = {"Великобритания": "GB", "США": "US", "ОАЭ": "AE", "Ресей": "RU", "Ұлыбритания": "GB", "UK": "GB",
             "USA": "US", "Соединённые Штаты": "US", "Германия": "DE", "Қазақстан": "KZ", "Южная Корея": "KR"}
    rows = [RUSSIAN_HEADER] + [[f"Person {i}", f"p{i}@example.org", name, "ru", "", "", ""]
                                for i, name in enumerate(names)]
    result = run(app, write_csv(tmp_path / "countries.csv", rows, delimiter=";"))  # Kazakh letters: UTF-8
    assert result.summary() == f"created {len(names)}, updated 0, unchanged 0, rejected 0" and result.warnings == []
    found = contacts(app)
    assert {name: found[f"p{i}@example.org"][1] for i, name in enumerate(names)} == names


def test_a_country_that_cannot_be_read_is_left_empty_with_a_warning_and_the_person_kept(app, tmp_path):
    path = excel_cp1251(tmp_path / "list.csv", [
        RUSSIAN_HEADER,
        ["Без страны", "nobody@example.org", "Атлантида", "ru", "", "", ""],
        ["Иван Петров", "ivan@example.org", "Германия", "ru", "", "", ""],
    ])
    preview = run(app, path, dry_run=True)
    result = run(app, path)
    assert result.summary() == "created 2, updated 0, unchanged 0, rejected 0"
    assert result.warnings == preview.warnings == [(2, "Страна", "Атлантида", result.warnings[0][3])]
    assert "unknown country 'Атлантида'" in result.warnings[0][3] and "left empty" in result.warnings[0][3]
    assert contacts(app)["nobody@example.org"][:2] == ("Без страны", None)
    assert result.as_dict()["warnings"][0]["column"] == "Страна"


def test_reimporting_the_same_file_changes_nothing(app, tmp_path):
    path = many_rows(tmp_path / "x.csv", 30)
    assert run(app, path).summary() == "created 30, updated 0, unchanged 0, rejected 0"
    before = contacts(app)
    assert run(app, path).summary() == "created 0, updated 0, unchanged 30, rejected 0"
    assert contacts(app) == before


def test_known_addresses_update_without_blanking_fields_and_tags_are_only_added(app, tmp_path):
    run(app, write_csv(tmp_path / "a.csv", [["email", "name", "country", "tags"],
                                            ["A@Example.org", "Anna", "DE", "eu"]]))
    result = run(app, write_csv(tmp_path / "b.csv", [["Почта", "Страна", "Теги"], ["a@example.org", "FR", "press"]]))
    assert result.summary() == "created 0, updated 1, unchanged 0, rejected 0"
    assert contacts(app) == {"a@example.org": ("Anna", "FR", None, "active", ["eu", "press"], None)}


def test_duplicates_inside_a_file_are_merged_into_one_contact(app, tmp_path):
    path = write_csv(tmp_path / "d.csv", [
        ["email", "name", "country", "tags"],
        ["dup@example.org", "First", "DE", "a"],
        ["other@example.org", "Other", "", ""],
        ["DUP@example.org", "", "FR", "b"],
    ], bom=True)
    assert run(app, path).summary() == "created 2, updated 0, unchanged 0, rejected 0"
    assert contacts(app)["dup@example.org"] == ("First", "FR", None, "active", ["a", "b"], None)


def test_suppressed_addresses_are_not_revived_and_erased_ones_not_imported(app, tmp_path):
    path = write_csv(tmp_path / "s.csv", [["email", "name"], ["gone@example.org", "Gone"],
                                          ["quit@example.org", "Quit"], ["new@example.org", "New"]])
    with app.app_context():
        suppress("gone@example.org", "erased")
        suppress("quit@example.org", "unsubscribed")
        db.session.commit()
    result = run(app, path)
    assert result.summary() == "created 2, updated 0, unchanged 0, rejected 1"
    assert "erased on request" in result.rejections[0][2]
    assert contacts(app)["quit@example.org"][3] == "unsubscribed"
    with app.app_context():
        suppress("new@example.org", "bounced")
        db.session.commit()
    run(app, path)
    assert contacts(app)["new@example.org"][3] == "bounced"


def test_a_dry_run_counts_exactly_and_writes_nothing(app, tmp_path):
    path = many_rows(tmp_path / "x.csv", 5)
    assert run(app, path, dry_run=True).summary() == "created 5, updated 0, unchanged 0, rejected 0"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Contact)).scalar() == 0
        assert db.session.execute(select(func.count()).select_from(Organisation)).scalar() == 0


@pytest.mark.parametrize("rows, message", [
    ([["Name", "Country"], ["Anna", "DE"]], "no column holds the email address (columns found: Name, Country)"),
    ([["email"]], None),
])
def test_a_file_without_an_email_column_is_refused_and_nothing_written(app, tmp_path, rows, message):
    path = write_csv(tmp_path / "m.csv", rows)
    if message is None:
        assert run(app, path).summary() == "created 0, updated 0, unchanged 0, rejected 0"
        return
    with pytest.raises(DomainError, match="no column holds the email"):
        run(app, path)
    assert contacts(app) == {}


def test_an_unreadable_file_is_refused_with_one_message(app, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(DomainError, match="^cannot read this file: this is an Excel workbook"):
        run(app, path)


def test_a_ten_thousand_row_file_imports_and_reimports(app, tmp_path):
    path = many_rows(tmp_path / "big.csv", 10_000)
    assert run(app, path, tags=["big"]).summary() == "created 10000, updated 0, unchanged 0, rejected 0"
    assert run(app, path, tags=["big"]).summary() == "created 0, updated 0, unchanged 10000, rejected 0"
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Organisation)).scalar() == 50


def test_a_file_unreadable_past_the_first_batches_writes_nothing(app, tmp_path):
    """Batches already written are rolled back when the reader fails further down (here: a cell
    over the csv module's field limit in row 5,002)."""
    rows = [["email", "name"], *([f"p{i}@example.org", f"P {i}"] for i in range(5000)), ["x@example.org", "x" * 200_000]]
    with pytest.raises(DomainError, match="^cannot read this file: the file cannot be read past row 5002"):
        run(app, write_csv(tmp_path / "long.csv", rows))
    assert contacts(app) == {}


def test_the_reader_thread_stays_a_few_batches_ahead_and_stops_with_the_import():
    produced: list[int] = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    items = _ahead(endless(), depth=2)
    assert [next(items), next(items)] == [0, 1]
    items.close()  # the import stopped (a database error, say): the thread must not read on
    assert not any(t.name == "contacts-import-reader" for t in threading.enumerate())
    count = len(produced)
    time.sleep(0.2)
    assert len(produced) == count <= 5
