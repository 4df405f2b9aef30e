"""The one definition of an outgoing message's states: their names, moves, ranks and named sets.

Everything that reads or writes a message's state (the sender's ledger, provider event ingestion,
chasing, case citations, the mailing pages) imports from here; no other module spells a state.

Two families of states:
- the sender's own (`queued` -> `sending` -> `sent` | `failed` | `unknown`, and `cancelled`), moved
  by the ledger's guarded statements (`TRANSITIONS`);
- what the provider reports afterwards (`deferred`, `delivered`, `bounced`, ...), which only ever
  raises a message's rank (`RANK`), so events arriving late or twice never lower it.
`unknown` means the provider may or may not have the message: with a provider that reports events it
is settled by them after a quarantine; without one (SMTP) a person decides.
"""
from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    UNKNOWN = "unknown"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    REPLIED = "replied"
    BOUNCED = "bounced"
    DROPPED = "dropped"


QUEUED, SENDING, SENT, UNKNOWN, FAILED, CANCELLED = (State.QUEUED, State.SENDING, State.SENT, State.UNKNOWN,
                                                     State.FAILED, State.CANCELLED)

SEND_STATES = (QUEUED, SENDING, SENT, UNKNOWN, FAILED, CANCELLED)
DELIVERY_STATES = (State.DELIVERED, State.DEFERRED, State.OPENED, State.CLICKED, State.REPLIED, State.BOUNCED,
                   State.DROPPED)
ALL = SEND_STATES + DELIVERY_STATES
# "The provider took it": counted as sent on progress bars and reports.
ACCEPTED = (SENT,) + DELIVERY_STATES
# Arrived in the recipient's mailbox, as the provider reported.
REACHED = (State.DELIVERED, State.OPENED, State.CLICKED, State.REPLIED)
# Still needing work (by the ledger, or by a person for an unknown that no evidence can settle).
OPEN = (QUEUED, SENDING, UNKNOWN)
# The recipient may have read it: counts as "informed" of what it said (an unknown one may have arrived).
INFORMED = (SENT, State.DELIVERED, State.OPENED, State.CLICKED, State.REPLIED, UNKNOWN)
# Arrived, or may have, and nobody answered yet: what a reminder may follow.
SILENT = (SENT, State.DEFERRED, State.DELIVERED, State.OPENED, State.CLICKED)

# The sender's moves. Provider events move along RANK instead (any send-side state may rise).
TRANSITIONS: dict[str, set[str]] = {
    QUEUED: {SENDING, CANCELLED, SENT},
    SENDING: {SENT, FAILED, QUEUED, UNKNOWN},
    UNKNOWN: {SENT, QUEUED, CANCELLED},  # by events, the quarantine's end, or a person's decision
    FAILED: {QUEUED},  # "resend to failed" makes a new mailing; events may still raise it
}

# Events may only raise a message's rank. Send-side states share rank 0: whatever the sender believed
# ('unknown' after a crash, even 'failed'), a provider event is the truth.
RANK: dict[str, int] = {QUEUED: 0, SENDING: 0, UNKNOWN: 0, FAILED: 0, CANCELLED: 0, SENT: 1,
                        State.DEFERRED: 2, State.DELIVERED: 3, State.BOUNCED: 4, State.DROPPED: 4,
                        State.OPENED: 5, State.CLICKED: 6, State.REPLIED: 7}


def can_move(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, set())


def higher(current: str | None, proposed: str | None) -> str | None:
    """The state after `proposed` is applied to `current` (ranks only go up)."""
    if proposed is None:
        return current
    if current is None or RANK.get(proposed, 0) > RANK.get(current, 0):
        return proposed
    return current


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's text: `column IN ('a', 'b')`."""
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"
