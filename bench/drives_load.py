"""Load on a drive's public page: the sign form for a minute, then the page itself, under gunicorn.

    python bench/drives_load.py [--duration 60] [--workers 4] [--threads 4] [--connections 32] [--redis]

Builds a fresh PostgreSQL schema (BENCH_DATABASE_URL, default the test database on 127.0.0.1), starts
gunicorn on 127.0.0.1 with threaded workers (a sign request mostly waits on PostgreSQL and Redis, and
threads keep the CPUs busy meanwhile; the command line is printed) as a reverse proxy would see it
(TRUSTED_PROXIES=1, one X-Forwarded-For address per request from many networks), and drives it with
wrk (Debian: apt-get install wrk). Every 2xx answer to the sign form must be a row: the script counts
the rows afterwards. For the floor, the same server and load tool serve a bare WSGI app returning a
page of the same size.

Besides requests per second, which depend on whatever else the machine runs, it prints the CPU time
the gunicorn workers spent per request (from /proc), which does not.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BASE = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://127.0.0.1:5432/test")
SIGN_LUA = r"""
counter = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  ok, bad, me = 0, 0, math.random(1, 1000000)
  token = args[1]
end
function request()
  counter = counter + 1
  local ip = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  local body = "form_token=" .. token .. "&name=Bench+Signer+" .. me .. "-" .. counter ..
    "&city=Almaty&country=KZ&display=initial&consent=1"
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = ip}, body)
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("STATUS ok=%d bad=%d\n", o, b))
end
"""
BARE_PAGE = b"<!doctype html><title>x</title>" + b"<p>" + b"x" * 14000 + b"</p>"


def bare_app(environ, start_response):
    """The floor: the same server with no framework, database or template."""
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BARE_PAGE)))])
    return [BARE_PAGE]


def prepare_database(url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="heads")
        from campaigns.drives.drives import parse_drive, save_drive

        save_drive(parse_drive({"slug": "bench", "title": "Bench letter", "goal": 1_000_000, "letters": {
            "en": {"body": "Dear Ambassador,\n\nPlease visit Aigerim.\n\n" + "We ask you to act. " * 60},
            "ru": {"title": "Письмо", "body": "Уважаемый посол,\n\nПросим вас посетить Айгерим."}}}))
        from core.db import db

        db.engine.dispose()


def gunicorn_command(target: str, workers: int, threads: int, port: int, chdir: Path) -> list[str]:
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(chdir),
           "--log-level", "warning", "--backlog", "2048"]
    if threads > 1:
        cmd += ["-k", "gthread", "--threads", str(threads)]
    return cmd + [target]


def start_server(target: str, env: dict, workers: int, threads: int, port: int, chdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(gunicorn_command(target, workers, threads, port, chdir), env=env, start_new_session=True)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except urllib.error.HTTPError:
            return proc  # answering (404 is an answer)
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise SystemExit("gunicorn did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU time of the gunicorn master's live children (its workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == master:  # ppid; utime and stime are fields 14 and 15 of the whole line
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def form_token(base: str) -> str:
    with urllib.request.urlopen(f"{base}/drives/bench") as response:
        html = response.read().decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def run_wrk(url: str, seconds: int, connections: int, threads: int, script: str | None = None,
            args: tuple[str, ...] = (), headers: tuple[str, ...] = ()) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "--timeout", "10s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    cmd += [url, "--", *args] if args else [url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)),
              "p50": re.search(r"50%\s+(\S+)", out).group(1), "p99": re.search(r"99%\s+(\S+)", out).group(1)}
    status = re.search(r"STATUS ok=(\d+) bad=(\d+)", out)
    if status:
        result["ok"], result["bad"] = int(status.group(1)), int(status.group(2))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return result


def count_rows(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM drive_signatures")).scalar_one()
    engine.dispose()
    return n


def _cpu_per_request(result: dict) -> str:
    return f"{result['cpu'] * 1000 / max(result['requests'], 1):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of signing (the page gets the same)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread when > 1)")
    parser.add_argument("--connections", type=int, default=32, help="open connections of the load tool")
    parser.add_argument("--redis", action="store_true", help="count rate limits in Redis (REDIS_URL or local)")
    opts = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    import sqlalchemy as sa

    from core.crypto import generate_key

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG_BASE)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    tmp = Path(tempfile.mkdtemp(prefix="drives-bench-"))
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-secret", TRUSTED_PROXIES="1",
               DATA_ENCRYPTION_KEY=generate_key(), DATA_LOOKUP_KEY=generate_key(), MAIL_BACKEND="outbox",
               PYTHONPATH=str(ROOT))
    env.pop("REDIS_URL", None)
    if opts.redis:
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.update({k: env[k] for k in ("DATA_ENCRYPTION_KEY", "DATA_LOOKUP_KEY", "SECRET_KEY")})
    script = tmp / "sign.lua"
    script.write_text(SIGN_LUA)
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    wrk_threads = 2
    try:
        prepare_database(url)
        server = start_server("app:create_app()", env, opts.workers, opts.threads, port, ROOT)
        try:
            token = form_token(base)
            cpu = workers_cpu_seconds(server.pid)
            sign = run_wrk(f"{base}/drives/bench", opts.duration, opts.connections, wrk_threads, str(script), (token,))
            sign["cpu"] = workers_cpu_seconds(server.pid) - cpu
            time.sleep(1)
            rows = count_rows(url)
            cpu = workers_cpu_seconds(server.pid)
            page = run_wrk(f"{base}/drives/bench", opts.duration, opts.connections, wrk_threads,
                           headers=("Accept-Language: ru-RU,ru;q=0.9,en;q=0.5",))
            page["cpu"] = workers_cpu_seconds(server.pid) - cpu
            size = len(urllib.request.urlopen(f"{base}/drives/bench").read())
        finally:
            stop(server)
        bare_server = start_server("drives_load:bare_app", env, opts.workers, opts.threads, port, ROOT / "bench")
        try:
            bare = run_wrk(f"{base}/", min(opts.duration, 20), opts.connections, wrk_threads)
        finally:
            stop(bare_server)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    command = gunicorn_command("app:create_app()", opts.workers, opts.threads, port, ROOT)
    print("gunicorn:    " + " ".join(["gunicorn", *command[3:]]))
    print(f"parameters: gunicorn {opts.workers} workers x {opts.threads} thread(s), wrk {wrk_threads} threads / "
          f"{opts.connections} connections, {opts.duration}s each, PostgreSQL, rate limits in "
          f"{'Redis' if opts.redis else 'PostgreSQL'}, {os.cpu_count()} CPUs")
    print(f"sign form:   {sign['rps']:.0f} submissions/s, p50 {sign['p50']}, p99 {sign['p99']}; "
          f"2xx {sign['ok']}, other {sign['bad']}; rows {rows} "
          f"({'no 2xx reply without its row' if rows >= sign['ok'] else 'ROWS MISSING'}; "
          f"{rows - sign['ok']} rows for replies cut off at the end)")
    print(f"             {_cpu_per_request(sign)} CPU of the gunicorn workers per submission")
    print(f"public page: {page['rps']:.0f} requests/s, p50 {page['p50']}, p99 {page['p99']}, "
          f"non-2xx {page['non2xx']}, {size} bytes; {_cpu_per_request(page)} worker CPU per request")
    print(f"floor (bare WSGI page of {len(BARE_PAGE)} bytes, same server and tool): {bare['rps']:.0f} requests/s")
    if rows < sign["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
