"""Domain errors. Each says what was wrong and where; one handler per surface renders it."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    """Bad input: `fields` maps a field (or 'row 12' / 'line 3') to the reason."""

    status = 422
    code = "invalid"

    def __init__(self, field: str | None, reason: str, fields: dict[str, str] | None = None):
        merged = dict(fields or {})
        if field and field not in merged:
            merged[field] = reason
        message = f"{field}: {reason}" if field else reason
        super().__init__(message, merged)
        self.field = field
        self.reason = reason


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
