"""Request body limits, per kind of request: small for forms and JSON, large only where files come in.

A WSGI guard in front of the app decides before anything reads a body. A declared Content-Length over
the route's limit is refused without reading a byte; a chunked body (no length declared) is read up
to its limit into a spool file (memory for the first MiB, disk beyond) and refused the moment it runs
past it, or handed on with its now known length. A refused request reaches the app with an empty body
and is answered 413 by the app's first before-request hook, before CSRF or anything else looks at a
form. Views that take uploads say so with `@accepts_upload`; everything else gets MAX_BODY_BYTES.

Pages that show a form again after a refusal echo what was typed: `echoable` (plain forms) and `Form`
(WTForms) cap each value at its field's limit, so a megabyte name is never sent back.
"""
from __future__ import annotations

import io
import tempfile
from typing import Callable, Mapping

from flask import Flask, abort, request
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from werkzeug.wsgi import ClosingIterator

LIMIT_KEY, REFUSED_KEY = "outreach.body_limit", "outreach.body_refused"
SPOOL_IN_MEMORY = 1 << 20
READ_SIZE = 64 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


def accepts_upload(view: Callable) -> Callable:
    """Mark a view that takes files (imports, photos, inbound mail): it gets MAX_CONTENT_LENGTH."""
    view.accepts_upload = True
    return view


def limit_for(app: Flask, environ: dict) -> int:
    """The body limit of the route this request goes to (the small one when none matches)."""
    config = app.config
    ceiling = config.get("MAX_CONTENT_LENGTH") or config.get("MAX_UPLOAD_BYTES") or 32 << 20
    small = min(config.get("MAX_BODY_BYTES") or 1 << 20, ceiling)
    try:
        endpoint, _ = app.url_map.bind_to_environ(environ).match()
    except HTTPException:
        return small
    return ceiling if getattr(app.view_functions.get(endpoint), "accepts_upload", False) else small


def _declared_length(environ: dict) -> int | None:
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or ""))
    except ValueError:
        return None


def _is_streamed(environ: dict) -> bool:
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    return (not environ.get("CONTENT_LENGTH") and bool(environ.get("wsgi.input_terminated"))
            and environ.get("REQUEST_METHOD", "GET") not in SAFE_METHODS)


def _spool(stream, limit: int):
    """The whole stream in a spool file, or None as soon as it is longer than `limit`."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    total = 0
    while chunk := stream.read(min(READ_SIZE, limit + 1 - total)):
        total += len(chunk)
        if total > limit:
            spool.close()
            return None, total
        spool.write(chunk)
    spool.seek(0)
    return spool, total


def _with_body(environ: dict, stream, length: int) -> None:
    environ["wsgi.input"] = stream
    environ["CONTENT_LENGTH"] = str(length)
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


class BodyLimit:
    """WSGI middleware: 413 for a body over its route's limit, chunked or not, before it is read."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def __call__(self, environ, start_response):
        limit = environ[LIMIT_KEY] = limit_for(self.app, environ)
        declared = _declared_length(environ)
        spool = None
        if declared is not None and declared > limit:
            self._refuse(environ)
        elif declared is None and _is_streamed(environ):
            spool, length = _spool(environ["wsgi.input"], limit)
            if spool is None:
                self._refuse(environ)
            else:
                _with_body(environ, spool, length)
        response = self.wsgi_app(environ, start_response)
        return ClosingIterator(response, spool.close) if spool is not None else response

    @staticmethod
    def _refuse(environ: dict) -> None:
        environ[REFUSED_KEY] = True
        _with_body(environ, io.BytesIO(b""), 0)


def refuse_oversized_body() -> None:
    """The first before-request hook: answer 413 for what the guard refused; apply the route's limit."""
    if request.environ.get(REFUSED_KEY):
        abort(413)
    limit = request.environ.get(LIMIT_KEY)
    if limit:
        request.max_content_length = limit


def echoable(values: Mapping[str, str], limits: Mapping[str, int], default: int = 200) -> dict[str, str]:
    """What a page may show again of a submitted form: each value cut at its field's limit."""
    return {name: value[: limits.get(name, default)] for name, value in values.items()}


class Form(FlaskForm):
    """The base of our forms: one that fails validation shows no field longer than its limit again."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            for field in self:
                longest = min((v.max for v in field.validators if getattr(v, "max", -1) not in (None, -1)),
                              default=None)
                if field.errors and isinstance(field.data, str) and longest is not None and len(field.data) > longest:
                    field.data = field.data[:longest]
                    field.raw_data = [field.data]
        return valid


def init_app(app: Flask) -> None:
    """Before CSRF (which reads the form): install the guard and the 413 hook."""
    app.wsgi_app = BodyLimit(app.wsgi_app, app)
    app.before_request(refuse_oversized_body)
