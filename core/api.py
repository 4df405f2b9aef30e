"""The JSON API under /api/v1: Bearer-token identity, JSON errors and the OpenAPI document.

Resource modules register their views on `bp` and describe each with `@documented(...)`; the
OpenAPI document is built from the real URL map, so it cannot list a route that does not exist.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from flask import Blueprint, Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from core.errors import DomainError, ValidationError
from core.security import access, csrf_exempt

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_token_loader: Callable[[str], Any] | None = None


def token_loader(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """Register the function that maps a raw Bearer token to a user (or None)."""
    global _token_loader
    _token_loader = fn
    return fn


def load_api_user() -> None:
    if request.blueprint != "api":
        return
    g.api_user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and _token_loader is not None:
        g.api_user = _token_loader(header[7:].strip())


def error(status: int, code: str, message: str, fields: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "rate_limited"}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    message = {401: "a valid Bearer token is required"}.get(status, exc.description or exc.name)
    return with_allow(error(status, HTTP_CODES.get(status, "error"), message), exc)


def with_allow(response, exc: HTTPException):
    """A 405 (TRACE, or any method a route does not take) says which methods it does take (RFC 9110)."""
    allow = dict(exc.get_headers()).get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def _domain_error(exc: DomainError):
    return error(exc.status, exc.code, exc.message, exc.fields)


bp.register_error_handler(HTTPException, _http_error)
bp.register_error_handler(DomainError, _domain_error)


def json_body() -> dict:
    """The request's JSON object, its values checked against the view's documented request schema.

    Only types are checked here (and what no database column takes: NUL characters, integers past
    32 bits); the services say what is wrong with a value of the right type. Null stands for "not
    given", as the services read it.
    """
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("the request body must be a JSON object")
    view = current_app.view_functions.get(request.endpoint)
    schema = (getattr(view, "openapi", None) or {}).get("request") or {"type": "object"}
    problems: dict[str, str] = {}
    _check(data, schema, "", problems)
    if problems:
        where, reason = next(iter(problems.items()))
        raise ValidationError(where or "body", reason, problems)
    return data


def whole_number(data: dict, name: str) -> int | None:
    """`data[name]` as an int, None when absent or null; a bool or any other type is refused."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(name, "must be a whole number")
    return value


# Every id and count column is a 32-bit INTEGER (PostgreSQL's int4): a larger number names no row.
INT_MAX = 2**31 - 1
_TYPE_NAMES = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "array": "a list", "object": "an object"}


def _type_ok(value, kind: str | None) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _check(value, schema: dict, where: str, problems: dict[str, str]) -> None:
    if value is None or len(problems) >= 20:
        return
    kind = schema.get("type")
    if not _type_ok(value, kind):
        problems[where or "body"] = f"must be {_TYPE_NAMES.get(kind, kind)}"
        return
    if isinstance(value, str) and "\x00" in value:
        problems[where or "body"] = "contains a NUL character"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT_MAX:
        problems[where or "body"] = "is out of range"
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, schema.get("items") or {}, f"{where}[{i}]", problems)
    elif isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key not in properties and not isinstance(extra, dict):
                continue  # a field we do not read is ignored, whatever it holds
            if "\x00" in key:
                problems[where or "body"] = "a key contains a NUL character"
                continue
            sub = properties.get(key, extra)
            _check(item, sub, f"{where}.{key}" if where else key, problems)


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL: an id the database can hold, else 404 (never an overflow error)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's own signature
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def documented(summary: str, *, request_schema: dict | None = None, response_schema: dict | None = None,
               status: int = 200, tags: list[str] | None = None):
    def mark(view):
        view.openapi = {"summary": summary, "request": request_schema, "response": response_schema,
                        "status": status, "tags": tags or []}
        return view

    return mark


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "fields"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
}


NO_NUL = "^[^\\u0000]*$"


def stated(schema: dict) -> dict:
    """A request schema as the document states it: what `_check` enforces on every value (no NUL in
    text, whole numbers within 32 bits) and that a required text field may not be empty."""
    schema = dict(schema)
    kind = schema.get("type")
    for combined in ("oneOf", "anyOf"):
        if combined in schema:
            schema[combined] = [stated(option) for option in schema[combined]]
    if kind == "string" and "enum" not in schema:
        schema.setdefault("pattern", NO_NUL)
    elif kind == "integer":
        schema.setdefault("minimum", -INT_MAX)
        schema.setdefault("maximum", INT_MAX)
    elif kind == "array" and isinstance(schema.get("items"), dict):
        schema["items"] = stated(schema["items"])
    elif kind == "object":
        required = set(schema.get("required") or ())
        properties = {}
        for name, sub in (schema.get("properties") or {}).items():
            sub = stated(sub)
            if name in required and sub.get("type") == "string" and "enum" not in sub:
                sub.setdefault("minLength", 1)
            properties[name] = sub
        if properties:
            schema["properties"] = properties
        if isinstance(schema.get("additionalProperties"), dict):
            schema["additionalProperties"] = stated(schema["additionalProperties"])
    return schema


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    params = []

    def repl(m: re.Match) -> str:
        conv, name = m.group(1), m.group(2)
        schema = {"type": "integer", "minimum": 0, "maximum": INT_MAX} if conv == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return re.sub(r"<(?:(\w+):)?(\w+)>", repl, rule), params


def build_openapi(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, "openapi", None)
        if doc is None:
            continue
        path, params = _openapi_path(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": rule.endpoint.removeprefix("api.") + ("" if method == "GET" else "_" + method.lower()),
                "summary": doc["summary"],
                "tags": doc["tags"],
                "parameters": params,
                "responses": {
                    str(doc["status"]): {"description": "success", "content": {"application/json": {
                        "schema": doc["response"] or {"type": "object"}}}},
                    "default": {"description": "error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
                },
            }
            rule_read, _ = getattr(view, "access_rule", ("viewer", "campaigner"))
            if rule_read != "public":
                op["security"] = [{"bearer": []}]
            if doc["request"] and method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": stated(doc["request"])}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "Solidarity outreach API", "version": "1"},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": dict(sorted(paths.items())),
    }


@bp.get("/openapi.json")
@access("public")
def openapi():
    return jsonify(build_openapi(current_app))


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its rules
    csrf_exempt(bp)  # Bearer tokens, not cookies: no cross-site request can carry one.
    app.before_request(load_api_user)
