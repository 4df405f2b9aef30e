"""Staff accounts: users and roles, sign-in, two-factor, invitations, API tokens, the audit trail."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from accounts import admin, settings, views  # noqa: E402,F401  (routes attach to bp)
