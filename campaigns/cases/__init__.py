"""Case files: the people at risk our appeals are about."""
from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from campaigns.cases import views  # noqa: E402,F401
