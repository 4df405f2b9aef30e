"""`flask users ...`: create staff accounts and API tokens."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from accounts import services
from accounts.models import ROLES
from core.errors import DomainError

users_cli = AppGroup("users", help="Manage staff accounts and their API tokens.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (one line) instead of prompting.")
@click.option("--name", default="", help="Display name.")
def create(email: str, role: str, password_stdin: bool, name: str) -> None:
    """Create a staff account EMAIL with ROLE (admin, campaigner or viewer)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, role, password, name=name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created {user.role} {user.email}")


@users_cli.command("token")
@click.argument("email")
@click.option("--label", default="cli", help="A note to recognise the token by.")
def token(email: str, label: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    try:
        user = services.find_user(email)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(services.issue_token(user, label))


@users_cli.command("revoke-token")
@click.argument("token_or_prefix")
def revoke(token_or_prefix: str) -> None:
    """Revoke an API token, given whole or by its first 10 characters."""
    n = services.revoke_token(token_or_prefix)
    if not n:
        raise click.ClickException("no such active token")
    click.echo(f"revoked {n} token(s)")
