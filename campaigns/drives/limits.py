"""Per-address and per-network rate limits on signing: fixed windows, in Redis or the database.

Past the soft limits a signature is still kept, but held for a campaigner to look at, so a flood
from one address or network neither blocks nor loses the real signers who share it (a mobile
carrier's NAT, a university). Only past the hard limit per single address is a submission refused.
Counters are keyed by a keyed hash: no client address is stored anywhere.
"""
from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import delete

from campaigns.drives.models import RateWindow
from campaigns.drives.signing import network_of
from core.crypto import keyed_hash
from core.db import db

DEFAULT_LIMITS = {"window": 600, "address_soft": 20, "network_soft": 200, "address_hard": 600}
OK, HOLD, REJECT = "ok", "hold", "reject"


def limits() -> dict[str, int]:
    return {**DEFAULT_LIMITS, **(current_app.config.get("DRIVE_LIMITS") or {})}


def _keys(drive_id: int, address: str) -> tuple[str, str]:
    # The database's address is part of the key: two installations sharing one Redis count apart.
    scope = f"{current_app.config['SQLALCHEMY_DATABASE_URI']}:{drive_id}"
    return (keyed_hash(f"{scope}:address:{address}", "drives.rate"),
            keyed_hash(f"{scope}:network:{network_of(address)}", "drives.rate"))


def check(drive_id: int, address: str, now: float | None = None) -> tuple[str, str | None]:
    """Count one signing attempt; return (OK | HOLD | REJECT, the reason for a hold)."""
    conf = limits()
    window = int((now or time.time()) // conf["window"] * conf["window"])
    keys = _keys(drive_id, address)
    hits = None
    if current_app.config.get("REDIS_URL"):
        hits = _redis_hits(keys, window, conf["window"])
    if hits is None:
        hits = _database_hits(keys, window)
    address_hits, network_hits = hits
    if address_hits > conf["address_hard"]:
        return REJECT, None
    if address_hits > conf["address_soft"]:
        return HOLD, "many from one address"
    if network_hits > conf["network_soft"]:
        return HOLD, "many from one network"
    return OK, None


_local = threading.local()  # one client per thread: threaded servers must not share a socket


def _redis_client():
    clients = _local.__dict__.setdefault("clients", {})
    url = current_app.config["REDIS_URL"]
    if url not in clients:
        from core.queue import redis_connection

        clients[url] = redis_connection(url)
    return clients[url]


def _redis_hits(keys: tuple[str, str], window: int, seconds: int) -> tuple[int, int] | None:
    import redis

    try:
        pipe = _redis_client().pipeline(transaction=False)
        for key in keys:
            name = f"drives:rate:{key}:{window}"
            pipe.incr(name)
            pipe.expire(name, seconds * 2)
        result = pipe.execute()
    except (redis.exceptions.RedisError, OSError, ValueError):
        _local.__dict__.pop("clients", None)
        current_app.logger.warning("drives: Redis unreachable, counting signing limits in the database")
        return None
    return int(result[0]), int(result[2])


def _database_hits(keys: tuple[str, str], window: int) -> tuple[int, int]:
    """An atomic upsert per key (INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING hits)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    counts = []
    for key in keys:
        stmt = insert(RateWindow).values(key=key, window=window, hits=1)
        stmt = stmt.on_conflict_do_update(index_elements=["key", "window"],
                                          set_={"hits": RateWindow.hits + 1}).returning(RateWindow.hits)
        counts.append(db.session.execute(stmt).scalar_one())
    return counts[0], counts[1]


def purge_windows(now: float | None = None) -> int:
    """Forget counters of windows that have ended."""
    conf = limits()
    cutoff = int((now or time.time()) - 2 * conf["window"])
    result = db.session.execute(delete(RateWindow).where(RateWindow.window < cutoff))
    return result.rowcount or 0
