"""Encryption at rest: AES-GCM with key ids, an EncryptedText column type, rotation, keyed hashes."""
from __future__ import annotations

import pytest
from sqlalchemy import Text, select, type_coerce, update

from core import crypto
from core.config import ConfigError, from_environment
from core.db import db

KEY_A, KEY_B = crypto.generate_key(), crypto.generate_key()
LOOKUP = crypto.generate_key()


def ring(*keys):
    return crypto.Keyring.parse(",".join(keys), LOOKUP)


def test_values_round_trip_and_never_encrypt_the_same_way_twice():
    first, second = crypto.encrypt("Almaty, cell 4", ring(KEY_A)), crypto.encrypt("Almaty, cell 4", ring(KEY_A))
    assert first != second and "Almaty" not in first
    assert crypto.decrypt(first, ring(KEY_A)) == "Almaty, cell 4"
    assert first.startswith(f"v1:{crypto.key_id(crypto._decode(KEY_A, 'k'))}:")


def test_tampering_and_unknown_keys_are_refused():
    value = crypto.encrypt("secret", ring(KEY_A))
    body = value.rsplit(":", 1)[1]
    forged = value[: -len(body)] + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(crypto.DecryptionError, match="does not decrypt"):
        crypto.decrypt(forged, ring(KEY_A))
    with pytest.raises(crypto.DecryptionError, match="not in DATA_ENCRYPTION_KEY"):
        crypto.decrypt(value, ring(KEY_B))


def test_older_keys_still_decrypt_after_a_new_one_is_put_first():
    old = crypto.encrypt("kept", ring(KEY_A))
    assert crypto.decrypt(old, ring(KEY_B, KEY_A)) == "kept"
    assert crypto.key_id_of(crypto.encrypt("new", ring(KEY_B, KEY_A))) == ring(KEY_B).active_id


def test_keyed_hashes_are_stable_and_separated_by_purpose():
    assert crypto.keyed_hash("a@example.org", "x", ring(KEY_A)) == crypto.keyed_hash("a@example.org", "x", ring(KEY_B))
    assert crypto.keyed_hash("a@example.org", "x", ring(KEY_A)) != crypto.keyed_hash("a@example.org", "y", ring(KEY_A))


def test_keys_come_from_the_environment_or_are_generated_privately(tmp_path):
    config = from_environment(tmp_path, env={})
    assert (tmp_path / "data_encryption_key").stat().st_mode & 0o777 == 0o600
    assert config["DATA_ENCRYPTION_KEY"] == from_environment(tmp_path, env={})["DATA_ENCRYPTION_KEY"]
    given = from_environment(tmp_path, env={"DATA_ENCRYPTION_KEY": f"{KEY_B},{KEY_A}", "DATA_LOOKUP_KEY": LOOKUP})
    assert given["DATA_ENCRYPTION_KEY"] == f"{KEY_B},{KEY_A}"
    with pytest.raises(ConfigError, match="DATA_ENCRYPTION_KEY .key 2. must be 32 bytes"):
        from_environment(tmp_path, env={"DATA_ENCRYPTION_KEY": f"{KEY_A},c2hvcnQ="})


def raw_secrets(app):
    from accounts.models import User

    with app.app_context():
        return db.session.execute(select(type_coerce(User.totp_secret, Text)).order_by(User.id)).scalars().all()


def test_rotation_re_encrypts_every_encrypted_column(config):
    from accounts.models import User
    from app import create_app
    from core.keys import encrypted_columns
    from tests.conftest import make_user

    old_app = create_app({**config, "DATA_ENCRYPTION_KEY": KEY_A})
    for i in range(3):
        make_user(old_app, f"user{i}@example.org")
    with old_app.app_context():
        db.session.execute(update(User).values(totp_secret="JBSWY3DPEHPK3PXP"))
        db.session.commit()
        # a value written before the column was encrypted stays readable and is encrypted by rotation
        db.session.execute(update(User).where(User.email == "user2@example.org")
                           .values({type_coerce(User.totp_secret, Text): "PLAINTEXTSECRET"}))
        db.session.commit()
        assert ("users", "totp_secret") in [(t.name, c) for t, c in encrypted_columns()]
    assert raw_secrets(old_app)[2] == "PLAINTEXTSECRET"

    new_app = create_app({**config, "DATA_ENCRYPTION_KEY": f"{KEY_B},{KEY_A}"})
    result = new_app.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "users.totp_secret: 3 re-encrypted" in result.output
    new_id = ring(KEY_B).active_id
    assert all(crypto.key_id_of(v) == new_id for v in raw_secrets(new_app))

    only_new = create_app({**config, "DATA_ENCRYPTION_KEY": KEY_B})
    with only_new.app_context():
        values = db.session.execute(select(User.totp_secret).order_by(User.id)).scalars().all()
    assert values == ["JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP", "PLAINTEXTSECRET"]
    again = new_app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert "users.totp_secret: 0 re-encrypted" in again.output


def test_keys_generate_prints_a_usable_key(runner):
    key = runner.invoke(args=["keys", "generate"]).output.strip()
    assert crypto.decrypt(crypto.encrypt("x", ring(key)), ring(key)) == "x"
