"""Exported CSV cells never start a formula in a spreadsheet."""
from __future__ import annotations

from datetime import date

import pytest

from core.spreadsheets import safe_cell


@pytest.mark.parametrize("cell, shown", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+7 700 000", "'+7 700 000"), ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("|cmd", "'|cmd"), ("Айгерим", "Айгерим"),
    (None, ""), (date(2026, 3, 14), "2026-03-14"), (42, "42"),
])
def test_cells_that_would_run_get_a_leading_apostrophe(cell, shown):
    assert safe_cell(cell) == shown
