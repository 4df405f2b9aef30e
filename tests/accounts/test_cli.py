"""The `users` command line contract."""
from __future__ import annotations

from sqlalchemy import select


def test_users_create_with_password_from_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "Admin@Example.org", "--role", "admin", "--password-stdin"],
                           input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    assert "created admin admin@example.org" in result.output
    from accounts import services

    with app.app_context():
        assert services.authenticate("admin@example.org", "a long enough passphrase") is not None


def test_users_create_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["users", "create", "a@example.org", "--role", "viewer", "--password-stdin"],
                           input="short\n")
    assert result.exit_code != 0
    assert "password: must be at least 12 characters" in result.output


def test_users_create_refuses_a_bad_role_and_a_duplicate(app, runner):
    bad = runner.invoke(args=["users", "create", "a@example.org", "--role", "king", "--password-stdin"], input="x" * 20)
    assert bad.exit_code != 0 and "king" in bad.output
    args = ["users", "create", "a@example.org", "--role", "viewer", "--password-stdin"]
    assert runner.invoke(args=args, input="y" * 20 + "\n").exit_code == 0
    again = runner.invoke(args=args, input="y" * 20 + "\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_users_token_prints_a_token_that_is_stored_hashed(app, runner):
    runner.invoke(args=["users", "create", "a@example.org", "--role", "campaigner", "--password-stdin"],
                  input="z" * 20 + "\n")
    result = runner.invoke(args=["users", "token", "a@example.org"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("so_") and len(token) > 40
    from accounts.models import ApiToken
    from core.db import db

    with app.app_context():
        stored = db.session.execute(select(ApiToken.token_hash)).scalar_one()
    assert token not in stored
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json()["email"] == "a@example.org"


def test_users_token_for_unknown_email_fails_clearly(app, runner):
    result = runner.invoke(args=["users", "token", "ghost@example.org"])
    assert result.exit_code != 0 and "no user with the email ghost@example.org" in result.output


def test_every_command_explains_itself(app, runner):
    for args in (["users", "--help"], ["users", "create", "--help"], ["users", "token", "--help"],
                 ["demo", "--help"], ["worker", "--help"], ["db", "upgrade", "--help"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and "Usage:" in result.output, args
