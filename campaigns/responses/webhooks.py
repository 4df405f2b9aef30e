"""Machine endpoints under /webhooks/sendgrid/: signed provider events and inbound replies.

Neither uses sessions or CSRF tokens: events prove themselves with SendGrid's ECDSA signature, inbound
posts with a secret in the configured URL (compared in constant time). Any failure is a bare 403 and
changes nothing. Nothing about the caller or the body is logged.
"""
from __future__ import annotations

import hmac
import json
import time

from flask import Blueprint, abort, current_app, jsonify, request

from campaigns.responses.events import EventFormatError, parse_batch
from campaigns.responses.inbound import Attachment, parse_inbound
from campaigns.responses.ingest import record_events
from campaigns.responses.replies import receive_inbound
from campaigns.responses.signatures import (SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, Verifier,
                                            load_public_key)
from core.limits import accepts_upload
from core.security import access, csrf_exempt

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks/sendgrid")


def _verifier() -> Verifier | None:
    """The verifier for the configured key, built once per app (parsing a key is not free)."""
    cache = current_app.extensions.setdefault("responses.verifier", {})
    text = current_app.config.get("SENDGRID_WEBHOOK_PUBLIC_KEY")
    if not text:
        return None
    if text not in cache:
        try:
            cache.clear()
            cache[text] = load_public_key(text)
        except SignatureError:
            current_app.logger.error("SENDGRID_WEBHOOK_PUBLIC_KEY is not a usable ECDSA P-256 key")
            cache[text] = None
    return cache[text]


@bp.post("/events")
@access("public")
@csrf_exempt
def events():
    verifier = _verifier()
    if verifier is None:
        abort(403)
    body = request.get_data(cache=False)
    try:
        verifier.verify(body, request.headers.get(SIGNATURE_HEADER), request.headers.get(TIMESTAMP_HEADER),
                        now=time.time())
    except SignatureError:
        abort(403)
    try:
        batch, skipped = parse_batch(json.loads(body))
    except (ValueError, EventFormatError) as exc:
        return jsonify({"error": {"code": "bad_request", "message": str(exc)[:200], "fields": {}}}), 400
    result = record_events(batch)
    return jsonify({"received": result.received + skipped, "recorded": result.recorded,
                    "duplicates": result.duplicates, "unmatched": result.unmatched, "skipped": skipped})


@bp.post("/inbound/<secret>")
@access("public")
@csrf_exempt
@accepts_upload
def inbound(secret: str):
    expected = current_app.config.get("INBOUND_WEBHOOK_SECRET")
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        abort(403)
    request.max_form_memory_size = current_app.config.get("MAX_CONTENT_LENGTH")  # raw mode: whole MIME
    files = [Attachment(f.filename or "attachment", f.mimetype or "application/octet-stream", f.read())
             for f in request.files.values()]
    mail = parse_inbound(request.form.to_dict(), files)
    received = receive_inbound(mail, keep_attachments=current_app.config.get("INBOUND_KEEP_ATTACHMENTS", False))
    # SendGrid retries anything but a 2xx: a duplicate or an unmatched mail is still "taken".
    return jsonify({"outcome": received.outcome})
