"""Signed event webhooks: real ECDSA P-256 keys, as SendGrid signs them."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from campaigns.responses.signatures import SignatureError, load_public_key, public_key_text, sign

NOW = 1_800_000_000
BODY = b'[{"event":"delivered","sg_event_id":"e1","timestamp":1800000000}]'


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP256R1())


def test_a_valid_signature_passes(key):
    verifier = load_public_key(public_key_text(key))
    verifier.verify(BODY, sign(key, BODY, str(NOW)), str(NOW), now=NOW + 10)


def test_a_tampered_body_is_refused(key):
    verifier = load_public_key(public_key_text(key))
    signature = sign(key, BODY, str(NOW))
    with pytest.raises(SignatureError, match="bad signature"):
        verifier.verify(BODY.replace(b"delivered", b"bounce"), signature, str(NOW), now=NOW)


def test_a_signature_from_another_key_is_refused(key):
    other = ec.generate_private_key(ec.SECP256R1())
    verifier = load_public_key(public_key_text(key))
    with pytest.raises(SignatureError, match="bad signature"):
        verifier.verify(BODY, sign(other, BODY, str(NOW)), str(NOW), now=NOW)


def test_a_replayed_old_timestamp_is_refused_even_when_signed(key):
    verifier = load_public_key(public_key_text(key))
    old = str(NOW - 3600)
    with pytest.raises(SignatureError, match="window"):
        verifier.verify(BODY, sign(key, BODY, old), old, now=NOW)
    future = str(NOW + 3600)
    with pytest.raises(SignatureError, match="window"):
        verifier.verify(BODY, sign(key, BODY, future), future, now=NOW)


def test_the_timestamp_is_part_of_what_is_signed(key):
    verifier = load_public_key(public_key_text(key))
    signature = sign(key, BODY, str(NOW))
    with pytest.raises(SignatureError):
        verifier.verify(BODY, signature, str(NOW + 1), now=NOW)


@pytest.mark.parametrize("signature,timestamp", [(None, None), ("", str(NOW)), ("abc", None),
                                                 ("not base64!!", str(NOW))])
def test_unsigned_or_malformed_requests_are_refused(key, signature, timestamp):
    verifier = load_public_key(public_key_text(key))
    with pytest.raises(SignatureError):
        verifier.verify(BODY, signature, timestamp, now=NOW)


def test_a_key_that_is_not_p256_is_refused():
    other = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(SignatureError, match="P-256"):
        load_public_key(public_key_text(other))
    with pytest.raises(SignatureError, match="unreadable"):
        load_public_key("bm90IGEga2V5")
