"""The import pages: upload, preview with an editable column mapping, import, and the rejection report.

The uploaded file waits in the instance folder (see `uploads`) between the preview and the import.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from contacts import bp, uploads
from contacts.forms import UploadForm
from contacts.importing import check_mapping, import_file, write_rejection_report
from contacts.parsing import FIELDS, UnreadableFile, guess_mapping, sample, sniff
from contacts.validation import clean_tags
from core.audit import record
from core.db import db
from core.errors import DomainError, ValidationError
from core.security import access

ENCODINGS = {"utf-8-sig": "UTF-8", "cp1251": "Windows-1251 (Cyrillic)"}
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@bp.route("/import", methods=["GET", "POST"])
@access("campaigner")
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


@bp.route("/import/<upload_id>", methods=["GET", "POST"])
@access("campaigner")
def import_preview(upload_id: str):
    note = uploads.note_for(upload_id, current_user.id)
    path = uploads.csv_path(upload_id)
    if not path.exists():
        if "result" in note:
            return redirect(url_for("contacts.import_done", upload_id=upload_id))
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
            return _run_import(upload_id, note, mapping)
        preview = import_file(path, mapping=mapping, tags=note["tags"], dry_run=True)
    except ValidationError as exc:
        problem = exc.reason
    except DomainError as exc:
        problem = exc.message
    return render_template("contacts/import_preview.html", upload_id=upload_id, note=note, shape=shape, rows=rows,
                           mapping=mapping, fields=FIELDS, preview=preview, problem=problem,
                           encoding=ENCODINGS.get(shape.encoding, shape.encoding),
                           delimiter=DELIMITER_NAMES.get(shape.delimiter, shape.delimiter))


def _run_import(upload_id: str, note: dict, mapping) -> object:
    result = import_file(uploads.csv_path(upload_id), mapping=mapping, tags=note["tags"],
                         source=f"import {note['filename']}")
    record("contacts.import", None, {"file": note["filename"], "created": result.created,
                                     "updated": result.updated, "unchanged": result.unchanged,
                                     "rejected": result.rejected})
    db.session.commit()
    if result.rejections:
        write_rejection_report(result, uploads.report_path(upload_id))
    note["result"] = {k: v for k, v in result.as_dict().items() if k != "rejections"}
    note["rejections"] = [list(r) for r in result.rejections[:20]]
    uploads.write_note(upload_id, note)
    uploads.discard_file(upload_id)
    flash(f"Imported: {result.summary()}.", "success")
    return redirect(url_for("contacts.import_done", upload_id=upload_id))


@bp.get("/import/<upload_id>/done")
@access("campaigner")
def import_done(upload_id: str):
    note = uploads.note_for(upload_id, current_user.id)
    if "result" not in note:
        return redirect(url_for("contacts.import_preview", upload_id=upload_id))
    return render_template("contacts/import_done.html", upload_id=upload_id, note=note,
                           has_report=uploads.report_path(upload_id).exists())


@bp.get("/import/<upload_id>/rejections.csv")
@access("campaigner")
def import_report(upload_id: str):
    uploads.note_for(upload_id, current_user.id)
    path = uploads.report_path(upload_id)
    if not path.exists():
        flash("There is no report: no row was rejected, or it has expired.", "error")
        return redirect(url_for("contacts.import_upload"))
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="rejected-rows.csv")
