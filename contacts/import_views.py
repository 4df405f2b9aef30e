"""The import pages: upload, preview with an editable column mapping, import, and the rejection report.

The uploaded file waits in the instance folder (see `uploads`) between the preview and the import.
The import itself runs on a thread of the web process, one transaction as always, and writes its
progress to the upload's note after every batch of 2,000 rows; the page shows a progress bar that
refreshes itself (no JavaScript needed). If the process dies mid-import the transaction is rolled
back, the note's heartbeat goes stale, and the page says that nothing was written.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from contacts import bp, uploads
from contacts.forms import UploadForm
from contacts.importing import check_mapping, import_file, write_rejection_report
from contacts.parsing import FIELDS, UnreadableFile, guess_mapping, sample, sniff
from contacts.validation import clean_tags
from core.audit import record
from core.db import db
from core.errors import DomainError, ValidationError
from core.limits import accepts_upload
from core.security import access

log = logging.getLogger(__name__)
STALE_SECONDS = 120  # a running import writes its note at least every batch; silence this long means it died
ENCODINGS = {"utf-8-sig": "UTF-8", "cp1251": "Windows-1251 (Cyrillic)"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@bp.route("/import", methods=["GET", "POST"])
@access("campaigner")
@accepts_upload
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        upload_id = uploads.save(upload.stream, upload.filename, current_user.id, clean_tags(form.tags.data or ""))
        try:
            with open(uploads.csv_path(upload_id), "rb") as stream:
                sniff(stream)
        except UnreadableFile as exc:
            uploads.discard_file(upload_id)
            flash(f"Cannot read this file: {exc}. Nothing was imported.", "error")
            return render_template("contacts/import_upload.html", form=form), 422
        return redirect(url_for("contacts.import_preview", upload_id=upload_id))
    return render_template("contacts/import_upload.html", form=form)


def _mapping_from_form(headers) -> list[str | None]:
    return [request.form.get(f"column-{i}") or None for i in range(len(headers))]


def _running(note: dict) -> bool:
    run = note.get("running")
    return bool(run) and time.time() - run.get("beat", 0) < STALE_SECONDS


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@access("campaigner")
def import_preview(upload_id: str):
    note = uploads.note_for(upload_id, current_user.id)
    if _running(note) or "result" in note:
        return redirect(url_for("contacts.import_done", upload_id=upload_id))
    path = uploads.csv_path(upload_id)
    if not path.exists():
        flash("This upload has expired; upload the file again.", "error")
        return redirect(url_for("contacts.import_upload"))
    with open(path, "rb") as stream:
        shape = sniff(stream)
        rows = sample(stream, shape)
    mapping = note.get("mapping") or guess_mapping(shape.headers)
    if request.method == "POST":
        mapping = _mapping_from_form(shape.headers)
        note["mapping"] = mapping
        uploads.write_note(upload_id, note)
    problem, preview = None, None
    try:
        check_mapping(shape, mapping)
        if request.method == "POST" and request.form.get("action") == "import":
            return _start_import(upload_id, note, mapping)
        preview = import_file(path, mapping=mapping, tags=note["tags"], dry_run=True)
        note["expected"] = preview.handled
        uploads.write_note(upload_id, note)
    except ValidationError as exc:
        problem = exc.reason
    except DomainError as exc:
        problem = exc.message
    return render_template("contacts/import_preview.html", upload_id=upload_id, note=note, shape=shape, rows=rows,
                           mapping=mapping, fields=FIELDS, preview=preview, problem=problem,
                           encoding=ENCODINGS.get(shape.encoding, shape.encoding),
                           delimiter=DELIMITER_NAMES.get(shape.delimiter, shape.delimiter))


def _start_import(upload_id: str, note: dict, mapping) -> object:
    """Start the import on a thread (once: a second click finds the run lock taken) and show its progress."""
    if not uploads.start_run(upload_id, stale_after=STALE_SECONDS):
        return redirect(url_for("contacts.import_done", upload_id=upload_id))
    note.pop("failed", None)
    note["running"] = {"beat": time.time(), "done": 0, "total": note.get("expected")}
    uploads.write_note(upload_id, note)
    thread = threading.Thread(target=_import_in_background, name=f"contacts-import-{upload_id[:8]}", daemon=True,
                              args=(current_app._get_current_object(), upload_id, dict(note), mapping,
                                    current_user.id, current_user.email))
    thread.start()
    return redirect(url_for("contacts.import_done", upload_id=upload_id))


def _import_in_background(app, upload_id: str, note: dict, mapping, user_id: int, user_email: str) -> None:
    def beat(done: int) -> None:
        note["running"] = {**note["running"], "beat": time.time(), "done": done}
        uploads.write_note(upload_id, note)
        uploads.beat_run(upload_id)

    with app.app_context():
        try:
            result = import_file(uploads.csv_path(upload_id), mapping=mapping, tags=note["tags"],
                                 source=f"import {note['filename']}", progress=beat)
            record("contacts.import", None, {"file": note["filename"], "created": result.created,
                                             "updated": result.updated, "unchanged": result.unchanged,
                                             "rejected": result.rejected}, actor_id=user_id, actor_email=user_email)
            db.session.commit()
            if result.rejections:
                write_rejection_report(result, uploads.report_path(upload_id))
            note["result"] = {k: v for k, v in result.as_dict().items() if k != "rejections"}
            note["rejections"] = [list(r) for r in result.rejections[:20]]
            note.pop("running", None)
            uploads.write_note(upload_id, note)
            uploads.discard_file(upload_id)
        except Exception as exc:  # noqa: BLE001 - told to the person on the page; the transaction rolled back
            db.session.rollback()
            log.exception("contacts import %s failed", upload_id[:8])
            reason = exc.message if isinstance(exc, DomainError) else "an unexpected error (it is in the server's log)"
            note.pop("running", None)
            note["failed"] = f"The import stopped: {reason}. Nothing was written."
            uploads.write_note(upload_id, note)
        finally:
            db.session.remove()
            uploads.end_run(upload_id)


@bp.get("/import/<upload_id>/done")
@access("campaigner")
def import_done(upload_id: str):
    note = uploads.note_for(upload_id, current_user.id)
    if "result" in note:
        return render_template("contacts/import_done.html", upload_id=upload_id, note=note,
                               has_report=uploads.report_path(upload_id).exists())
    if _running(note):
        return render_template("contacts/import_running.html", upload_id=upload_id, note=note,
                               run=note["running"])
    if note.get("running"):  # it stopped writing its progress: the process died, the transaction is gone
        note.pop("running")
        note["failed"] = "The import stopped before it finished (the server restarted). Nothing was written."
        uploads.write_note(upload_id, note)
    if note.get("failed"):
        flash(note["failed"] + " You can start it again.", "error")
    return redirect(url_for("contacts.import_preview", upload_id=upload_id))


@bp.get("/import/<upload_id>/rejections.csv")
@access("campaigner")
def import_report(upload_id: str):
    uploads.note_for(upload_id, current_user.id)
    path = uploads.report_path(upload_id)
    if not path.exists():
        flash("There is no report: no row was rejected, or it has expired.", "error")
        return redirect(url_for("contacts.import_upload"))
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="rejected-rows.csv")
