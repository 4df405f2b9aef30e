"""Contact pages."""
from flask import render_template

from contacts import bp
from core.security import access


@bp.get("/")
@access("viewer")
def index():
    return render_template("contacts/list.html")
