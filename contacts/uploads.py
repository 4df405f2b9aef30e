"""Uploaded CSV files kept between the preview and the import, in the instance folder.

Each upload gets a random id; its bytes and a small JSON note (who uploaded it, the original name,
the chosen tags and column mapping) live under `instance/imports/`. Nothing of the file goes into the
session cookie. Uploads and reports older than a day are swept away on each new upload.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import IO

from flask import current_app

from core.errors import NotFound

KEEP_SECONDS = 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def folder() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _sweep(base: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for item in base.iterdir():
        try:
            if item.stat().st_mtime < cutoff:  # a running import's note is rewritten every batch
                item.unlink()
        except OSError:
            continue


def save(stream: IO[bytes], filename: str, user_id: int, tags: list[str]) -> str:
    base = folder()
    _sweep(base)
    upload_id = secrets.token_urlsafe(18)
    with open(base / f"{upload_id}.csv", "wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    write_note(upload_id, {"user_id": user_id, "filename": Path(filename or "upload.csv").name[:120],
                           "tags": tags, "mapping": None})
    return upload_id


def csv_path(upload_id: str) -> Path:
    return folder() / f"{_check(upload_id)}.csv"


def report_path(upload_id: str) -> Path:
    return folder() / f"{_check(upload_id)}-rejections.csv"


def write_note(upload_id: str, note: dict) -> None:
    """Replace the note at once: the import's progress is written while pages read it."""
    path = folder() / f"{_check(upload_id)}.json"
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(note))
    os.replace(tmp, path)


def start_run(upload_id: str, stale_after: float) -> bool:
    """Take the upload's run lock (a file created exclusively): False if an import of it is running.

    A running import touches the lock after every batch (`beat_run`); a lock untouched for
    `stale_after` seconds is a run that died (its transaction rolled back) and is taken over.
    """
    lock = folder() / f"{_check(upload_id)}.running"
    for _ in range(2):
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime < stale_after:
                    return False
                lock.unlink()
            except FileNotFoundError:
                continue
    return False


def beat_run(upload_id: str) -> None:
    os.utime(folder() / f"{_check(upload_id)}.running")


def end_run(upload_id: str) -> None:
    (folder() / f"{_check(upload_id)}.running").unlink(missing_ok=True)


def note_for(upload_id: str, user_id: int) -> dict:
    """The upload's note, only for the person who uploaded it."""
    path = folder() / f"{_check(upload_id)}.json"
    try:
        note = json.loads(path.read_text())
    except (OSError, ValueError):
        raise NotFound("this upload has expired or does not exist; upload the file again") from None
    if note.get("user_id") != user_id:
        raise NotFound("this upload has expired or does not exist; upload the file again")
    return note


def discard_file(upload_id: str) -> None:
    csv_path(upload_id).unlink(missing_ok=True)


def _check(upload_id: str) -> str:
    if not _ID.match(upload_id or ""):
        raise NotFound("no such upload")
    return upload_id
