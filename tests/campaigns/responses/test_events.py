"""Reading provider events and ranking message states: pure rules, no database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.mail.sendgrid import KEY_ARG
from campaigns.responses.events import EventFormatError, is_machine_open, parse_batch, parse_event, state_for, suppression_for
from core.mail.states import higher

T = 1_800_000_000


def raw(kind, **extra):
    return {"event": kind, "sg_event_id": f"id-{kind}", "timestamp": T, "email": "A@Example.org", KEY_ARG: "key1",
            "sg_message_id": "abc123.filter0001.1.2", **extra}


def test_an_event_is_read_with_its_message_key_and_time():
    event = parse_event(raw("delivered"))
    assert (event.key, event.email, event.kind) == ("key1", "a@example.org", "delivered")
    assert event.occurred_at == datetime.fromtimestamp(T, tz=timezone.utc)
    assert event.provider_message_id == "abc123"


def test_unknown_kinds_are_skipped_and_malformed_events_refused():
    events, skipped = parse_batch([raw("delivered"), raw("something_new")])
    assert len(events) == 1 and skipped == 1
    with pytest.raises(EventFormatError):
        parse_batch({"event": "delivered"})
    with pytest.raises(EventFormatError):
        parse_event({"event": "delivered", "timestamp": T})


def test_states_only_move_up():
    assert higher("delivered", "sent") == "delivered"
    assert higher("unknown", "sent") == "sent"
    assert higher("sent", "bounced") == "bounced"
    assert higher("bounced", "delivered") == "bounced"
    assert higher("clicked", "opened") == "clicked"
    assert higher("replied", "clicked") == "replied"


def test_hard_bounces_complaints_and_unsubscribes_suppress_but_blocks_do_not():
    assert suppression_for(parse_event(raw("bounce", type="bounce", status="5.1.1"))) == "bounced"
    assert suppression_for(parse_event(raw("bounce", type="blocked", status="5.7.1"))) is None
    assert suppression_for(parse_event(raw("spamreport"))) == "complained"
    assert suppression_for(parse_event(raw("unsubscribe"))) == "unsubscribed"
    assert suppression_for(parse_event(raw("dropped", reason="Bounced Address"))) == "bounced"
    assert suppression_for(parse_event(raw("deferred"))) is None


def test_machine_opens_are_not_reads():
    sent = datetime.fromtimestamp(T - 3600, tz=timezone.utc)
    apple = parse_event(raw("open", sg_machine_open=True))
    proxy = parse_event(raw("open", useragent="Mozilla/5.0"))
    person = parse_event(raw("open", useragent="Mozilla/5.0 (Windows NT 10.0) Thunderbird/115"))
    early = parse_event(raw("open", useragent="Mozilla/5.0 (X11) Firefox/120"))
    assert is_machine_open(apple, sent) and is_machine_open(proxy, sent)
    assert not is_machine_open(person, sent)
    assert is_machine_open(early, early.occurred_at - timedelta(seconds=2))
    assert state_for(apple, True) == "delivered" and state_for(person, False) == "opened"
