"""The rejected rows of an import, given back as the file had them, so a person can fix them in their
spreadsheet and import the same file again: a pure function, no database, no request.

The rows keep the file's encoding (Windows-1251 stays Windows-1251), its delimiter and its header,
with the reason as one more, last column, which the importer ignores on the next import. The cells
are the person's own, returned unchanged: prefixing them against formulas (as exports do) would
change the values that go back in; only the reason, which is ours, goes through `safe_cell`.
"""
from __future__ import annotations

import csv
import io
from typing import IO

from contacts.parsing import FileShape, text_view
from core.spreadsheets import safe_cell

REASON_COLUMN = "Rejected because"


def rejected_rows(stream: IO[bytes], shape: FileShape, reasons: dict[int, str]) -> bytes:
    """The header and every row whose number (as `read_rows` counts them) is in `reasons`, as bytes."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=shape.delimiter, lineterminator="\r\n")
    stream.seek(0)
    reader = csv.reader(text_view(stream, shape.encoding), delimiter=shape.delimiter)
    for number, cells in enumerate(reader, start=1):
        if number == 1:
            writer.writerow([*cells, REASON_COLUMN])
        elif number in reasons:
            width = max(len(cells), len(shape.headers))
            writer.writerow([*cells, *[""] * (width - len(cells)), safe_cell(reasons[number])])
    stream.seek(0)
    return out.getvalue().encode(shape.encoding, errors="replace")
