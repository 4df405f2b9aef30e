"""Ingesting signed SendGrid event batches end to end: HTTP request to committed rows.

Serves the real app with a WSGI server (werkzeug's, in a separate process), fills a database with one
mailing of sent messages, then posts signed batches of events (mixed kinds, shuffled, some repeated,
as SendGrid delivers them) over keep-alive HTTP and waits for each answer, which comes after the
commit. Prints events per second, and beside it the floor: verifying the same batches' signatures
alone, in this process.

    python bench/events_ingest.py                                   # SQLite file in a temp folder
    python bench/events_ingest.py --database-url postgresql+psycopg://127.0.0.1:5432/bench
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.mail.sendgrid import KEY_ARG  # noqa: E402

KINDS = [("processed", 30), ("delivered", 30), ("open", 15), ("click", 8), ("deferred", 7), ("bounce", 3),
         ("dropped", 2), ("spamreport", 1), ("unsubscribe", 1), ("open_machine", 3)]


def app_for(url: str, public_key: str):
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SENDGRID_WEBHOOK_PUBLIC_KEY": public_key})


def prepare(url: str, public_key: str, messages: int) -> list[tuple[str, str]]:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from campaigns.mailings.models import Mailing, Message
    from core.db import db

    app = app_for(url, public_key)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"), revision="heads")
        mailing = Mailing(name="bench", status="done", from_email="bench@outreach.example", case_ids=[])
        db.session.add(mailing)
        db.session.flush()
        sent = datetime.now(timezone.utc) - timedelta(hours=2)
        rows = [{"mailing_id": mailing.id, "email": f"r{i}@bench.example", "key": secrets.token_urlsafe(15),
                 "state": "sent", "sent_at": sent, "attempts": 1} for i in range(messages)]
        db.session.execute(insert(Message), rows)
        db.session.commit()
        found = db.session.execute(select(Message.key, Message.email).where(Message.mailing_id == mailing.id)).all()
        db.engine.dispose()
    return [tuple(r) for r in found]


def make_batches(recipients, batches: int, size: int, duplicates: float, rng: random.Random) -> list[bytes]:
    kinds = [k for k, w in KINDS for _ in range(w)]
    now = int(time.time())
    seen: list[dict] = []
    out = []
    for _ in range(batches):
        batch = []
        for _ in range(size):
            if seen and rng.random() < duplicates:
                batch.append(rng.choice(seen))  # SendGrid retries: the same sg_event_id again
                continue
            key, email = rng.choice(recipients)
            kind = rng.choice(kinds)
            ev = {"event": kind.replace("_machine", ""), "email": email, "timestamp": now - rng.randint(0, 3600),
                  "sg_event_id": secrets.token_urlsafe(16), "sg_message_id": f"{key}.filter0001", KEY_ARG: key}
            if kind == "open_machine":
                ev["sg_machine_open"] = True
            if kind == "bounce":
                ev.update(type=rng.choice(["bounce", "blocked"]), status="5.1.1", reason="550 5.1.1 unknown user")
            batch.append(ev)
            seen.append(ev)
        out.append(json.dumps(batch).encode())
    return out


def serve(url: str, public_key: str, port_queue, threaded: bool) -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request is noise here
    WSGIRequestHandler.protocol_version = "HTTP/1.1"  # keep-alive, as SendGrid's poster uses
    server = make_server("127.0.0.1", 0, app_for(url, public_key), threaded=threaded,
                         request_handler=WSGIRequestHandler)
    port_queue.put(server.server_port)
    server.serve_forever()


def backend_cpu(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends serving the benchmark's app (Linux, same host)."""
    if not url.startswith("postgresql"):
        return None
    import sqlalchemy as sa

    engine = sa.create_engine(url.split("?")[0])
    try:
        with engine.connect() as conn:
            pids = [r[0] for r in conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-events'"))]
    finally:
        engine.dispose()
    found = [process_cpu(pid) for pid in pids]
    return None if None in found else sum(found)


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post_all(port: int, bodies: list[bytes], headers: list[dict], concurrency: int) -> list[dict]:
    def worker(indexes):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        results = []
        for i in indexes:
            conn.request("POST", "/webhooks/sendgrid/events", body=bodies[i], headers=headers[i])
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise SystemExit(f"batch {i}: HTTP {response.status}: {data[:200]!r}")
            results.append(json.loads(data))
        conn.close()
        return results

    shares = [list(range(i, len(bodies), concurrency)) for i in range(concurrency)]
    with ThreadPoolExecutor(concurrency) as pool:
        return [r for part in pool.map(worker, shares) for r in part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp folder")
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--duplicates", type=float, default=0.05, help="share of events sent again")
    parser.add_argument("--concurrency", type=int, default=1, help="parallel HTTP connections")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-events-')}/bench.sqlite"
    base, schema = url, None
    if url.startswith("postgresql"):  # a schema of its own, dropped at the end
        import sqlalchemy as sa

        schema = f"bench_{secrets.token_hex(4)}"
        with sa.create_engine(base).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}&application_name=bench-events"
    try:
        run(args, url)
    finally:
        if schema:
            with sa.create_engine(base).begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def run(args, url: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from campaigns.responses.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, load_public_key, public_key_text, sign

    key = ec.generate_private_key(ec.SECP256R1())
    public = public_key_text(key)
    recipients = prepare(url, public, args.messages)
    bodies = make_batches(recipients, args.batches, args.batch_size, args.duplicates, random.Random(args.seed))
    events = args.batches * args.batch_size

    ctx = multiprocessing.get_context("spawn")
    ports = ctx.Queue()
    server = ctx.Process(target=serve, args=(url, public, ports, args.concurrency > 1), daemon=True)
    server.start()
    port = ports.get(timeout=120)
    try:
        stamp = str(int(time.time()))
        headers = [{"Content-Type": "application/json", SIGNATURE_HEADER: sign(key, b, stamp),
                    TIMESTAMP_HEADER: stamp} for b in bodies]
        post_all(port, bodies[:1], headers[:1], 1)  # warm up: imports, connection pool, caches
        load_before = os.getloadavg()[0]
        db_cpu_before, app_cpu_before = backend_cpu(url), process_cpu(server.pid)
        started = time.perf_counter()
        results = post_all(port, bodies[1:], headers[1:], args.concurrency)
        elapsed = time.perf_counter() - started
        db_cpu, app_cpu = backend_cpu(url), process_cpu(server.pid)
        app_cpu = app_cpu - app_cpu_before if app_cpu is not None and app_cpu_before is not None else None
        db_cpu = db_cpu - db_cpu_before if db_cpu is not None and db_cpu_before is not None else None
    finally:
        server.terminate()
        server.join(10)

    verifier = load_public_key(public)
    floor_started = time.perf_counter()
    for body, h in zip(bodies, headers):
        verifier.verify(body, h[SIGNATURE_HEADER], h[TIMESTAMP_HEADER], now=time.time())
    floor = time.perf_counter() - floor_started

    posted = events - args.batch_size
    recorded = sum(r["recorded"] for r in results)
    duplicates = sum(r["duplicates"] for r in results)
    print(f"database: {url.split('://')[0]}; batches: {args.batches - 1} x {args.batch_size} events "
          f"(after one warm-up batch); messages: {args.messages}; duplicates sent: {args.duplicates:.0%}; "
          f"HTTP connections: {args.concurrency}; CPUs: {os.cpu_count()}; load average before/after: "
          f"{load_before:.1f}/{os.getloadavg()[0]:.1f}")
    print(f"recorded {recorded} new events, {duplicates} duplicates ignored")
    print(f"end to end (HTTP request to committed rows): {posted / elapsed:,.0f} events/s "
          f"({elapsed / (args.batches - 1) * 1000:.1f} ms per batch of {args.batch_size})")
    if app_cpu is not None:
        used = app_cpu + (db_cpu or 0.0)
        print(f"CPU used per batch: app server {app_cpu / (args.batches - 1) * 1000:.0f} ms"
              + (f", PostgreSQL {db_cpu / (args.batches - 1) * 1000:.0f} ms" if db_cpu is not None else "")
              + f"; events per CPU-second of that work: {posted / used:,.0f}")
    print(f"floor, signature verification alone: {events / floor:,.0f} events/s "
          f"({floor / args.batches * 1000:.2f} ms per batch)")


if __name__ == "__main__":
    main()
