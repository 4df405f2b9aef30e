"""Sign-in throttling: exponential delay per account and per network, never a long lockout of the owner."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts import throttle
from accounts.throttle import ACCOUNT, NETWORK, SigninThrottle
from core.audit import AuditEvent
from core.db import db, utcnow
from tests.conftest import PASSWORD, csrf_token, make_user


def attempt(client, email, password, addr="198.51.100.7"):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": addr})


def test_the_delay_doubles_after_the_free_attempts_up_to_a_cap():
    assert [ACCOUNT.delay(n) for n in range(4, 9)] == [0, 1, 2, 4, 8]
    assert ACCOUNT.delay(100) == 15 * 60 and NETWORK.delay(100) == 60 * 60
    assert NETWORK.delay(19) == 0


def test_ipv6_addresses_count_by_their_64_network():
    assert throttle.network_of("2001:db8:1:2:aaaa::1") == throttle.network_of("2001:db8:1:2:bbbb::9")
    assert throttle.network_of("203.0.113.5") != throttle.network_of("203.0.113.6")
    assert throttle.network_of("nonsense") == "unknown"


MANY = 4


def as_if_just_failed(app, more: int = MANY):
    """Add failures and make the last one now, so the delay (16 s and up) outlasts any slow machine."""
    with app.app_context():
        for row in db.session.execute(select(SigninThrottle)).scalars():
            row.failures += more
            row.last_failure_at = utcnow()
        db.session.commit()


def test_repeated_failures_slow_the_account_down_then_the_right_password_waits_too(app, client):
    make_user(app, "known@example.org")
    assert attempt(client, "known@example.org", "wrong password!!").status_code == 200
    for _ in range(ACCOUNT.free - 1):
        attempt(client, "known@example.org", "wrong password!!")
    as_if_just_failed(app)
    response = attempt(client, "known@example.org", PASSWORD)
    assert response.status_code == 429 and "Too many sign-in attempts" in response.get_data(as_text=True)
    with app.app_context():
        actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
        keys = db.session.execute(select(SigninThrottle.key)).scalars().all()
    assert actions[0] == "signin.failure" and actions[-1] == "signin.throttled"
    assert not any("known" in k or "198.51" in k for k in keys)  # keyed hashes only


def test_the_delay_passes_and_the_owner_gets_in(app, client):
    make_user(app, "known@example.org")
    for _ in range(ACCOUNT.free + 1):
        attempt(client, "known@example.org", "wrong password!!")
    with app.app_context():  # let the clock run past the 2-second delay
        for row in db.session.execute(select(SigninThrottle)).scalars():
            row.last_failure_at -= timedelta(seconds=3)
        db.session.commit()
    assert attempt(client, "known@example.org", PASSWORD).status_code == 302


def test_a_known_browser_is_not_locked_out_by_strangers(app, client):
    make_user(app, "known@example.org")
    assert attempt(client, "known@example.org", PASSWORD).status_code == 302  # the owner's browser
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    stranger = app.test_client()
    for _ in range(ACCOUNT.free):
        attempt(stranger, "known@example.org", "guess guess guess", addr="203.0.113.66")
    as_if_just_failed(app)
    assert attempt(stranger, "known@example.org", PASSWORD, addr="203.0.113.66").status_code == 429
    assert attempt(client, "known@example.org", PASSWORD).status_code == 302


def test_one_network_guessing_many_accounts_is_slowed(app, client):
    for i in range(NETWORK.free):
        attempt(client, f"user{i}@example.org", "wrong password!!", addr="192.0.2.1")
    as_if_just_failed(app)
    make_user(app, "someone@example.org")
    assert attempt(client, "someone@example.org", PASSWORD, addr="192.0.2.1").status_code == 429
    assert attempt(client, "someone@example.org", PASSWORD, addr="192.0.2.2").status_code == 302


def test_failures_for_unknown_accounts_record_no_address(app, client):
    attempt(client, "my-secret-passphrase@nowhere.example", "whatever password")
    with app.app_context():
        event = db.session.execute(select(AuditEvent)).scalar_one()
    assert event.action == "signin.failure" and event.actor_email == "" and "nowhere" not in event.detail_json
    assert event.remote_addr == "198.51.100.7"


def test_success_is_audited_with_who_and_where(app, client):
    uid = make_user(app, "known@example.org")
    attempt(client, "known@example.org", PASSWORD)
    with app.app_context():
        event = db.session.execute(select(AuditEvent)).scalar_one()
    assert (event.action, event.actor_id, event.actor_email, event.remote_addr) == (
        "signin.success", uid, "known@example.org", "198.51.100.7")


@pytest.mark.redis
def test_counters_live_in_redis_when_it_is_configured(config, redis_url):
    import redis

    from app import create_app

    app = create_app({**config, "REDIS_URL": redis_url})
    client = app.test_client()
    make_user(app, "known@example.org")
    for _ in range(ACCOUNT.free):
        attempt(client, "known@example.org", "wrong password!!")
    r = redis.Redis.from_url(redis_url)
    assert len(r.keys("throttle:*")) == 2
    for key in r.keys("throttle:*"):
        r.hincrby(key, "failures", MANY)
        r.hset(key, "last", utcnow().isoformat())
    assert attempt(client, "known@example.org", PASSWORD).status_code == 429
    with app.app_context():
        assert db.session.execute(select(SigninThrottle)).first() is None


def test_stale_counters_are_purged(app):
    from datetime import datetime, timezone

    with app.app_context():
        db.session.add(SigninThrottle(key="a:old", failures=3, last_failure_at=datetime(2020, 1, 1, tzinfo=timezone.utc)))
        db.session.commit()
        throttle.failed("someone@example.org", "192.0.2.9")
        db.session.commit()
        assert throttle.purge_stale() == 1
        assert len(db.session.execute(select(SigninThrottle.key)).all()) == 2


def test_a_known_browser_gets_in_while_its_shared_network_is_throttled(app, client):
    """Everyone behind one carrier NAT, office or untrusted proxy shares an address: strangers' guesses
    slow every newcomer there down, but not the owner's browser that signed in before."""
    make_user(app, "known@example.org")
    assert attempt(client, "known@example.org", PASSWORD).status_code == 302  # the owner's browser
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    neighbour = app.test_client()
    for i in range(NETWORK.free + 3):
        attempt(neighbour, f"user{i}@example.org", "wrong password!!")
    as_if_just_failed(app, more=20)  # the network is at its one-hour cap
    make_user(app, "newcomer@example.org")
    assert attempt(app.test_client(), "newcomer@example.org", PASSWORD).status_code == 429
    assert attempt(client, "known@example.org", PASSWORD).status_code == 302


def test_a_proxy_that_is_not_trusted_is_warned_about_once(app, client, caplog):
    import logging

    caplog.set_level(logging.WARNING)
    client.get("/login")
    assert "TRUSTED_PROXIES" not in caplog.text
    for _ in range(3):
        client.get("/login", headers={"X-Forwarded-For": "203.0.113.9"})
    assert caplog.text.count("TRUSTED_PROXIES is 0") == 1
