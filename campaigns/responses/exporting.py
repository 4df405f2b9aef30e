"""The evidence trail as CSV, safe to open in a spreadsheet (no cell is read as a formula)."""
from __future__ import annotations

import csv
import io

from campaigns.responses.evidence import Trail
from core.spreadsheets import safe_cell

COLUMNS = ("seq", "recorded_at", "fact", "at", "contact", "organisation", "email", "mailing", "message_id_header",
           "content_hash", "detail", "chain_ok", "unchanged", "prev_hash", "hash")


def trail_csv(trail: Trail) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in trail.rows:
        f, r = row.fact, row.record
        detail = f.get("detail") or f.get("subject") or f.get("classification") or ""
        writer.writerow(safe_cell(v) for v in (
            r.seq, r.recorded_at.isoformat(timespec="seconds"), f.get("fact"), f.get("at"),
            f.get("contact"), f.get("organisation"), f.get("email") or f.get("from"), f.get("mailing"),
            f.get("message_id_header"), f.get("content_hash"), detail, "yes" if row.chain_ok else "NO",
            "yes" if row.unchanged else "NO", r.prev_hash, r.hash))
    return "\ufeff" + out.getvalue()  # a BOM so spreadsheets read UTF-8
