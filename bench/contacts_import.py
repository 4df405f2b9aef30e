"""Benchmark: import a generated N-row contacts CSV on SQLite and PostgreSQL, first and again unchanged.

Each run happens in a fresh child process so its peak memory (max RSS) is its own. The floor is the
same file read with the csv module and inserted bare (executemany, no validation, no merge).
The preview is the dry run the import page shows before anything is written.
A line gives the child's wall time and CPU time (start-up included), then the import's own: wall
time, CPU time (process_time) and, for a local PostgreSQL, the CPU time of its server process. On
a shared machine the CPU seconds vary far less than the wall time; the load average is the 1-minute
one when the run started.

    python bench/contacts_import.py [--rows 100000] [--db sqlite,postgresql]
PostgreSQL comes from BENCH_POSTGRES_URL (default postgresql+psycopg://127.0.0.1:5432/test); the
benchmark works in a schema of its own and drops it afterwards.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-secret-key")
PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
COUNTRIES = ["DE", "FR", "KZ", "PL", "LT", "SE", "NL", "IT", "ES", "GB"]
KINDS = ["Посольство", "ministry", "media", "parliament", "ngo"]


def make_file(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        w = csv.writer(out, delimiter=";")
        w.writerow(["ФИО", "Эл. почта", "Страна", "Язык", "Организация", "Должность", "Тип", "Город", "Теги"])
        for i in range(rows):
            country = COUNTRIES[i % len(COUNTRIES)]
            w.writerow([f"Иван Иванов {i}", f"person{i}@mission{i % 500}.example.org", country,
                        ["ru", "en", "kk", "de"][i % 4], f"Посольство {country} {i % 300}", "Первый секретарь",
                        KINDS[i % len(KINDS)], "Астана", "eu; 2026" if i % 3 else "media"])


def child(mode: str, url: str, file: str) -> None:
    started = time.perf_counter()
    extra = {}
    if mode == "floor":
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with open(file, encoding="utf-8-sig", newline="") as fh, engine.begin() as conn:
            reader = csv.reader(fh, delimiter=";")
            next(reader)
            table = sa.table("bench_floor", *[sa.column(c) for c in ("name", "email", "country")])
            batch = []
            for row in reader:
                batch.append({"name": row[0], "email": row[1], "country": row[2]})
                if len(batch) == 2000:
                    conn.execute(table.insert(), batch)
                    batch = []
            conn.execute(table.insert(), batch)
        summary = "bare insert"
    else:
        from app import create_app
        from contacts.importing import import_file

        from core.db import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            backend = _backend(db.session) if url.startswith("postgresql") else None
            server = _cpu_of(backend)
            cpu, wall = time.process_time(), time.perf_counter()
            summary = import_file(file, tags=["bench"], dry_run=mode == "preview").summary()
            extra.update(import_s=round(time.perf_counter() - wall, 2), import_cpu=round(time.process_time() - cpu, 2))
            if server is not None:
                extra["server_cpu"] = round(_cpu_of(backend) - server, 2)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": round(seconds, 2), "cpu": round(usage.ru_utime + usage.ru_stime, 2),
                      "rss_mb": round(usage.ru_maxrss / 1024), "summary": summary, **extra}))


def _backend(session) -> int:
    """The PostgreSQL server process of the session's connection, which the import goes on using."""
    import sqlalchemy as sa

    return session.execute(sa.text("SELECT pg_backend_pid()")).scalar()


def _cpu_of(pid: int | None) -> float | None:
    """CPU seconds a local process has used (the server's share of the import), if /proc shows it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(mode: str, url: str, file: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--url", url, "--file", str(file)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{mode} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare(db: str, workdir: Path):
    import sqlalchemy as sa

    from app import create_app
    from flask_migrate import upgrade

    if db == "sqlite":
        url, cleanup = f"sqlite:///{workdir / 'bench.sqlite'}", lambda: None
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(PG)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG}?options=-csearch_path%3D{schema}"

        def cleanup():
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        from core.db import db as database

        with database.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE bench_floor (name varchar(200), email varchar(254), country varchar(2))"))
        database.engine.dispose()
    return url, cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--child"), parser.add_argument("--url"), parser.add_argument("--file")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.url, args.file)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        file = workdir / "contacts.csv"
        make_file(file, args.rows)
        print(f"file: {args.rows} rows, {file.stat().st_size / 1e6:.1f} MB, UTF-8 with BOM, ';', Cyrillic headers")
        for db in [d for d in args.db.split(",") if d]:
            url, cleanup = prepare(db, workdir)
            try:
                for label, mode in (("floor (csv + bare insert)", "floor"), ("preview (dry run)", "preview"),
                                    ("first import", "import"), ("re-import unchanged", "import")):
                    load = os.getloadavg()[0]
                    r = run_child(mode, url, file)
                    line = f"{db:10} {label:27} {r['seconds']:6.2f} s (CPU {r['cpu']:6.2f} s)  "
                    if "import_cpu" in r:
                        line += f"import {r['import_s']:6.2f} s, CPU {r['import_cpu']:5.2f} s"
                        line += f" + server {r['server_cpu']:5.2f} s  " if "server_cpu" in r else "  "
                    print(f"{line}peak RSS {r['rss_mb']:4d} MB  load {load:.1f}  {r['summary']}", flush=True)
            finally:
                cleanup()
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (wall time grows with other work on the machine;"
              " CPU seconds much less)")


if __name__ == "__main__":
    main()
