"""CSV cells a spreadsheet will show as text, never run as a formula (CSV injection).

Every export of people's data (contacts, signatures, the evidence trail, import reports) writes its
cells through `safe_cell`.
"""
from __future__ import annotations

# Excel, LibreOffice and Google Sheets read these leading characters as the start of a formula or
# of a DDE command; a leading apostrophe makes the cell plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
