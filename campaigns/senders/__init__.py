"""Sender identities: the From name, From address and Reply-To a mailing or a drive goes out under."""
from flask import Blueprint

bp = Blueprint("senders", __name__, url_prefix="/senders")

from campaigns.senders import views  # noqa: E402,F401
