"""Drive tests read the counter right after writing it: no per-process cache for them."""
from __future__ import annotations

import pytest


@pytest.fixture
def config(config):
    return {**config, "DRIVE_STATS_SECONDS": 0}
