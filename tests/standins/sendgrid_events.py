"""The stand-in's event webhook: what SendGrid posts back about the messages it accepted.

For every accepted message it makes a `processed` and a `delivered` event shaped as SendGrid's are
(the message's custom args copied to the top level of each event, `sg_message_id` as
"<X-Message-Id>.filter..."), and posts them, signed with ECDSA P-256 over timestamp + body, to the
app's real `/webhooks/sendgrid/events` over HTTP, in batches. As the real service does, it delays
them, sends some twice, out of order, loses some (never both of one message's) and retries a post
that did not get a 2xx. It knows nothing of the app's key names: whatever the sender put in the
custom args is what comes back.
"""
from __future__ import annotations

import json
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from campaigns.responses.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


@dataclass
class EventFaults:
    delay: tuple[float, float] = (0.2, 1.0)  # seconds from acceptance to the post
    p_duplicate: float = 0.0                  # an event posted a second time, later
    p_lost: float = 0.0                       # one of a message's two events never posted
    batch: int = 200


class EventPoster(threading.Thread):
    def __init__(self, url: str, private_key, faults: EventFaults | None = None, seed: int = 0):
        super().__init__(daemon=True, name="sendgrid-events")
        self.url, self.key = url, private_key
        self.faults = faults or EventFaults()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.pending: list[tuple[float, dict]] = []  # (due, event)
        self.posted = self.refused = self.retries = 0
        self.halt = threading.Event()

    # --- fed by the stand-in as it accepts messages ---
    def accepted(self, to: list[str], custom_args: dict, message_id: str) -> None:
        now, f = time.time(), self.faults
        with self.lock:
            for email in to:
                events = [self._event(kind, email, custom_args, message_id) for kind in ("processed", "delivered")]
                if self.rng.random() < f.p_lost:
                    events.pop(self.rng.randrange(2))
                for event in events:  # each its own delay: 'delivered' may come before 'processed'
                    self.pending.append((now + self.rng.uniform(*f.delay), event))
                    if self.rng.random() < f.p_duplicate:
                        self.pending.append((now + self.rng.uniform(*f.delay) * 2, dict(event)))

    @staticmethod
    def _event(kind: str, email: str, custom_args: dict, message_id: str) -> dict:
        return {**custom_args, "email": email, "timestamp": int(time.time()), "event": kind,
                "sg_event_id": secrets.token_urlsafe(16), "sg_message_id": f"{message_id}.filter0001.1.0",
                "smtp-id": f"<{message_id}@ismtpd0001p1lon1.sendgrid.net>"}

    # --- the posting loop ---
    def run(self) -> None:
        while not self.halt.is_set():
            self._post_due()
            self.halt.wait(0.1)

    def _post_due(self) -> None:
        now = time.time()
        with self.lock:
            due = [e for d, e in self.pending if d <= now]
            self.pending = [(d, e) for d, e in self.pending if d > now]
        for i in range(0, len(due), self.faults.batch):
            batch = due[i:i + self.faults.batch]
            if not self._post(batch):
                with self.lock:  # SendGrid retries anything but a 2xx, later
                    self.retries += 1
                    self.pending.extend((time.time() + 0.3, e) for e in batch)

    def _post(self, events: list[dict]) -> bool:
        body = json.dumps(events).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(self.key, body, stamp),
            TIMESTAMP_HEADER: stamp, "User-Agent": "SendGrid Event API"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, OSError):
            ok = False
        with self.lock:
            if ok:
                self.posted += len(events)
            else:
                self.refused += 1
        return ok

    def waiting(self) -> int:
        with self.lock:
            return len(self.pending)

    def drain(self, timeout: float = 30) -> None:
        """Wait until every event has been posted (or the timeout passes)."""
        end = time.monotonic() + timeout
        while self.waiting() and time.monotonic() < end:
            time.sleep(0.1)
        self._post_due()

    def stop(self) -> None:
        self.halt.set()
        self.join(5)
