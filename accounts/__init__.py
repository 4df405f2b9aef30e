"""Staff accounts: users and roles, sign-in, API tokens."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from accounts import views  # noqa: E402,F401  (routes attach to bp)
