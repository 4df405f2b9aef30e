"""Contacts, organisations, tags, segments, suppression, import and export."""
from flask import Blueprint

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

from contacts import models, views  # noqa: E402,F401
