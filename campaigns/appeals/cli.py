"""`flask templates ...`: the appeal template library from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup

templates_cli = AppGroup("templates", help="Appeal templates.")


@templates_cli.command("load-starters")
def load_starters_command() -> None:
    """Add the starter appeals (English and Russian) that are not in the library yet."""
    from campaigns.appeals.starters import load_starters

    added = load_starters()
    click.echo(f"{added} starter template{'' if added == 1 else 's'} added" if added
               else "the starter library is already loaded")
