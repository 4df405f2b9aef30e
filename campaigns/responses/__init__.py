"""Responses: provider events, captured replies, logged responses, chasing, evidence and dashboards."""
from flask import Blueprint

bp = Blueprint("responses", __name__, url_prefix="/responses")

from campaigns.responses import views  # noqa: E402,F401
from campaigns.responses import privacy  # noqa: E402,F401  (registers with contacts.privacy)
