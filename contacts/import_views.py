"""The import pages: upload, preview with an editable column mapping, import, progress, the rejected rows.

The uploaded file waits in the database (see `uploads`) between the preview and the import, so any
web host can show the preview and any worker can import it. The import is a job (see `jobs`); its
page polls the upload's progress row, and without JavaScript refreshes itself.
"""
from __future__ import annotations

import json

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from contacts import bp, jobs, uploads
from contacts.forms import UploadForm
from contacts.importing import check_mapping, import_stream
from contacts.parsing import FIELDS, UnreadableFile, guess_mapping, sample, sniff
from contacts.validation import clean_tags
from core.db import db, utcnow
from core.errors import DomainError, ValidationError
from core.limits import accepts_upload
from core.security import access

ENCODINGS = {"utf-8-sig": "UTF-8", "cp1251": "Windows-1251 (Cyrillic)"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
BUSY = ("queued", "running", "done")  # an upload in these states has no preview: its import is under way or over


def _progress(upload) -> jobs.Progress:
    return jobs.progress_of(upload, utcnow(), db.engine.dialect.name)


@bp.route("/import", methods=["GET", "POST"])
@access("campaigner")
@accepts_upload
def import_upload():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            sniff(upload.stream)
        except UnreadableFile as exc:
            flash(f"Cannot read this file: {exc}. Nothing was imported.", "error")
            return render_template("contacts/import_upload.html", form=form), 422
        upload_id = uploads.save(upload.stream, upload.filename, current_user.id, current_user.email,
                                 clean_tags(form.tags.data or ""))
        return redirect(url_for("contacts.import_preview", upload_id=upload_id))
    return render_template("contacts/import_upload.html", form=form)


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@access("campaigner")
def import_preview(upload_id: str):
    upload = uploads.upload_for(upload_id, current_user.id)
    if _progress(upload).state in BUSY:
        return redirect(url_for("contacts.import_done", upload_id=upload_id))
    stream = uploads.read_part(upload_id)
    if stream is None:
        flash("This upload has expired; upload the file again.", "error")
        return redirect(url_for("contacts.import_upload"))
    with stream:
        shape = sniff(stream)
        rows = sample(stream, shape)
        mapping = upload.mapping or guess_mapping(shape.headers)
        if request.method == "POST":
            mapping = upload.mapping = [request.form.get(f"column-{i}") or None for i in range(len(shape.headers))]
            db.session.commit()
        problem, preview = None, None
        try:
            check_mapping(shape, mapping)
            if request.method == "POST" and request.form.get("action") == "import":
                jobs.start_import(upload_id, mapping, upload.rows_total)
                return redirect(url_for("contacts.import_done", upload_id=upload_id))
            preview = import_stream(stream, mapping=mapping, tags=upload.tags, dry_run=True)
            upload = uploads.upload_for(upload_id, current_user.id)  # the dry run rolled the session back
            upload.rows_total = preview.handled
            db.session.commit()
        except ValidationError as exc:
            problem = exc.reason
        except DomainError as exc:
            problem = exc.message
    return render_template("contacts/import_preview.html", upload_id=upload_id, upload=upload, shape=shape,
                           rows=rows, mapping=mapping, fields=FIELDS, preview=preview, problem=problem,
                           encoding=ENCODINGS.get(shape.encoding, shape.encoding),
                           delimiter=DELIMITER_NAMES.get(shape.delimiter, shape.delimiter))


@bp.get("/import/<upload_id>/done")
@access("campaigner")
def import_done(upload_id: str):
    upload = uploads.upload_for(upload_id, current_user.id)
    progress = _progress(upload)
    if progress.state == "done":
        return render_template("contacts/import_done.html", upload_id=upload_id, upload=upload,
                               result=json.loads(upload.result), has_report=uploads.has_part(upload_id, "report"))
    if progress.state in ("queued", "running"):
        return render_template("contacts/import_running.html", upload_id=upload_id, upload=upload, run=progress)
    if progress.state == "stopped":
        flash("The import stopped before it finished (its worker stopped). Nothing was written. "
              "You can start it again.", "error")
    elif progress.state == "failed":
        flash(f"{upload.failure} You can start it again.", "error")
    return redirect(url_for("contacts.import_preview", upload_id=upload_id))


@bp.get("/import/<upload_id>/progress")
@access("campaigner")
def import_progress(upload_id: str):
    progress = _progress(uploads.upload_for(upload_id, current_user.id))
    return jsonify({"state": progress.state, "rows_done": progress.rows_done, "rows_total": progress.rows_total,
                    "percent": progress.percent, "done": progress.finished})


@bp.get("/import/<upload_id>/rejected-rows.csv")
@access("campaigner")
def import_report(upload_id: str):
    upload = uploads.upload_for(upload_id, current_user.id)
    report = uploads.read_part(upload_id, "report")
    if report is None:
        flash("There is no report: no row was rejected, or it has expired.", "error")
        return redirect(url_for("contacts.import_upload"))
    stem = upload.filename.rsplit(".", 1)[0] or "import"
    return send_file(report, mimetype="text/csv", as_attachment=True, download_name=f"{stem} - rejected rows.csv")
