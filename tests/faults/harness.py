"""Real rq worker processes for fault tests: start, SIGKILL (a work horse or a whole worker), restart.

Workers run `python -m flask --app app worker` against the test's own database and Redis, with the
SendGrid backend pointed at the stand-in, or (`backend="smtp"`) the SMTP backend pointed at a local
relay. The SendGrid stand-in posts its signed events to the app's real event webhook over HTTP
(`ProviderEvents`), as SendGrid does; an SMTP relay has no events.
"""
from __future__ import annotations

import os
from collections import Counter
import signal
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from campaigns.responses.signatures import public_key_text
from tests.standins.live import LiveApp
from tests.standins.sendgrid_events import EventFaults

ROOT = Path(__file__).resolve().parents[2]
FAST = {  # short leases and quarantine so a test recovers in seconds, not minutes
    "MAILING_LEASE_SECONDS": "8", "MAILING_QUARANTINE_SECONDS": "3", "MAILING_PUMP_SECONDS": "1.0",
    "MAILING_REDISPATCH_SECONDS": "10", "MAILING_RETRY_SECONDS": "0.25", "MAILING_BATCH_SIZE": "100", "MAILING_CHUNK": "25",
    "MAILING_JOB_SECONDS": "30", "SENDGRID_CONNECT_TIMEOUT": "1", "SENDGRID_READ_TIMEOUT": "1.5",
    "SENDGRID_CONCURRENCY": "8",
}
SMTP_FAST = {  # every phase's timeout short, so a silent relay costs seconds; a test may override them
    "SMTP_CONNECT_TIMEOUT": "2", "SMTP_COMMAND_TIMEOUT": "2", "SMTP_DATA_START_TIMEOUT": "2",
    "SMTP_DATA_TIMEOUT": "2", "SMTP_FINAL_TIMEOUT": "2", "SMTP_CONCURRENCY": "4",
}


EVENT_KEY = ec.generate_private_key(ec.SECP256R1())  # the stand-in signs its event posts with it


def private_redis(redis_url: str) -> str:
    """A Redis database of this test process alone (other test sessions on the machine use 1 and 2),
    so no other session's workers take our jobs or flush our queue."""
    import redis

    base = redis_url.rsplit("/", 1)[0]
    url = f"{base}/{3 + os.getpid() % 13}"
    redis.Redis.from_url(url).flushdb()
    return url


def _backend(backend: str, standin_url: str) -> dict[str, str]:
    """The delivery settings for `backend`, pointed at the stand-in (SendGrid) or the relay (SMTP)."""
    if backend == "smtp":
        return {**SMTP_FAST, "MAIL_BACKEND": "smtp", "SMTP_URL": standin_url}
    if backend == "sendgrid":
        return {"MAIL_BACKEND": "sendgrid", "SENDGRID_API_HOST": standin_url, "SENDGRID_API_KEY": "SG.test"}
    raise ValueError(f"no fault-test settings for the {backend!r} backend")


def worker_env(database_url: str, redis_url: str, standin_url: str, backend: str = "sendgrid", **extra: str) -> dict:
    env = dict(os.environ)
    env.update(FAST)
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, **_backend(backend, standin_url),
                "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"})
    env.update(extra)
    return env


def app_config(redis_url: str, standin_url: str, backend: str = "sendgrid", **extra) -> dict:
    """The same settings for the test's own app (it prepares, dispatches and reads)."""
    settings = {**FAST, **_backend(backend, standin_url)}
    config = {k: _number(v) for k, v in settings.items()}
    config.update({"REDIS_URL": redis_url})
    if backend == "sendgrid":
        config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = public_key_text(EVENT_KEY)
    config.update(extra)
    return config


def _number(value: str):
    """An environment value as create_app would read it: numbers as numbers, anything else as is."""
    try:
        return float(value) if "." in value else int(value)
    except ValueError:
        return value


class Workers:
    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir = env, log_dir
        self.procs: list[subprocess.Popen] = []
        self.started = 0

    def start(self, n: int = 1) -> None:
        for _ in range(n):
            self.started += 1
            log = open(self.log_dir / f"worker{self.started}.log", "w")
            self.procs.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"],
                                               cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def alive(self) -> list[subprocess.Popen]:
        self.procs = [p for p in self.procs if p.poll() is None]
        return self.procs

    @staticmethod
    def horses(proc: subprocess.Popen) -> list[int]:
        """Children in a process group of their own: rq's work horses (not its scheduler)."""
        try:
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        except OSError:
            return []
        found = []
        for pid in map(int, children):
            try:
                if os.getpgid(pid) == pid:
                    found.append(pid)
            except ProcessLookupError:
                pass
        return found

    def kill_horse(self, rng) -> bool:
        candidates = [(p, h) for p in self.alive() for h in self.horses(p)]
        if not candidates:
            return False
        _, horse = rng.choice(candidates)
        _kill_group(horse)
        return True

    def kill_worker(self, rng) -> None:
        procs = self.alive()
        if not procs:
            return
        proc = rng.choice(procs)
        for horse in self.horses(proc):
            _kill_group(horse)
        _kill_group(proc.pid)
        proc.wait(5)

    def stop(self) -> None:
        for proc in self.alive():
            for horse in self.horses(proc):
                _kill_group(horse)
            _kill_group(proc.pid)
            proc.wait(5)


