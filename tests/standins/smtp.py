"""Local SMTP servers for tests: an aiosmtpd relay handler that answers late, drops the line, defers
and refuses, keeping its own log of every copy it took; and a bare server that stops reading after 354.
Their logs are the witness of what was taken, never the sending side's own outcomes."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
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


@dataclass
class Relay:
    """Answers per recipient: `late` seconds before the final reply, a reply `at_rcpt` or `at_data_end`,
    or the connection dropped once the data has arrived (`drop`)."""

    late: dict[str, float] = field(default_factory=dict)
    at_rcpt: dict[str, str] = field(default_factory=dict)
    at_data_end: dict[str, str] = field(default_factory=dict)
    drop: set[str] = field(default_factory=set)
    copies: list[Copy] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)
    url: str = ""  # smtp://127.0.0.1:port once it runs

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.connections.add(id(session))
        if address in self.at_rcpt:
            return self.at_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        [to] = envelope.rcpt_tos
        copy = Copy(list(envelope.rcpt_tos), envelope.original_content, time.monotonic())
        self.copies.append(copy)
        if to in self.drop:
            server.transport.abort()
            return "250 OK"  # never heard: the line is gone
        await asyncio.sleep(self.late.get(to, 0))
        copy.answered = time.monotonic()
        return self.at_data_end.get(to, "250 OK")

    def taken(self, to: str) -> int:
        return sum(c.to == [to] for c in self.copies)


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
