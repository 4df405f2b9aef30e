"""`flask contacts import|export`: the same import and export as the pages, from a terminal."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from contacts.exporting import export_to_file
from contacts.importing import import_file
from contacts.segments import Filters
from core.audit import record
from core.db import db
from core.errors import DomainError

contacts_cli = AppGroup("contacts", help="Import and export contacts as CSV.")


@contacts_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tag", "tags", multiple=True, help="Add this tag to every imported contact (repeatable).")
@click.option("--dry-run", is_flag=True, help="Check the file and count what would change; write nothing.")
def import_command(file: Path, tags: tuple[str, ...], dry_run: bool) -> None:
    """Import contacts from FILE (CSV: UTF-8 or Windows-1251; comma, semicolon or tab)."""
    try:
        result = import_file(file, tags=list(tags), dry_run=dry_run, source=f"import {file.name}")
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    for number, _, reason in result.rejections[:20]:
        click.echo(f"row {number}: {reason}", err=True)
    if result.rejected > 20:
        click.echo(f"... and {result.rejected - 20} more rejected rows", err=True)
    for number, column, value, reason in result.warnings[:20]:
        click.echo(f"row {number}, column {column!r}: {reason}", err=True)
    if len(result.warnings) > 20:
        click.echo(f"... and {len(result.warnings) - 20} more cells left empty", err=True)
    if not dry_run:
        record("contacts.import", None, {"file": file.name, "created": result.created, "updated": result.updated,
                                         "rejected": result.rejected}, actor_email="cli", commit=True)
    click.echo(result.summary())


@contacts_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tag", "tags", multiple=True, help="Only contacts with any of these tags (repeatable).")
def export_command(file: Path, tags: tuple[str, ...]) -> None:
    """Write contacts to FILE as CSV (UTF-8 with BOM, opens in Excel and LibreOffice)."""
    rows = export_to_file(Filters(tags=tuple(tags)), str(file))
    record("contacts.export", None, {"rows": rows, "tags": list(tags), "via": "cli"}, actor_email="cli")
    db.session.commit()
    click.echo(f"exported {rows} contacts to {file}")
