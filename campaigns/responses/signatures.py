"""Verifying SendGrid's signed event webhook: pure functions, no request, no database, no clock.

SendGrid signs `timestamp + raw body` with ECDSA P-256 / SHA-256 and sends the base64 DER signature
and the timestamp in two headers. The public key is shown in SendGrid's settings as base64 DER
(SubjectPublicKeyInfo). The official helper does not check freshness; we refuse a timestamp more
than `window` seconds away from now, so a captured request cannot be replayed later.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
WINDOW_SECONDS = 300


class SignatureError(Exception):
    """Why a webhook request is refused (never shown to the caller beyond a 403)."""


@dataclass(frozen=True)
class Verifier:
    key: ec.EllipticCurvePublicKey

    def verify(self, body: bytes, signature: str | None, timestamp: str | None, now: float,
               window: int = WINDOW_SECONDS) -> None:
        """Raise SignatureError unless `signature` signs `timestamp + body` and the time is fresh."""
        if not signature or not timestamp:
            raise SignatureError("unsigned request")
        try:
            sent_at = int(timestamp.strip())
        except ValueError:
            raise SignatureError("malformed timestamp") from None
        if abs(now - sent_at) > window:
            raise SignatureError("timestamp outside the accepted window")
        try:
            der = base64.b64decode(signature.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("malformed signature") from None
        try:
            self.key.verify(der, timestamp.strip().encode() + body, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise SignatureError("bad signature") from None


def load_public_key(text: str) -> Verifier:
    """A verifier from SendGrid's base64 DER key (a PEM block is accepted too)."""
    text = (text or "").strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise SignatureError(f"unreadable public key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SignatureError("the key is not an ECDSA P-256 public key")
    return Verifier(key)


def sign(private_key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: str) -> str:
    """What SendGrid does: used by tests and the benchmark to make real signed requests."""
    der = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(der).decode()


def public_key_text(private_key: ec.EllipticCurvePrivateKey) -> str:
    """The public half as SendGrid shows it: base64 DER SubjectPublicKeyInfo."""
    der = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()
