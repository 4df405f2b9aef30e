"""Where a recipient's reply goes: the one decision, used by mailings, test copies and chases.

When inbound reply capture is configured (INBOUND_REPLY_DOMAIN, whose mail reaches the app through
SendGrid Inbound Parse), each message's Reply-To is `reply+<key>@<that domain>`, so a reply is matched
to the message and shown in the app. Otherwise the Reply-To the campaigner typed is kept as it is, or
there is none and replies go to the From address. Pure: no database, no request.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol


class Sender(Protocol):
    """A mailing or a sender identity: anything with these three attributes."""

    from_name: str
    from_email: str
    reply_to: str | None


def capture_domain(config: Mapping) -> str | None:
    return config.get("INBOUND_REPLY_DOMAIN") or None


def reply_address(sender: Sender, key: str, config: Mapping) -> str | None:
    """The Reply-To header of one message with this key (None: no header, replies go to From)."""
    domain = capture_domain(config)
    if domain:
        return f"reply+{key}@{domain}"
    return sender.reply_to or None


def unsubscribe_address(key: str, config: Mapping) -> str | None:
    """The List-Unsubscribe mailto: only where mail to it reaches the app (the capture domain)."""
    domain = capture_domain(config)
    return f"unsubscribe+{key}@{domain}" if domain else None


@dataclass(frozen=True)
class ReplyRoute:
    """What the review page says about replies."""

    shown: str  # the Reply-To as recipients see it ("" when there is none)
    captured: bool
    goes_to: str  # where replies end up


def reply_route(sender: Sender, config: Mapping) -> ReplyRoute:
    domain = capture_domain(config)
    if domain:
        return ReplyRoute(f"reply+<key>@{domain}", True, "this app (Responses)")
    if sender.reply_to:
        return ReplyRoute(sender.reply_to, False, sender.reply_to)
    return ReplyRoute("", False, sender.from_email)
