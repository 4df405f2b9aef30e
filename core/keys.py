"""`flask keys ...`: generate data keys and re-encrypt every `EncryptedText` column under the active key."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import Table, Text, select, type_coerce

from core import crypto
from core.db import db

keys_cli = AppGroup("keys", help="Data encryption keys: generate, rotate.")


def encrypted_columns() -> list[tuple[Table, str]]:
    """Every (table, column name) whose type is EncryptedText, found through the models' metadata."""
    return [(table, column.name) for table in db.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, crypto.EncryptedText)]


def rotate(batch: int = 500) -> dict[str, int]:
    """Re-encrypt values made with an older key (or stored in plain text) under the active key.

    Works in batches by primary key and commits each batch, so it can be stopped and run again.
    Returns the number of values rewritten per `table.column`.
    """
    ring = crypto.keyring()
    counts: dict[str, int] = {}
    for table, name in encrypted_columns():
        pk = list(table.primary_key.columns)
        if len(pk) != 1:
            raise click.ClickException(f"{table.name}: rotation needs a single-column primary key")
        pk = pk[0]
        raw = type_coerce(table.c[name], Text)  # the stored text, not decrypted
        counts[f"{table.name}.{name}"] = done = 0
        last = None
        while True:
            query = select(pk, raw).where(table.c[name].is_not(None)).order_by(pk).limit(batch)
            if last is not None:
                query = query.where(pk > last)
            rows = db.session.execute(query).all()
            if not rows:
                break
            for key, stored in rows:
                if crypto.key_id_of(stored) != ring.active_id:
                    plain = crypto.decrypt(stored, ring)
                    db.session.execute(table.update().where(pk == key).values({name: plain}))
                    done += 1
            last = rows[-1][0]
            db.session.commit()
        counts[f"{table.name}.{name}"] = done
    return counts


@keys_cli.command("generate")
def generate() -> None:
    """Print a new random key for DATA_ENCRYPTION_KEY or DATA_LOOKUP_KEY."""
    click.echo(crypto.generate_key())


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
def rotate_command(batch: int) -> None:
    """Re-encrypt all encrypted columns with the first key of DATA_ENCRYPTION_KEY.

    Put the new key first and keep the old ones after it (comma-separated) until this has run.
    """
    from core import audit

    counts = rotate(batch)
    for column, n in counts.items():
        click.echo(f"{column}: {n} re-encrypted")
    audit.record("keys.rotate", target=crypto.keyring().active_id, detail=counts, actor_email="cli", commit=True)
    click.echo(f"all values now use key {crypto.keyring().active_id}")
