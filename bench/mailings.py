"""Mailing throughput: prepare N recipients, deliver with W rq workers to a SendGrid stand-in that
answers after L ms, and compare with the floor (the same renders and requests in one bare loop).

    python bench/mailings.py [--recipients 100000] [--workers 2] [--latency 0.05]

Needs PostgreSQL and Redis (TEST_POSTGRES_URL, TEST_REDIS_URL as for the tests). Prints every
figure with its parameters: the review page's work, prepare time, delivery rate, floor, ratio, worker peak RSS, Redis memory.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-secret-key")
os.environ.setdefault("DATA_ENCRYPTION_KEY", "dGVzdC1kYXRhLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
os.environ.setdefault("DATA_LOOKUP_KEY", "dGVzdC1sb29rdXAta2V5LW5vdC1mb3ItcHJvZHVjdGk=")
for name in ("REDIS_URL", "DATABASE_URL"):
    os.environ.pop(name, None)


def die_with_parent() -> None:
    """Run in each child before exec: the kernel kills it when the bench goes, however the bench goes.
    A stray worker left behind would take the next run's jobs (Redis database 15) and skew it."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def rss_peak(pids: set[int], peak: dict) -> None:
    for pid in list(pids):
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        for p in [pid, *map(int, children)]:
            try:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        peak[p] = max(peak.get(p, 0), int(line.split()[1]) // 1024)
            except OSError:
                pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipients", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--worker-log", default="", help="append the workers' logs to this file")
    ap.add_argument("--floor-recipients", type=int, default=0, help="default: the same as --recipients")
    ap.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test"))
    ap.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/15")
    args = ap.parse_args()
    from redis import Redis

    from app import create_app
    from flask_migrate import upgrade

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(args.postgres)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{args.postgres}?options=-csearch_path%3D{schema}"
    redis = Redis.from_url(args.redis)
    redis.flushdb()
    port = 18000 + os.getpid() % 1000
    standin = subprocess.Popen([sys.executable, "-m", "tests.standins.sendgrid", "--port", str(port),
                                "--latency", str(args.latency)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               preexec_fn=die_with_parent)
    standin.stdout.readline()
    host = f"http://127.0.0.1:{port}"
    config = {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": args.redis, "MAIL_BACKEND": "sendgrid",
              "SENDGRID_API_HOST": host, "SENDGRID_API_KEY": "SG.bench"}
    workers: list[subprocess.Popen] = []
    try:
        app = create_app(config)
        with app.app_context():
            upgrade(revision="heads")
            figures = run(app, args, redis, host, url, workers)
    finally:
        for w in workers:
            try:
                os.killpg(w.pid, signal.SIGKILL)  # the worker, its work horse and its scheduler process
            except ProcessLookupError:
                pass
        for w in workers:
            w.wait()  # a killed worker's open transactions end before the schema is dropped
        standin.terminate()
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        redis.flushdb()
    print(f"parameters: recipients={args.recipients} workers={args.workers} latency={args.latency * 1000:.0f}ms "
          f"database=postgresql cores={os.cpu_count()}")
    for name, value in figures.items():
        print(f"{name}: {value}")


def run(app, args, redis, host, url, workers) -> dict:
    from campaigns.mailings import jobs, services
    from campaigns.mailings.preparing import prepare_mailing
    from core.db import db
    from tests.campaigns.mailings.factories import make_contacts, make_mailing

    n = args.recipients
    make_contacts(n)
    mailing_id = make_mailing()
    from accounts.models import User
    from campaigns.mailings.review import review_mailing

    started = time.monotonic()
    reader = User(email="bench@example.org", role="campaigner")  # reads the samples (audited: the case is confidential)
    review = review_mailing(mailing_id, reader=reader)  # what the review page computes before anyone sends
    review_seconds = time.monotonic() - started
    db.session.remove()
    redis_before = redis.info("memory")["used_memory"]
    started = time.monotonic()
    queued = prepare_mailing(mailing_id)
    jobs.dispatch(mailing_id)
    prepare_seconds = time.monotonic() - started
    redis_after_prepare = redis.info("memory")["used_memory"]
    env = dict(os.environ, DATABASE_URL=url, REDIS_URL=args.redis, MAIL_BACKEND="sendgrid",
               SENDGRID_API_HOST=host, SENDGRID_API_KEY="SG.bench")
    log = open(args.worker_log, "a") if args.worker_log else subprocess.DEVNULL
    for _ in range(args.workers):
        workers.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=ROOT, env=env,
                                        preexec_fn=die_with_parent, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=log))
    peak: dict[int, int] = {}
    redis_peak = 0
    first_sent = None
    shown = time.monotonic()
    while True:
        rss_peak({w.pid for w in workers}, peak)
        redis_peak = max(redis_peak, redis.info("memory")["used_memory"])
        p = services.progress(mailing_id)
        db.session.remove()
        if first_sent is None and p["counts"]["accepted"]:
            first_sent = time.monotonic()
        if p["status"] == "done":
            break
        if time.monotonic() - shown >= 5:
            shown = time.monotonic()
            print(f"  ... {p['status']}: " + ", ".join(f"{k} {v}" for k, v in p["counts"].items() if v),
                  file=sys.stderr, flush=True)
        time.sleep(0.5)
    done = time.monotonic()
    rate = n / (done - first_sent)
    floor_n = args.floor_recipients or n
    floor_rate = floor(app, mailing_id, floor_n)
    return {
        "review (counts, exclusions, three samples)": f"{review_seconds:.1f} s for {review.recipients} recipients",
        "prepare (rows and first jobs)": f"{prepare_seconds:.1f} s for {queued} messages",
        "delivery rate": f"{rate:.0f} messages/s ({n} in {done - first_sent:.1f} s, first to last accepted)",
        "floor (bare loop, same renders and requests)": f"{floor_rate:.0f} messages/s over {floor_n}",
        "ratio": f"{rate / floor_rate:.2f}",
        "worker peak RSS": f"{max(peak.values()) if peak else 0} MB (largest of {len(peak)} processes)",
        "redis memory": f"before {redis_before / 1e6:.1f} MB, after prepare {redis_after_prepare / 1e6:.1f} MB, "
                        f"peak {redis_peak / 1e6:.1f} MB, after {redis.info('memory')['used_memory'] / 1e6:.1f} MB",
    }


def floor(app, mailing_id: int, n: int) -> float:
    """The same per-recipient work with no database, no queue: render, build, send, in one process."""
    from campaigns.mailings.compose import Composer
    from campaigns.mailings.models import Mailing
    from core import mail
    from core.db import db

    mailing = db.session.get(Mailing, mailing_id)
    composer = Composer(mailing, app.config)
    session = mail.open_session(app.config)
    chunk = app.config["MAILING_CHUNK"]
    started = time.monotonic()
    for start in range(0, n, chunk):
        envelopes = [composer.envelope(f"floor{i}", f"floor{i}@example.org",
                                       {"name": f"Person {i}", "salutation": f"Dear Person {i}", "language": "en",
                                        "email": f"floor{i}@example.org"})
                     for i in range(start, min(n, start + chunk))]
        outcomes = session.send_many(envelopes)
        assert all(o.kind == mail.SENT for o in outcomes)
    return n / (time.monotonic() - started)


if __name__ == "__main__":
    import signal

    threading.current_thread().name = "bench"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a `timeout` still cleans up (finally blocks)
    main()
