"""Sign-in throttling per account and per network address: exponential delay, never a hard lockout.

After a few free failures each further failure doubles the wait before the next attempt is even
checked, up to a cap (15 minutes for an account, an hour for a network). Counters forget after a
quiet period. A browser that has signed in to an account before carries a signed "known device"
cookie and is exempt from that account's delay and from its network's, so neither a stranger
hammering an account nor one guessing from the same carrier NAT, office or untrusted proxy (where
everyone shares one address) can keep the owner out. Its failures still count against both, for
everyone else. Keys are keyed hashes: the table holds no addresses or emails.

Counters live in Redis when REDIS_URL is set (shared by every web process), else in the database.
"""
from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, String, case, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import keyed_hash
from core.db import UTCDateTime, db, utcnow


class SigninThrottle(db.Model):
    __tablename__ = "signin_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


@dataclass(frozen=True)
class Policy:
    free: int  # failures before any delay
    cap: float  # longest delay, seconds
    forget: float  # seconds without failure after which the count starts again

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.cap, 2.0 ** (failures - self.free))


ACCOUNT = Policy(free=5, cap=15 * 60, forget=24 * 3600)
NETWORK = Policy(free=20, cap=60 * 60, forget=3600)


def network_of(addr: str | None) -> str:
    """The unit one attacker controls: an IPv4 address, or an IPv6 /64."""
    try:
        ip = ipaddress.ip_address(addr or "")
    except ValueError:
        return "unknown"
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _keys(email: str, addr: str | None) -> tuple[str, str]:
    return ("a:" + keyed_hash(email.strip().lower(), "signin.account"),
            "n:" + keyed_hash(network_of(addr), "signin.network"))


# --- storage: (failures, last failure) per key ---------------------------------------------------

def _redis():
    from core.queue import redis_connection

    return redis_connection() if current_app.config.get("REDIS_URL") else None


def _read(key: str, policy: Policy) -> tuple[int, datetime | None]:
    r = _redis()
    if r is not None:
        data = r.hgetall("throttle:" + key)
        if not data:
            return 0, None
        return int(data[b"failures"]), datetime.fromisoformat(data[b"last"].decode())
    row = db.session.get(SigninThrottle, key)
    if row is None or (utcnow() - row.last_failure_at).total_seconds() > policy.forget:
        return 0, None
    return row.failures, row.last_failure_at


def _fail(key: str, policy: Policy, now: datetime) -> None:
    r = _redis()
    if r is not None:
        pipe = r.pipeline()
        pipe.hincrby("throttle:" + key, "failures", 1)
        pipe.hset("throttle:" + key, "last", now.isoformat())
        pipe.expire("throttle:" + key, int(policy.forget))
        pipe.execute()
        return
    stale = now - timedelta(seconds=policy.forget)
    changed = db.session.execute(
        update(SigninThrottle).where(SigninThrottle.key == key).values(
            failures=case((SigninThrottle.last_failure_at < stale, 1), else_=SigninThrottle.failures + 1),
            last_failure_at=now).execution_options(synchronize_session=False)).rowcount
    if changed:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SigninThrottle(key=key, failures=1, last_failure_at=now))
    except IntegrityError:  # another request inserted it first
        _fail(key, policy, now)


def _clear(key: str) -> None:
    r = _redis()
    if r is not None:
        r.delete("throttle:" + key)
    else:
        db.session.execute(SigninThrottle.__table__.delete().where(SigninThrottle.key == key))


# --- the rules -----------------------------------------------------------------------------------

def wait_seconds(email: str, addr: str | None, known_device: bool = False) -> float:
    """How long this sign-in must wait before it is even checked (0: go ahead).

    A known device never waits: the network's count is shared by everyone behind one address, and the
    cookie proves a sign-in to this very account from this browser before.
    """
    if known_device:
        return 0.0
    account, network = _keys(email, addr)
    now = utcnow()
    waits = [(network, NETWORK), (account, ACCOUNT)]
    longest = 0.0
    for key, policy in waits:
        failures, last = _read(key, policy)
        if last is not None:
            longest = max(longest, policy.delay(failures) - (now - last).total_seconds())
    return max(0.0, longest)


def confirm_wait_seconds(email: str, addr: str | None) -> float:
    """The wait before a signed-in user's confirmation (re-entering the password) is checked.

    Whoever confirms sits at a signed-in browser, known or not; what limits someone guessing at an
    unlocked laptop is the network's count, as before.
    """
    failures, last = _read(_keys(email, addr)[1], NETWORK)
    if last is None:
        return 0.0
    return max(0.0, NETWORK.delay(failures) - (utcnow() - last).total_seconds())


def failed(email: str, addr: str | None) -> None:
    now = utcnow()
    account, network = _keys(email, addr)
    _fail(account, ACCOUNT, now)
    _fail(network, NETWORK, now)
    if _redis() is None and secrets.randbelow(100) == 0:  # a flood of guesses must not grow the table for ever
        purge_stale(commit=False)


def succeeded(email: str, addr: str | None) -> None:
    """A right password clears the account's count (not the network's: one's own account is no key)."""
    _clear(_keys(email, addr)[0])


def purge_stale(commit: bool = True) -> int:
    """Delete database counters nobody needs any more (Redis expires its own)."""
    cutoff = utcnow() - timedelta(seconds=max(ACCOUNT.forget, NETWORK.forget))
    n = db.session.execute(SigninThrottle.__table__.delete().where(SigninThrottle.last_failure_at < cutoff)).rowcount
    if commit:
        db.session.commit()
    return n
