"""The import of an uploaded file, as a background job (rq with Redis, in-process without).

The page queues it (`start_import`, commit, then enqueue); the job claims the upload in a guarded
statement, so a second click or a second delivery of the job imports nothing twice, and imports it in
one transaction as always. The upload's row is the progress row: on PostgreSQL the job writes the rows
done and a heartbeat after every batch of 2,000 rows on a connection of its own, which the page polls;
SQLite allows one writer at a time (the import itself), so there the page sees the import start and
end. A run whose heartbeat stops (its worker was killed: the transaction rolled back) is shown as
stopped, and may be started again. The import's result, the audit event, the rejected-rows report
and the deletion of the file commit with the contacts or not at all.
"""
from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from contacts import uploads
from contacts.importing import ImportResult, import_stream
from contacts.models import ImportUpload
from contacts.parsing import sniff
from contacts.rejections import rejected_rows
from core.audit import record
from core.db import db, utcnow
from core.errors import DomainError
from core.queue import enqueue, every

log = logging.getLogger(__name__)
JOB = "contacts.jobs.import_upload"
JOB_SECONDS = 3600  # rq stops an import after this long
STALE = timedelta(seconds=120)  # a heartbeat older than this is a run that died (PostgreSQL)
SHOWN = 20  # rejections and warnings kept for the page; all rejected rows are in the report
_UPLOADS = ImportUpload.__table__

every("contacts.uploads.sweep_job", 3600)


@dataclass(frozen=True)
class Progress:
    state: str  # uploaded, queued, running, stopped, done, failed
    rows_done: int
    rows_total: int | None

    @property
    def percent(self) -> int | None:
        if not self.rows_total or self.rows_done > self.rows_total:
            return None
        return round(100 * self.rows_done / self.rows_total)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "stopped")


def stale_after(dialect: str) -> timedelta:
    """How long a running import may be silent: its heartbeat's period, or its whole time on SQLite."""
    return STALE if dialect != "sqlite" else timedelta(seconds=JOB_SECONDS + 60)


def progress_of(upload: ImportUpload, now: datetime, dialect: str) -> Progress:
    """What the page shows: a running import whose heartbeat stopped is "stopped"."""
    state = upload.state
    if state == "running" and (upload.beat_at is None or now - upload.beat_at > stale_after(dialect)):
        state = "stopped"
    return Progress(state, upload.rows_done or 0, upload.rows_total)


def start_import(upload_id: str, mapping: list[str | None], expected: int | None) -> bool:
    """Queue the import of an upload (commit, then enqueue); False if it is queued, running or done."""
    dialect = db.engine.dialect.name
    queued = db.session.execute(
        update(_UPLOADS).where(_UPLOADS.c.id == upload_id, or_(
            _UPLOADS.c.state.in_(("uploaded", "failed")),
            (_UPLOADS.c.state == "running") & (_UPLOADS.c.beat_at < utcnow() - stale_after(dialect))))
        .values(state="queued", mapping=mapping, rows_total=expected, rows_done=0, failure=None)).rowcount
    db.session.commit()
    if queued:
        enqueue(JOB, upload_id, timeout=JOB_SECONDS)
    return bool(queued)


def import_upload(upload_id: str) -> None:
    """The job: import a queued upload once."""
    if not _claim(upload_id):
        return
    upload = db.session.get(ImportUpload, upload_id)
    stream = uploads.read_part(upload_id)
    if stream is None:
        return _fail(upload_id, "The uploaded file has expired; upload it again.")
    beats = db.engine.dialect.name != "sqlite"
    try:
        with stream:
            import_stream(stream, mapping=upload.mapping, tags=upload.tags, source=f"import {upload.filename}"[:200],
                          progress=(lambda rows: _beat(upload_id, rows)) if beats else None,
                          finish=lambda result: _finish(upload, stream, result))
    except Exception as exc:  # noqa: BLE001 - told to the person on the page; the transaction rolled back
        db.session.rollback()
        log.exception("contacts import %s failed", upload_id[:8])
        reason = exc.message if isinstance(exc, DomainError) else "an unexpected error (it is in the server's log)"
        _fail(upload_id, f"The import stopped: {reason}. Nothing was written.")


def _claim(upload_id: str) -> bool:
    claimed = db.session.execute(update(_UPLOADS).where(_UPLOADS.c.id == upload_id, _UPLOADS.c.state == "queued")
                                 .values(state="running", rows_done=0, beat_at=utcnow())).rowcount
    db.session.commit()
    return bool(claimed)


def _beat(upload_id: str, rows: int) -> None:
    """Progress on a connection of its own: the import's transaction commits only at the end."""
    with db.engine.begin() as conn:
        conn.execute(update(_UPLOADS).where(_UPLOADS.c.id == upload_id, _UPLOADS.c.state == "running")
                     .values(rows_done=rows, beat_at=utcnow()))


def _finish(upload: ImportUpload, stream, result: ImportResult) -> None:
    """In the import's transaction: the audit event, the report, the result; the file goes."""
    record("contacts.import", None, {"file": upload.filename, "created": result.created, "updated": result.updated,
                                     "unchanged": result.unchanged, "rejected": result.rejected,
                                     "warnings": len(result.warnings)},
           actor_id=upload.user_id, actor_email=upload.user_email)
    if result.rejections:
        reasons = {number: reason for number, _, reason in result.rejections}
        stream.seek(0)
        uploads.write_part(upload.id, "report", io.BytesIO(rejected_rows(stream, sniff(stream), reasons)))
    uploads.drop_part(upload.id, "file")
    upload.state, upload.rows_done, upload.beat_at = "done", result.handled, utcnow()
    upload.result = json.dumps({
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged,
        "rejected": result.rejected, "rejections": result.rejections[:SHOWN],
        "warned": len(result.warnings), "warnings": result.warnings[:SHOWN]}, ensure_ascii=False)


def _fail(upload_id: str, message: str) -> None:
    db.session.execute(update(_UPLOADS).where(_UPLOADS.c.id == upload_id)
                       .values(state="failed", failure=message, beat_at=utcnow()))
    db.session.commit()
