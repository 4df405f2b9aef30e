"""`flask --app app mailings send ID | status ID | pump`."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from campaigns.mailings import jobs, services
from core.errors import DomainError


@click.group("mailings")
def mailings_cli() -> None:
    """Send mailings and follow them."""


@mailings_cli.command("send")
@click.argument("mailing_id", type=int)
@with_appcontext
def send_command(mailing_id: int) -> None:
    """Send a draft mailing now."""
    try:
        queued = services.send_mailing(mailing_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"mailing {mailing_id}: {queued} messages queued")


@mailings_cli.command("status")
@click.argument("mailing_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@with_appcontext
def status_command(mailing_id: int, as_json: bool) -> None:
    """Print a mailing's status and counts by state."""
    try:
        p = services.progress(mailing_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps(p))
        return
    counts = ", ".join(f"{k} {v}" for k, v in p["counts"].items() if v or k in ("total", "sent"))
    click.echo(f"mailing {p['id']} {p['name']!r}: {p['status']} ({p['percent']}%): {counts}")


@mailings_cli.command("pump")
@with_appcontext
def pump_command() -> None:
    """Settle expired leases, start due mailings and re-enqueue stalled work (cron-safe)."""
    done = jobs.run_pump()
    if current_app.config.get("REDIS_URL"):
        jobs.ensure_pump()
    click.echo(" ".join(f"{k}={v}" for k, v in done.items()) or "nothing to do")
