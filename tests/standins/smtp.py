"""Local SMTP servers for tests: an aiosmtpd relay handler that answers late, drops the line, defers
and refuses, keeping its own log of every copy it took; and a bare server that stops reading after 354.
Their logs are the witness of what was taken, never the sending side's own outcomes."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Copy:
    to: list[str]
    data: bytes
    received: float  # when the data (through the final dot) had arrived
    answered: float = 0.0  # when the final reply went back
    reply: str = ""  # the final reply; "" while the relay holds it unanswered or when the line was cut

    @property
    def taken(self) -> bool:
        """The relay has it and may deliver it: it did not refuse it (answered 250, late, or cut off)."""
        return not self.reply.startswith(("4", "5"))


@dataclass
class Relay:
    """Answers per recipient: `late` seconds before the final reply, a reply `at_rcpt` or `at_data_end`,
    or the connection dropped once the data has arrived (`drop`). A recipient in `times` meets its
    faults on its first `times[address]` attempts only (counted at RCPT), and is served plainly after;
    one not in `times` meets them on every attempt."""

    late: dict[str, float] = field(default_factory=dict)
    at_rcpt: dict[str, str] = field(default_factory=dict)
    at_data_end: dict[str, str] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    times: dict[str, int] = field(default_factory=dict)
    copies: list[Copy] = field(default_factory=list)
    attempts: Counter = field(default_factory=Counter)  # RCPT commands seen per recipient
    connections: set[int] = field(default_factory=set)
    url: str = ""  # smtp://127.0.0.1:port once it runs

    def faulty(self, address: str) -> bool:
        """Whether this attempt of `address` meets its faults (see `times`)."""
        return address not in self.times or self.attempts[address] <= self.times[address]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.connections.add(id(session))
        self.attempts[address] += 1
        if address in self.at_rcpt and self.faulty(address):
            return self.at_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        [to] = envelope.rcpt_tos
        copy = Copy(list(envelope.rcpt_tos), envelope.original_content, time.monotonic())
        self.copies.append(copy)
        faulty = self.faulty(to)
        if to in self.drop and faulty:
            server.transport.abort()
            return "250 OK"  # never heard: the line is gone
        await asyncio.sleep(self.late.get(to, 0) if faulty else 0)
        copy.answered = time.monotonic()
        copy.reply = self.at_data_end.get(to, "250 OK") if faulty else "250 OK"
        return copy.reply

    def taken(self, to: str) -> int:
        """Copies for `to` the relay has (a copy it refused at the data's end is not one)."""
        return sum(c.to == [to] and c.taken for c in self.copies)

    def recipients(self) -> Counter:
        """How many copies each recipient has at the relay: the witness of a whole mailing."""
        return Counter(c.to[0] for c in self.copies if c.taken)


@contextmanager
def running(relay: Relay):
    """The relay listening on a free loopback port for the `with` block."""
    controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    controller.start()
    relay.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield relay
    finally:
        controller.stop()


class Stalling:
    """A bare SMTP server that says 354 to DATA and then stops reading: the data can never all leave."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"smtp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.done = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        conn, _ = self.listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 stalling\r\n")
            for line in lines:
                verb = line[:4].upper()
                conn.sendall(b"354 go on\r\n" if verb == b"DATA" else b"250 OK\r\n")
                if verb == b"DATA":
                    self.done.wait(10)  # reads nothing more
                    return

    def close(self):
        self.done.set()
        self.listener.close()
