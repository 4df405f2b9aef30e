"""The one Reply-To decision, pure: the capture address only where capture is configured."""
from __future__ import annotations

from types import SimpleNamespace

from campaigns.senders.addresses import reply_address, reply_route, unsubscribe_address

TYPED = SimpleNamespace(from_name="Campaign", from_email="campaigns@example.net", reply_to="press@example.net")
NONE = SimpleNamespace(from_name="Campaign", from_email="campaigns@example.net", reply_to=None)
CAPTURE = {"INBOUND_REPLY_DOMAIN": "replies.example.org"}


def test_without_capture_the_typed_reply_to_is_kept():
    assert reply_address(TYPED, "KEY123", {}) == "press@example.net"
    assert reply_route(TYPED, {}).shown == "press@example.net" and not reply_route(TYPED, {}).captured


def test_without_capture_and_without_a_reply_to_replies_go_to_from():
    assert reply_address(NONE, "KEY123", {}) is None
    assert reply_route(NONE, {}).goes_to == "campaigns@example.net"
    assert unsubscribe_address("KEY123", {}) is None


def test_with_capture_every_message_gets_its_own_capture_address():
    assert reply_address(TYPED, "KEY123", CAPTURE) == "reply+KEY123@replies.example.org"
    assert reply_address(NONE, "KEY123", CAPTURE) == "reply+KEY123@replies.example.org"
    assert reply_route(TYPED, CAPTURE).captured
    assert unsubscribe_address("KEY123", CAPTURE) == "unsubscribe+KEY123@replies.example.org"


def test_the_capture_domain_needs_the_inbound_webhook(tmp_path):
    import pytest

    from core.config import ConfigError, from_environment

    env = {"SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": "dGVzdC1kYXRhLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=",
           "DATA_LOOKUP_KEY": "dGVzdC1sb29rdXAta2V5LW5vdC1mb3ItcHJvZHVjdGk="}
    assert from_environment(tmp_path, env)["INBOUND_REPLY_DOMAIN"] is None
    with pytest.raises(ConfigError, match="INBOUND_WEBHOOK_SECRET"):
        from_environment(tmp_path, {**env, "INBOUND_REPLY_DOMAIN": "replies.example.org"})
    with pytest.raises(ConfigError, match="domain name"):
        from_environment(tmp_path, {**env, "INBOUND_REPLY_DOMAIN": "not a domain", "INBOUND_WEBHOOK_SECRET": "s"})
    config = from_environment(tmp_path, {**env, "INBOUND_REPLY_DOMAIN": "Replies.Example.org",
                                         "INBOUND_WEBHOOK_SECRET": "s"})
    assert config["INBOUND_REPLY_DOMAIN"] == "replies.example.org"
