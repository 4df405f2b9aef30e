"""Values that become one mail header line: a subject, a From name, an address for Reply-To.

Python's email package splits a header value with `str.splitlines()`, which breaks a line not only
at CR and LF but at U+000B, U+000C, U+001C to U+001E, U+0085, U+2028 and U+2029; a value holding one
of them (or NUL) cannot be written and failed a whole send. Every place that accepts such a value
(a template's subject, a sender identity, a mailing's typed From name) refuses it with
`check_header`, naming the field, and the composer refuses a message whose filled-in headers hold one.
"""
from __future__ import annotations

from core.errors import ValidationError

LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # what str.splitlines() splits at
NOT_IN_HEADERS = LINE_BREAKS | {"\x00"}


def header_problem(value: str | None) -> str | None:
    """Why `value` cannot be one header line (naming the character), or None."""
    found = sorted(set(value or "") & NOT_IN_HEADERS)
    if not found:
        return None
    return f"cannot contain a line break or NUL (found U+{ord(found[0]):04X})"


def check_header(field: str, value: str | None) -> str | None:
    """`value` unchanged, or ValidationError(field, reason) when it cannot be one header line."""
    problem = header_problem(value)
    if problem:
        raise ValidationError(field, problem)
    return value


def envelope_problems(envelope) -> dict[str, str]:
    """field -> reason for every header field of an Envelope that could not be written."""
    fields = {"subject": envelope.subject, "from_name": envelope.from_name, "from_email": envelope.from_email,
              "reply_to": envelope.reply_to, "to": envelope.to}
    return {name: reason for name, value in fields.items() if (reason := header_problem(value))}
