"""Uploaded CSV files kept in the database between the preview and the import, where any web host
and any worker can read them.

Each upload is an `ImportUpload` row with a random id (only its uploader may open it) and its bytes in
`ImportChunk` rows of 512 KiB, encrypted: a contact list is personal data. The file's chunks are
deleted when its import finishes (the rejected rows, if any, are kept as a report beside it), and
every upload with its report a day after it was made (`sweep`, on each new upload and from the
workers every hour).
"""
from __future__ import annotations

import base64
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import delete, insert, select

from contacts.models import ImportChunk, ImportUpload
from core.db import db, utcnow
from core.errors import NotFound

KEEP = timedelta(days=1)
CHUNK = 512 * 1024
EXPIRED = "this upload has expired or does not exist; upload the file again"


def save(stream: IO[bytes], filename: str, user_id: int, user_email: str, tags: list[str]) -> str:
    """Store an uploaded file (in chunks, encrypted) and commit; its id."""
    sweep()
    upload = ImportUpload(id=secrets.token_urlsafe(18), user_id=user_id, user_email=user_email,
                          filename=Path(filename or "upload.csv").name[:120] or "upload.csv", tags=tags)
    db.session.add(upload)
    db.session.flush()
    write_part(upload.id, "file", stream)
    db.session.commit()
    return upload.id


def write_part(upload_id: str, part: str, stream: IO[bytes]) -> None:
    """Add a file or report to the session, chunk by chunk (one insert per chunk: a chunk is large)."""
    seq = 0
    while data := stream.read(CHUNK):
        db.session.execute(insert(ImportChunk).values(upload_id=upload_id, part=part, seq=seq,
                                                      data=base64.b64encode(data).decode()))
        seq += 1


def read_part(upload_id: str, part: str = "file") -> IO[bytes] | None:
    """The file (or report) as a seekable stream, or None when it is gone. Large files spill to a
    temporary file of this process, deleted when the stream is closed."""
    chunks = db.session.execute(select(ImportChunk.data).where(ImportChunk.upload_id == upload_id,
                                                               ImportChunk.part == part)
                                .order_by(ImportChunk.seq).execution_options(yield_per=4)).scalars()
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)
    found = False
    for data in chunks:
        spool.write(base64.b64decode(data))
        found = True
    if not found:
        spool.close()
        return None
    spool.seek(0)
    return spool


def drop_part(upload_id: str, part: str) -> None:
    db.session.execute(delete(ImportChunk).where(ImportChunk.upload_id == upload_id, ImportChunk.part == part))


def has_part(upload_id: str, part: str) -> bool:
    return db.session.execute(select(ImportChunk.seq).where(ImportChunk.upload_id == upload_id,
                                                            ImportChunk.part == part).limit(1)).first() is not None


def upload_for(upload_id: str, user_id: int) -> ImportUpload:
    """The upload, only for the person who uploaded it, and only within its day."""
    upload = db.session.get(ImportUpload, upload_id) if 20 <= len(upload_id or "") <= 32 else None
    if upload is None or upload.user_id != user_id or upload.created_at < utcnow() - KEEP:
        raise NotFound(EXPIRED)
    return upload


def discard(upload_id: str) -> None:
    """Delete an upload and everything of it (chunks first: SQLite does not cascade)."""
    db.session.execute(delete(ImportChunk).where(ImportChunk.upload_id == upload_id))
    db.session.execute(delete(ImportUpload).where(ImportUpload.id == upload_id))


def sweep() -> int:
    """Delete the uploads (and their files and reports) made more than a day ago; how many."""
    old = select(ImportUpload.id).where(ImportUpload.created_at < utcnow() - KEEP).scalar_subquery()
    db.session.execute(delete(ImportChunk).where(ImportChunk.upload_id.in_(old)))
    gone = db.session.execute(delete(ImportUpload).where(ImportUpload.created_at < utcnow() - KEEP)).rowcount
    return gone


def sweep_job() -> None:
    """The workers' hourly sweep (see `contacts.jobs`)."""
    sweep()
    db.session.commit()
