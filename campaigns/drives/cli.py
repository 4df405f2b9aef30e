"""`flask drives ...`: scheduled digests to targets and the purge of unconfirmed signatures."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

drives_cli = AppGroup("drives", help="Letter drives: digests to targets, purge of unconfirmed signatures.")


@drives_cli.command("digest")
@click.option("--drive", "drive_id", type=int, help="Deliver this drive now, whatever its schedule.")
def digest_command(drive_id: int | None) -> None:
    """Send each due drive's new signatures to its targets ("another N people signed").

    Run it from cron or a timer (hourly is plenty): a drive is due when its last delivery is older
    than its digest interval. Targets that never had the letter get the compiled letter.
    """
    from campaigns.drives.delivery import deliver_drive, due_drives

    for did in [drive_id] if drive_id else due_drives():
        report = deliver_drive(did)
        click.echo(f"drive {did}: {report.sent} sent, {report.failed} failed, {report.pending} waiting, "
                   f"{report.skipped} skipped")


@drives_cli.command("purge")
@click.option("--days", type=int, default=None, help="Override DRIVE_UNCONFIRMED_DAYS.")
def purge_command(days: int | None) -> None:
    """Delete signatures whose email address was not confirmed within DRIVE_UNCONFIRMED_DAYS days."""
    from campaigns.drives.signatures import purge_unconfirmed
    from core.audit import record
    from core.db import db

    days = days if days is not None else current_app.config.get("DRIVE_UNCONFIRMED_DAYS", 7)
    deleted, cleared = purge_unconfirmed(days)
    record("drive.signatures.purge", detail={"deleted": deleted, "cleared": cleared, "days": days},
           actor_email="cli")
    db.session.commit()
    click.echo(f"{deleted} unconfirmed signature(s) deleted, {cleared} stale change(s) dropped (older than {days} days)")