def kill_at_random(workers: Workers, rng, seconds: float, keep: int = 2) -> Counter:
    """For `seconds`, SIGKILL a work horse (most often) or a whole worker (then start a new one) at
    random moments; at the end, `keep` workers are running again. Returns what was killed."""
    kills = Counter()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(rng.uniform(0.2, 0.9))
        if rng.random() < 0.6:
            kills["horse"] += workers.kill_horse(rng)
        else:
            workers.kill_worker(rng)
            kills["worker"] += 1
            time.sleep(rng.uniform(0, 0.5))
            workers.start(1)
    while len(workers.alive()) < keep:
        workers.start(1)
    return kills


def readers_do_not_block_writers(app) -> None:
    """SQLite: WAL, so the test's polling does not block the workers' writes (kept in the file)."""
    from sqlalchemy import text

    from core.db import db

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                conn.execute(text("PRAGMA journal_mode=WAL"))


def wait_settled(app, which, expected: int, timeout: float) -> Counter:
    """Wait until `expected` messages match the condition `which` and none of them is open (queued,
    sending, unknown); return how many ended in each state."""
    from sqlalchemy import select

    from campaigns.mailings.models import Message
    from core.db import db
    from core.mail import states

    start = time.monotonic()
    last = -1
    while True:
        with app.app_context():
            found = Counter(db.session.execute(select(Message.state).where(which)).scalars())
            db.session.remove()
        total, open_ = sum(found.values()), sum(n for s, n in found.items() if s in states.OPEN)
        elapsed = time.monotonic() - start
        if (total == expected and not open_) or elapsed > timeout:
            print(f"settled={total == expected and not open_} {elapsed:.1f}s after the chaos: {dict(found)}")
            return found
        if int(elapsed) % 3 == 0 and int(elapsed) != last:
            last = int(elapsed)
            print(f"{elapsed:5.1f}s {dict(found)}")
        time.sleep(0.3)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class ProviderEvents:
    """The provider's event webhook, as in production: the app served over HTTP, and the stand-in
    posting signed events (delayed, duplicated, out of order, some lost) to its real endpoint."""

    def __init__(self, app, standin, faults: EventFaults | None = None, seed: int = 0):
        self.app, self.standin, self.faults, self.seed = app, standin, faults, seed
        self.live: LiveApp | None = None

    def start(self) -> None:
        self.live = LiveApp(self.app).__enter__()
        self.poster = self.standin.post_events_to(f"{self.live.url}/webhooks/sendgrid/events", EVENT_KEY,
                                                  self.faults, self.seed)

    @property
    def posted(self) -> int:
        return self.poster.posted

    def stop(self) -> None:
        self.poster.drain(10)
        self.poster.stop()
        if self.live is not None:
            self.live.__exit__(None, None, None)


def send_now(app, mailing_id: int) -> set[str]:
    """Send the mailing (its ledger is written now) and return every address it must reach."""
    from sqlalchemy import select

    from campaigns.mailings import services
    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        services.send_mailing(mailing_id)
        expected = set(db.session.execute(select(Message.email).where(Message.mailing_id == mailing_id)).scalars())
        db.session.remove()
    return expected


def wait_started(app, mailing_id: int, timeout: float) -> None:
    from campaigns.mailings import services
    from core.db import db

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            p = services.progress(mailing_id)
            db.session.remove()
        if p["counts"]["accepted"] or p["counts"]["sending"]:
            return
        time.sleep(0.2)


def wait_done(app, mailing_id: int, timeout: float) -> str:
    from campaigns.mailings import services
    from core.db import db

    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            p = services.progress(mailing_id)
            db.session.remove()
        if p["status"] in ("done", "cancelled"):
            print(f"done {time.monotonic() - start:.1f}s after the chaos")
            return p["status"]
        if int(time.monotonic() - start) % 3 == 0:
            print(f"{time.monotonic() - start:5.1f}s {p['status']} { {k: v for k, v in p['counts'].items() if v} }")
        time.sleep(0.5)
    return p["status"]


def final_states(app, mailing_id: int) -> Counter:
    """How many of the mailing's messages ended in each state (and the app's connections closed)."""
    from sqlalchemy import select

    from campaigns.mailings.models import Message
    from core.db import db

    with app.app_context():
        states = Counter(db.session.execute(select(Message.state).where(Message.mailing_id == mailing_id)).scalars())
        db.session.remove()
        db.engine.dispose()
    return states
