"""The review before sending: how many get it, who is left out and why, and three sample letters."""
from __future__ import annotations

from dataclasses import dataclass, field

from campaigns.cases.disclosure import open_cases
from campaigns.mailings.compose import fields_needed, render, shared_context
from campaigns.mailings.preparing import REASONS, resolve
from campaigns.mailings.services import get_mailing
from core.errors import DomainError


@dataclass
class Review:
    recipients: int
    excluded: list[tuple[str, int]]  # (reason in words, count)
    missing: dict[str, int]
    samples: list[tuple[dict, object]] = field(default_factory=list)  # (contact, Rendered)
    sample_errors: list[str] = field(default_factory=list)


def review_mailing(mailing_id: int, samples: int = 3, *, reader=None, via: str = "mailing review") -> Review:
    """Counts, reasons and `samples` letters for `reader` to see: a confidential case in them is read
    under the cases' one rule and audited (`campaigns.cases.disclosure`)."""
    mailing = get_mailing(mailing_id)
    audience = resolve(mailing, fields_needed(mailing))
    excluded = [(REASONS.get(k, k), n) for k, n in sorted(audience.excluded.items(), key=lambda kv: -kv[1])]
    review = Review(len(audience.recipients), excluded, audience.missing)
    cache, shared = {}, shared_context(mailing)
    if samples and audience.recipients:
        open_cases(shared[0], reader, via)
    for contact in audience.recipients[:samples]:
        try:
            review.samples.append((contact, render(mailing, contact, cache, shared)))
        except DomainError as exc:
            review.sample_errors.append(f"{contact['email']}: {exc.message}")
    return review
