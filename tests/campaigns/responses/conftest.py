"""Response tests run with a webhook key and an inbound secret configured."""
from __future__ import annotations

import pytest

from tests.campaigns.responses.factories import PUBLIC_KEY

INBOUND_SECRET = "s3cret-inbound-path-token"


@pytest.fixture
def config(config):
    return {**config, "SENDGRID_WEBHOOK_PUBLIC_KEY": PUBLIC_KEY, "INBOUND_WEBHOOK_SECRET": INBOUND_SECRET}
