"""The outreach work: the dashboard, and one sub-package per concept (cases, appeals, mailings...)."""
from flask import Blueprint

bp = Blueprint("campaigns", __name__)

from campaigns import campaign_views, views  # noqa: E402,F401
