"""Rate limits per address and per network: past the soft limits signatures are held, not lost."""
from __future__ import annotations

import pytest

from tests.campaigns.drives.helpers import count, make_drive, sign

LIMITS = {"window": 10**9, "address_soft": 2, "network_soft": 4, "address_hard": 5}  # no window ends mid-test


@pytest.fixture
def config(config):
    return {**config, "DRIVE_LIMITS": LIMITS}


def _from(client, address: str, **fields):
    client.environ_base["REMOTE_ADDR"] = address
    return sign(client, **fields)


def _states(app):
    from sqlalchemy import select

    from campaigns.drives.models import Signature
    from core.db import db

    with app.app_context():
        return [m for (m,) in db.session.execute(select(Signature.moderation).order_by(Signature.id))]


def _check_limits(app, client):
    make_drive(app)
    replies = [_from(client, "203.0.113.7", name=f"Flood {i}").status_code for i in range(6)]
    assert replies == [200, 200, 200, 200, 200, 429]
    assert "Too many signatures from your connection" in _from(client, "203.0.113.7").get_data(as_text=True)
    assert _states(app) == ["visible", "visible", "held", "held", "held"]
    # A neighbour on the same /24 is counted until the network's soft limit, then held, never refused.
    assert _from(client, "203.0.113.8", name="Real Neighbour").status_code == 200
    assert _states(app)[-1] == "held"
    # Someone on another network is untouched by the flood.
    assert "your signature is counted" in _from(client, "198.51.100.1", name="Real Signer").get_data(as_text=True)
    assert count(client) == 3


def test_limits_counted_in_the_database(app, client):
    _check_limits(app, client)


@pytest.mark.redis
def test_limits_counted_in_redis(database_url, tmp_path, redis_url):
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                      "OUTBOX_DIR": str(tmp_path / "outbox"), "DRIVE_STATS_SECONDS": 0, "DRIVE_LIMITS": LIMITS})
    _check_limits(app, app.test_client())
    import redis

    conn = redis.Redis.from_url(redis_url)
    keys = conn.keys("drives:rate:*")
    assert keys and all(b"203.0.113" not in k for k in keys)  # no client address in Redis
    assert all(conn.ttl(k) > 0 for k in keys)  # every counter ends with its window
    with app.app_context():
        from core.db import db

        from campaigns.drives.models import RateWindow

        assert db.session.query(RateWindow).count() == 0
        db.session.remove()
        db.engine.dispose()


def test_ipv6_networks_are_limited_per_48(app, client):
    make_drive(app)
    for i in range(4):
        _from(client, f"2001:db8:1:{i}::1", name=f"Person {i}")
    _from(client, "2001:db8:1:ff::1", name="Same network")
    _from(client, "2001:db8:2::1", name="Other network")
    assert _states(app) == ["visible"] * 4 + ["held", "visible"]


def test_campaigners_release_held_signatures_and_hide_spam(app, client, auth):
    make_drive(app)
    for i in range(4):
        _from(client, "203.0.113.7", name=f"Person {i}")
    assert count(client) == 2
    auth.login("campaigner")
    queue = client.get("/campaign-drives/1/signatures?state=held").get_data(as_text=True)
    assert "Person 2" in queue and "Person 3" in queue and "many from one address" in queue
    from tests.conftest import csrf_token

    token = csrf_token(client, "/campaign-drives/1/signatures?state=held")
    client.post("/campaign-drives/1/signatures", data={"ids": ["3"], "action": "show", "csrf_token": token})
    client.post("/campaign-drives/1/signatures", data={"ids": ["1", "4"], "action": "hide", "csrf_token": token})
    assert _states(app) == ["hidden", "visible", "visible", "hidden"]
    assert count(client) == 2
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "Person 2" in page and "Person 0" not in page
