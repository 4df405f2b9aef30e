"""Real CSV files as spreadsheets save them, written to disk for the tests."""
from __future__ import annotations

import csv
import io
from pathlib import Path

RUSSIAN_HEADER = ["ФИО", "Эл. почта", "Страна", "Язык", "Организация", "Должность", "Теги"]


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",",
              bom: bool = False) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def excel_cp1251(path: Path, rows: list[list[str]]) -> Path:
    """What Russian Excel writes for "CSV (разделители - запятые)": Windows-1251, semicolons."""
    return write_csv(path, rows, encoding="cp1251", delimiter=";")


def many_rows(path: Path, count: int, *, start: int = 0) -> Path:
    rows = [["Name", "Email", "Country", "Language", "Organisation", "Tags"]]
    rows += [[f"Person {i}", f"person{i}@mission{i % 50}.example.org", ["DE", "FR", "KZ"][i % 3],
              ["en", "ru", "kk"][i % 3], f"Mission {i % 50}", "eu" if i % 2 else "media"]
             for i in range(start, start + count)]
    return write_csv(path, rows)
