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
from sqlalchemy import bindparam, delete

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


# INCR each counter and start the expiry of a new one: one command, one round trip per signature.
_COUNT_HITS = """
local hits = {}
for i, key in ipairs(KEYS) do
  hits[i] = redis.call('INCR', key)
  if hits[i] == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return hits
"""


def _count_hits_script():
    """This thread's client for REDIS_URL, as the script above bound to it (EVALSHA, loaded once)."""
    scripts = _local.__dict__.setdefault("scripts", {})
    url = current_app.config["REDIS_URL"]
    if url not in scripts:
        from core.queue import redis_connection

        scripts[url] = redis_connection(url).register_script(_COUNT_HITS)
    return scripts[url]


def _redis_hits(keys: tuple[str, str], window: int, seconds: int) -> tuple[int, int] | None:
    import redis

    try:
        address_hits, network_hits = _count_hits_script()(
            keys=[f"drives:rate:{key}:{window}" for key in keys], args=[seconds * 2])
    except (redis.exceptions.RedisError, OSError, ValueError):
        _local.__dict__.pop("scripts", None)
        current_app.logger.warning("drives: Redis unreachable, counting signing limits in the database")
        return None
    return int(address_hits), int(network_hits)


_UPSERTS: dict = {}  # dialect name -> the statement below, built once


def _count_hits_upsert(dialect: str):
    """Both counters in one atomic upsert (INSERT ... ON CONFLICT DO UPDATE SET hits = hits + 1 RETURNING)."""
    if dialect not in _UPSERTS:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        table, window = RateWindow.__table__, bindparam("window")
        stmt = insert(table).values([{"key": bindparam("address"), "window": window, "hits": 1},
                                     {"key": bindparam("network"), "window": window, "hits": 1}])
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["key", "window"], set_={"hits": table.c.hits + 1}).returning(table.c.key, table.c.hits)
    return _UPSERTS[dialect]


def _database_hits(keys: tuple[str, str], window: int) -> tuple[int, int]:
    """One round trip, in the transaction that stores the signature."""
    stmt = _count_hits_upsert(db.session.get_bind().dialect.name)
    hits = dict(db.session.execute(stmt, {"address": keys[0], "network": keys[1], "window": window}).all())
    return hits[keys[0]], hits[keys[1]]


def purge_windows(now: float | None = None) -> int:
    """Forget counters of windows that have ended."""
    conf = limits()
    cutoff = int((now or time.time()) - 2 * conf["window"])
    result = db.session.execute(delete(RateWindow).where(RateWindow.window < cutoff))
    return result.rowcount or 0
