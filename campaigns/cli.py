"""`flask demo`: fictional demo data, so a newcomer sees a living app."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load fictional demo data (example.org contacts, a fictional case, a template)."""
    from campaigns.demo import load_demo

    summary = load_demo()
    click.echo(summary)
