"""The SendGrid client's own cost: requests per second and client CPU per request against the stand-in.

    python bench/sendgrid_client.py [--requests 10240] [--latency 0.05] [--concurrency 256]

Sends the same one-recipient bodies through `core.mail.sendgrid.SendgridSession` (aiohttp, one event
loop) and, for comparison, through urllib3 driven by a thread pool of the same size (the client
used before; skipped if urllib3 is not installed). The stand-in runs in its own process, so the CPU
figure (user + system, all threads) is the client's alone: body building, JSON and HTTP.
"""
from __future__ import annotations

import argparse
import json
import resource
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.mail import Envelope  # noqa: E402
from core.mail.sendgrid import SendgridSession, build_body  # noqa: E402


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def envelopes(n: int) -> list[Envelope]:
    text = "Your Excellency,\n\n" + "We write about the case of a detained journalist. " * 30
    return [Envelope(to=f"envoy{i}@example.org", subject="Appeal", text=text, html=None,
                     from_email="campaigns@example.net", from_name="Campaign", key=f"key{i:08d}")
            for i in range(n)]


def ours(url: str, batch: list[Envelope], rounds: int, concurrency: int) -> None:
    session = SendgridSession({"SENDGRID_API_HOST": url, "SENDGRID_API_KEY": "SG.bench",
                               "SENDGRID_CONCURRENCY": concurrency})
    for _ in range(rounds):
        assert {o.kind for o in session.send_many(batch)} == {"sent"}


def urllib3_threads(url: str, batch: list[Envelope], rounds: int, concurrency: int) -> None:
    import urllib3

    pool = urllib3.PoolManager(maxsize=concurrency, block=True, retries=False,
                               timeout=urllib3.Timeout(connect=5, read=20))
    headers = {"Authorization": "Bearer SG.bench", "Content-Type": "application/json"}

    def send(envelope: Envelope) -> int:
        body = json.dumps(build_body(envelope), separators=(",", ":")).encode()
        return pool.request("POST", url + "/v3/mail/send", body=body, headers=headers).status

    with ThreadPoolExecutor(concurrency) as executor:
        for _ in range(rounds):
            assert set(executor.map(send, batch)) == {202}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10240)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, default=256)
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    standin = subprocess.Popen([sys.executable, "-m", "tests.standins.sendgrid", "--port", str(port),
                                "--latency", str(args.latency)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    standin.stdout.readline()
    url = f"http://127.0.0.1:{port}"
    batch = envelopes(args.concurrency)
    rounds = max(1, args.requests // len(batch))
    n = rounds * len(batch)
    print(f"parameters: requests={n} concurrency={args.concurrency} latency={args.latency * 1000:.0f}ms")
    try:
        for name, client in (("aiohttp, one event loop (ours)", ours), ("urllib3, thread pool", urllib3_threads)):
            if client is urllib3_threads:
                try:
                    import urllib3  # noqa: F401
                except ImportError:
                    print(f"{name}: skipped (urllib3 is not installed)")
                    continue
            client(url, batch, 1, args.concurrency)  # connections open, code warm
            started, used = time.monotonic(), cpu()
            client(url, batch, rounds, args.concurrency)
            wall, spent = time.monotonic() - started, cpu() - used
            print(f"{name}: {n / wall:.0f} requests/s, client CPU {spent / n * 1e6:.0f} us per request")
    finally:
        standin.terminate()
        standin.wait()


if __name__ == "__main__":
    main()
