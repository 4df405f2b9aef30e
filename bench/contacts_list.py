"""Benchmark: the contacts list page with N contacts in the database (default 200,000).

Fills a fresh database (SQLite file, and PostgreSQL when reachable) through the importer's bulk
insert, signs in, and times GET /contacts/ with common filters through the WSGI app (no network),
reporting the median of several requests. The floor is a bare `SELECT ... LIMIT 50` of the same page.
The data has positions, verification dates and posting ends, so "needs checking" selects about one
contact in eight (ended postings, bounces, verified more than a year ago), as in a real list.

    python bench/contacts_list.py [--contacts 200000] [--db sqlite,postgresql] [--runs 15]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench-secret-key")
PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://127.0.0.1:5432/test")
QUERIES = ["/contacts/", "/contacts/?page=200", "/contacts/?country=DE", "/contacts/?tag=eu&language=ru",
           "/contacts/?kind=embassy&status=active", "/contacts/?status=bounced", "/contacts/?organisation_id=7",
           "/contacts/?needs_checking=1", "/contacts/?needs_checking=1&country=KZ", "/contacts/?q=mission7",
           "/contacts/?q=person 01234", "/contacts/?q=secretary", "/contacts/?q=nobody-matches-this"]
POSITIONS = ["Ambassador", "First Secretary", "Correspondent", "Desk officer", None]


def fill(app, count: int) -> None:
    from sqlalchemy import insert

    from contacts.importing import COMPARED, insert_rows
    from contacts.models import Contact, Organisation, Tag, contact_tags
    from core.db import db

    now = datetime.now(timezone.utc)
    today = now.date()
    with app.app_context():
        conn = db.session.connection()
        db.session.execute(insert(Organisation), [{"name": f"Mission {i}", "created_at": now} for i in range(500)])
        db.session.execute(insert(Tag), [{"name": n} for n in ("eu", "media", "2026", "visit")])
        for start in range(0, count, 20_000):
            rows = [{**dict.fromkeys(COMPARED), "email": f"person{i}@mission{i % 500}.example.org",
                     "name": f"Person {i:06}", "organisation_id": 1 + i % 500, "country": ["DE", "FR", "KZ", "PL"][i % 4],
                     "language": ["ru", "en", "kk", "de", "fr"][i % 5], "kind": ["embassy", "media", "ministry"][i % 3],
                     "status": "bounced" if i % 50 == 0 else "active", "source": "bench", "created_at": now,
                     "position": POSITIONS[i % 5],
                     # A third never verified; the rest verified up to 400 days ago (about 1 in 12 overdue).
                     "verified_at": None if i % 3 == 0 else now - timedelta(days=i * 7919 % 400),
                     # One in 20 has a posting end date, half of them already past.
                     "posting_end": today + timedelta(days=i % 400 - 200) if i % 20 == 7 else None,
                     "updated_at": now} for i in range(start, min(start + 20_000, count))]
            insert_rows(conn, Contact.__table__, rows)
            insert_rows(conn, contact_tags, [{"contact_id": start + k + 1, "tag_id": 1 + (start + k) % 4}
                                             for k in range(len(rows))])
        db.session.commit()
        # What autovacuum does soon after a bulk load: statistics, the visibility map, and on
        # PostgreSQL the GIN indexes' pending lists merged (the state a list page normally meets).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
            autocommit.execute(db.text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"))


def measure(app, runs: int) -> list[tuple[str, float]]:
    from sqlalchemy import select

    from contacts.models import Contact
    from core.db import db
    from tests.conftest import AuthActions

    client = app.test_client()
    AuthActions(app, client).login("viewer")
    results = []
    for url in QUERIES:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        results.append((url, statistics.median(times) * 1000))
    with app.app_context():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            db.session.execute(select(Contact).order_by(Contact.name).limit(50)).all()
            times.append(time.perf_counter() - started)
        results.append(("floor: bare SELECT of one page", statistics.median(times) * 1000))
    return results


def database(db: str, workdir: Path):
    import sqlalchemy as sa

    if db == "sqlite":
        return f"sqlite:///{workdir / 'list.sqlite'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(PG)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def cleanup():
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    return f"{PG}?options=-csearch_path%3D{schema}", cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    from flask_migrate import upgrade

    from app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        for db in [d for d in args.db.split(",") if d]:
            url, cleanup = database(db, Path(tmp))
            try:
                app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
                with app.app_context():
                    upgrade(directory=str(ROOT / "migrations"), revision="heads")
                started = time.perf_counter()
                fill(app, args.contacts)
                print(f"{db}: {args.contacts} contacts loaded in {time.perf_counter() - started:.1f} s; "
                      f"median of {args.runs} requests:")
                for url_, ms in measure(app, args.runs):
                    print(f"  {url_:42} {ms:7.1f} ms")
                with app.app_context():
                    from core.db import db as database_

                    database_.session.remove()
                    database_.engine.dispose()
            finally:
                cleanup()


if __name__ == "__main__":
    main()
