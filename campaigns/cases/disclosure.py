"""Who may read a confidential case's content, and the record every reading leaves.

A confidential case (`public` false; the family refused publicity) is read on its page, through the
API, and whenever it is rendered into something a person sees: a template preview, a mailing's
review samples, a test copy. All of them ask `open_cases` here, so one rule decides and each reading
writes the same `case.view_confidential` record (with `via`, where it was read) to the audit trail.

The rule today: staff of at least READ_CONFIDENTIAL may read a confidential case's summary, charges,
place of detention, timeline and notes. To narrow it, change READ_CONFIDENTIAL: every path follows.
"""
from __future__ import annotations

from typing import Iterable

from core import audit
from core.db import db
from core.errors import DomainError
from core.security import RANK, role_of

READ_CONFIDENTIAL = "viewer"  # the least role that may read a confidential case's content


class ConfidentialRefused(DomainError):
    status = 403
    code = "forbidden"


def may_read_confidential(reader) -> bool:
    return RANK[role_of(reader)] >= RANK[READ_CONFIDENTIAL]


def _key(case) -> tuple[int, bool]:
    if isinstance(case, dict):
        return case["id"], bool(case.get("public"))
    return case.id, bool(case.public)


def open_cases(cases: Iterable, reader, via: str) -> None:
    """Before `reader` sees the content of `cases` (Case rows or `case_data` dicts): refuse with
    ConfidentialRefused if one is confidential and the rule does not let them read it, else audit
    each confidential case once for this reading and commit the record (a failed render may still
    show a value in its error: the record must not wait for the render to succeed)."""
    hidden = sorted({case_id for case_id, public in map(_key, cases) if not public})
    if not hidden:
        return
    if not may_read_confidential(reader):
        raise ConfidentialRefused(f"case {hidden[0]} is confidential: your role may not read it")
    actor = {"actor_id": getattr(reader, "id", None), "actor_email": getattr(reader, "email", None)}
    for case_id in hidden:
        audit.record("case.view_confidential", f"case:{case_id}", {"via": via}, **actor)
    db.session.commit()
