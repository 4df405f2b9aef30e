"""The outbox backend: each message becomes an .eml file in OUTBOX_DIR (development and tests)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from core.mail import LATE, SENT, Envelope, Outcome, SendsInline, to_mime, too_late


class OutboxSession(SendsInline):
    evidence = False  # never ambiguous: a file is written or it is not

    @staticmethod
    def longest_send(config) -> float:
        return 5.0

    @staticmethod
    def in_flight(config) -> int:
        return 1  # one file at a time

    def __init__(self, config: dict):
        self.directory = Path(config["OUTBOX_DIR"])
        self.directory.mkdir(parents=True, exist_ok=True)

    def send_many(self, envelopes: list[Envelope], deadline: float | None = None) -> list[Outcome]:
        outcomes = []
        for envelope in envelopes:
            if too_late(deadline):
                outcomes.append(LATE)
                continue
            name = f"{envelope.key or secrets.token_hex(8)}-{secrets.token_hex(4)}"
            tmp = self.directory / f".{name}.tmp"
            tmp.write_bytes(bytes(to_mime(envelope)))
            os.replace(tmp, self.directory / f"{name}.eml")  # never a half-written file
            outcomes.append(Outcome(SENT, provider_id=name))
        return outcomes

    def close(self) -> None:
        pass
