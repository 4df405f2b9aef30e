"""Appeal templates: Markdown with fields, language variants, live preview, the starter library."""
from flask import Blueprint

bp = Blueprint("appeals", __name__, url_prefix="/templates")

from campaigns.appeals import views  # noqa: E402,F401
