"""The counter under concurrent signing on PostgreSQL: threads with their own sessions lose nothing."""
from __future__ import annotations

import threading

import pytest

from tests.campaigns.drives.helpers import make_drive


def test_concurrent_signers_are_all_counted(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrency is PostgreSQL's to prove; SQLite has a single writer")
    from campaigns.drives import signatures
    from campaigns.drives.signing import SignInput
    from core.db import db

    app.config["DRIVE_LIMITS"] = {"address_soft": 10_000, "network_soft": 10_000, "address_hard": 10_000}
    make_drive(app, goal=500)
    threads, per_thread, errors = 8, 25, []
    barrier = threading.Barrier(threads)

    def signer(n: int) -> None:
        with app.app_context():  # its own scoped session, so its own connection and transactions
            barrier.wait()
            try:
                for i in range(per_thread):
                    data = SignInput(name=f"Signer {n}-{i}", city="Almaty", country="KZ", email=None,
                                     display="full", consent=True, language="en")
                    signatures.sign("free-aigerim", data, f"10.{n}.{i}.1")
            except Exception as exc:  # noqa: BLE001  (reported below)
                errors.append(repr(exc))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=signer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert errors == []
    client = app.test_client()
    assert client.get("/drives/free-aigerim?format=json").get_json() == {"signatures": 200, "goal": 500}
    with app.app_context():
        assert signatures.count(1) == 200
