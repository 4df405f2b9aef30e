"""Letter drives: campaigners' pages under /campaign-drives/, the public page at /drives/<slug>."""
from flask import Blueprint

bp = Blueprint("drives", __name__)

from campaigns.drives import models, public, views  # noqa: E402,F401  (routes attach to bp)
from campaigns.drives import privacy  # noqa: E402,F401  (registers with contacts.privacy)
