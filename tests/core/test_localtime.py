"""Time on screen: stored in UTC, typed and read in the person's own zone."""
from __future__ import annotations

from datetime import datetime, timezone

from core.localtime import from_local, is_zone, shown, to_local, zone_names


def test_zones_are_iana_names_with_utc_first_and_no_aliases():
    names = zone_names()
    assert names[0] == "UTC" and "Asia/Almaty" in names and "Europe/Berlin" in names
    assert not any(n.startswith("Etc/") for n in names) and "EST" not in names
    assert is_zone("Asia/Almaty") and not is_zone("Mars/Olympus") and not is_zone(None)


def test_a_time_typed_in_almaty_is_stored_in_utc_and_shown_back_as_typed():
    stored = from_local(datetime(2030, 1, 10, 15, 0), "Asia/Almaty")
    assert stored == datetime(2030, 1, 10, 10, 0, tzinfo=timezone.utc)
    assert to_local(stored, "Asia/Almaty").strftime("%H:%M") == "15:00"
    assert shown(stored, "Asia/Almaty") == "2030-01-10 15:00 (Asia/Almaty)"


def test_no_zone_or_an_unknown_one_means_utc():
    moment = datetime(2030, 1, 10, 10, 0)  # naive: as SQLite hands it back, meaning UTC
    assert shown(moment, None) == "2030-01-10 10:00 (UTC)"
    assert from_local(datetime(2030, 1, 10, 10, 0), "Nowhere/Else") == moment.replace(tzinfo=timezone.utc)


def test_clock_changes_read_a_skipped_or_repeated_hour_once():
    skipped = from_local(datetime(2026, 3, 29, 2, 30), "Europe/Berlin")  # clocks jump from 2:00 to 3:00
    assert skipped == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    repeated = from_local(datetime(2026, 10, 25, 2, 30), "Europe/Berlin")  # 2:30 happens twice
    assert repeated == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
