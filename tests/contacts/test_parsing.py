"""Reading spreadsheets: encodings, delimiters, header aliases and row checks, without a database."""
from __future__ import annotations

import io

import pytest

from contacts.parsing import UnreadableFile, clean_row, guess_mapping, read_rows, sample, sniff
from tests.contacts.files import RUSSIAN_HEADER, excel_cp1251, write_csv

ROW = ["Иван Петров", "Ivan.Petrov@Example.ORG", "Германия", "ru", "Посольство", "Атташе", "eu; press"]


def rows_of(path):
    with open(path, "rb") as stream:
        shape = sniff(stream)
        return shape, list(read_rows(stream, shape, guess_mapping(shape.headers)))


def test_a_cp1251_semicolon_excel_export_is_read_with_russian_headers(tmp_path):
    shape, rows = rows_of(excel_cp1251(tmp_path / "list.csv", [RUSSIAN_HEADER, ROW]))
    assert (shape.encoding, shape.delimiter) == ("cp1251", ";")
    assert guess_mapping(shape.headers) == ["name", "email", "country", "language", "organisation", "position", "tags"]
    assert rows == [(2, dict(zip(guess_mapping(shape.headers), ROW)))]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_utf8_with_bom_and_every_delimiter(tmp_path, delimiter):
    path = write_csv(tmp_path / "x.csv", [["E-mail", "Name"], ["a@example.org", "Анна, Мария"]],
                     delimiter=delimiter, bom=True)
    shape, rows = rows_of(path)
    assert shape.encoding == "utf-8-sig" and shape.delimiter == delimiter and shape.headers == ("E-mail", "Name")
    assert rows == [(2, {"email": "a@example.org", "name": "Анна, Мария"})]


def test_kazakh_and_english_aliases_are_matched_case_insensitively():
    assert guess_mapping(["EMAIL ADDRESS", "Аты-жөні", "Ел", "Тіл", "Ұйым", "Лауазымы", "Job title"]) == \
        ["email", "name", "country", "language", "organisation", "position", None]
    assert guess_mapping(["Почта", "Имя", "Фамилия", "Unknown"]) == ["email", "name", "last_name", None]


def test_blank_lines_are_skipped_but_row_numbers_follow_the_spreadsheet(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["email"], ["a@example.org"], [""], ["b@example.org"]])
    assert [n for n, _ in rows_of(path)[1]] == [2, 4]


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
    ("email\r\n".encode("utf-16"), "not a text file"),
])
def test_files_that_are_not_csv_are_refused_with_one_clear_message(content, message):
    with pytest.raises(UnreadableFile, match=message):
        sniff(io.BytesIO(content))


def test_a_row_is_cleaned_and_validated():
    row = clean_row({"email": " Ivan.Petrov@Example.ORG ", "country": "Германия", "language": "EN_gb",
                     "kind": "Посольство", "tags": "eu; press, eu", "posting_end": "31.12.2027",
                     "first_name": "Ivan", "last_name": "Petrov"})
    assert row["email"] == "ivan.petrov@example.org"
    assert (row["country"], row["language"], row["kind"]) == ("DE", "en-GB", "embassy")
    assert row["tags"] == ["eu", "press"] and row["name"] == "Ivan Petrov"
    assert str(row["posting_end"]) == "2027-12-31"


def test_every_problem_of_a_row_is_named():
    with pytest.raises(ValueError) as caught:
        clean_row({"email": "not-an-email", "kind": "Atlantis", "language": "?!"})
    reason = str(caught.value)
    assert "invalid email 'not-an-email'" in reason and "unknown kind 'Atlantis'" in reason
    assert "unknown language" in reason
    with pytest.raises(ValueError, match="email is missing"):
        clean_row({"name": "Nobody"})


def test_a_country_that_cannot_be_read_is_left_out_and_said_so():
    emptied = []
    row = clean_row({"email": "a@example.org", "country": " Atlantis "}, emptied)
    assert "country" not in row and emptied == [("country", "Atlantis", emptied[0][2])]
    assert "unknown country 'Atlantis'" in emptied[0][2]
    assert clean_row({"email": "a@example.org", "country": "Великобритания"})["country"] == "GB"


def test_the_preview_sample_shows_the_first_rows_as_written(tmp_path):
    path = excel_cp1251(tmp_path / "x.csv", [RUSSIAN_HEADER, ROW, ROW[:2]])
    with open(path, "rb") as stream:
        shape = sniff(stream)
        assert sample(stream, shape) == [ROW, ROW[:2] + [""] * 5]
