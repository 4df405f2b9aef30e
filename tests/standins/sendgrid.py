"""A local stand-in for SendGrid's v3 mail-send API, for tests and benchmarks.

It validates request bodies as SendGrid does (personalizations, from, subject, content), keeps its
own log of every accepted message (recipients and custom args), and on demand answers 429 with
X-RateLimit-Reset, 500 or 503, hangs, accepts and then fails, and adds latency. With
`post_events_to(url, key)` it posts signed events about what it accepted to the app's real event
webhook (see sendgrid_events.py). The log is the witness: tests prove from it, not from the app's
own state, that nobody got two messages and nobody was skipped.

Run alone (for bench/): python -m tests.standins.sendgrid --port 8025 --latency 0.05
"""
from __future__ import annotations

import argparse
import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Faults:
    """Probabilities per request, and the latency range in seconds."""

    p429: float = 0.0
    p500: float = 0.0
    p503: float = 0.0
    p_hang: float = 0.0
    p_accept_then_fail: float = 0.0
    latency: tuple[float, float] = (0.0, 0.0)
    hang_seconds: float = 3.0


@dataclass
class Accepted:
    to: list[str]
    custom_args: dict
    at: float
    message_id: str
    headers: dict = field(default_factory=dict)
    body: dict = field(default_factory=dict)


def validate(body) -> list[dict]:
    """SendGrid's checks that matter here; returns its error objects (empty when valid)."""
    errors = []

    def err(message, fieldname):
        errors.append({"message": message, "field": fieldname, "help": None})

    if not isinstance(body, dict):
        return [{"message": "Bad Request", "field": None, "help": None}]
    ps = body.get("personalizations")
    if not isinstance(ps, list) or not ps:
        err("The personalizations field is required and must have at least one personalization.", "personalizations")
        ps = []
    for i, p in enumerate(ps):
        tos = p.get("to") if isinstance(p, dict) else None
        if not isinstance(tos, list) or not tos:
            err("The to array is required for all personalization objects, and must have at least one email "
                "object with a valid email address.", f"personalizations.{i}.to")
            continue
        for t in tos:
            if not isinstance(t, dict) or "@" not in str(t.get("email", "")):
                err("Does not contain a valid address.", f"personalizations.{i}.to")
    sender = body.get("from")
    if not isinstance(sender, dict) or "@" not in str(sender.get("email", "")):
        err("The from object must be provided for every email send.", "from")
    if not body.get("subject") and not all(isinstance(p, dict) and p.get("subject") for p in ps):
        err("The subject is required. You can get around this requirement if you use a template with a subject "
            "defined or if every personalization has a subject defined.", "subject")
    content = body.get("content")
    if not isinstance(content, list) or not content:
        err("Unless a valid template_id is provided, the content parameter is required.", "content")
    else:
        for c in content:
            if not isinstance(c, dict) or not c.get("type") or not isinstance(c.get("value"), str) or not c["value"]:
                err("The content value must be a string at least one character in length.", "content.value")
        if content and isinstance(content[0], dict) and content[0].get("type") != "text/plain" and any(
                isinstance(c, dict) and c.get("type") == "text/plain" for c in content):
            err("If present, text/plain content must be first, followed by any other content.", "content")
    return errors


class Server(ThreadingHTTPServer):
    request_queue_size = 512  # many workers connect at once
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up is part of the game


class SendgridStandin:
    def __init__(self, faults: Faults | None = None, seed: int = 0, log_path: str | None = None,
                 keep_bodies: bool = False, api_keys: set[str] | None = None):
        self.api_keys = api_keys  # None: any Bearer key is accepted
        self.faults = faults or Faults()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.requests = 0
        self.answers: dict[str, int] = {}
        self.log_path = log_path
        self.keep_bodies = keep_bodies
        self.events = None  # an EventPoster once post_events_to() is called
        self.server = Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.events is not None:
            self.events.stop()
        self.server.shutdown()
        self.server.server_close()

    # --- what tests read ---
    def recipients(self) -> list[str]:
        with self.lock:
            return [t for a in self.accepted for t in a.to]

    def post_events_to(self, url: str, private_key, faults=None, seed: int = 0):
        """Post signed events about every message accepted from now on to `url` (the app's webhook)."""
        from tests.standins.sendgrid_events import EventPoster

        self.events = EventPoster(url, private_key, faults, seed)
        self.events.start()
        return self.events

    def count(self, answer: str) -> None:
        with self.lock:
            self.answers[answer] = self.answers.get(answer, 0) + 1

    def _accept(self, body: dict, headers: dict) -> str:
        to = [t["email"] for p in body["personalizations"] for t in p["to"]]
        args = dict(body.get("custom_args") or {})
        for p in body["personalizations"]:
            args.update(p.get("custom_args") or {})
        mid = f"sg{self.rng.getrandbits(64):016x}"
        record = Accepted(to, args, time.time(), mid, dict(body.get("headers") or {}),
                          body if self.keep_bodies else {})
        with self.lock:
            self.accepted.append(record)
            if self.events is not None:
                self.events.accepted(to, args, mid)
            if self.log_path:
                with open(self.log_path, "a") as fh:
                    fh.write(json.dumps({"to": to, "custom_args": args, "at": record.at}) + "\n")
        return mid

    def _draw(self) -> str:
        f = self.faults
        with self.lock:
            x = self.rng.random()
        for name, p in (("429", f.p429), ("500", f.p500), ("503", f.p503), ("hang", f.p_hang),
                        ("accept_then_fail", f.p_accept_then_fail)):
            if x < p:
                return name
            x -= p
        return "ok"

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status: int, payload: dict | None = None, headers: dict | None = None):
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                if data:
                    self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with standin.lock:
                    standin.requests += 1
                if self.path != "/v3/mail/send":
                    return self._reply(404, {"errors": [{"message": "not found"}]})
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or (standin.api_keys is not None and auth[7:] not in standin.api_keys):
                    return self._reply(401, {"errors": [{"message": "authorization required"}]})
                low, high = standin.faults.latency
                if high:
                    time.sleep(standin.rng.uniform(low, high))
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._reply(400, {"errors": [{"message": "Bad Request", "field": None}]})
                errors = validate(body)
                if errors:
                    standin.count("400")
                    return self._reply(400, {"errors": errors})
                answer = standin._draw()
                standin.count(answer)
                if answer == "429":
                    reset = int(time.time()) + 1
                    return self._reply(429, {"errors": [{"message": "too many requests"}]},
                                       {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                                        "X-RateLimit-Reset": str(reset)})
                if answer in ("500", "503"):
                    return self._reply(int(answer), {"errors": [{"message": "service unavailable"}]})
                if answer == "hang":
                    time.sleep(standin.faults.hang_seconds)
                    self.close_connection = True
                    return None
                mid = standin._accept(body, dict(self.headers))
                if answer == "accept_then_fail":
                    if standin.rng.random() < 0.5:
                        return self._reply(500, {"errors": [{"message": "internal error"}]})
                    self.connection.shutdown(socket.SHUT_RDWR)  # taken, then the line drops
                    self.close_connection = True
                    return None
                return self._reply(202, None, {"X-Message-Id": mid})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    standin = SendgridStandin(Faults(latency=(args.latency, args.latency)))
    standin.server.server_close()
    standin.server = Server(("127.0.0.1", args.port), standin._handler())
    print(f"listening on http://127.0.0.1:{args.port}", flush=True)
    try:
        standin.server.serve_forever()
    except KeyboardInterrupt:
        pass
    print(json.dumps({"accepted": len(standin.accepted), "requests": standin.requests}), flush=True)


if __name__ == "__main__":
    main()
