"""The public unsubscribe page, `/unsubscribe/<token>`, one-click per RFC 8058.

A GET only shows a confirm button (mail scanners follow links); a POST, from that button or from a
mail client's one-click `List-Unsubscribe=One-Click`, suppresses the address at once. The token is a
signed message key: it names no one, and a forged one is refused.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from campaigns.mailings.compose import key_from_token
from campaigns.mailings.models import TEST_KIND, Message
from contacts.suppression import suppress
from core import audit
from core.db import db
from core.security import access, csrf_exempt

bp = Blueprint("unsubscribe", __name__)


def _message(token: str) -> Message:
    key = key_from_token(token)
    message = db.session.execute(select(Message).where(Message.key == key)).scalar() if key else None
    if message is None:
        abort(404)
    return message


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@access("public")
@csrf_exempt  # the one-click POST comes from a mail client, with no session; the signed token is the key
def unsubscribe(token: str):
    message = _message(token)
    if message.kind == TEST_KIND:  # the campaigner's own test copy: its link works for recipients only
        return render_template("mailings/unsubscribe.html", token=token, done=False, test_copy=True)
    if request.method == "GET":
        return render_template("mailings/unsubscribe.html", token=token, done=False)
    suppress(message.email, "unsubscribed")
    audit.record("contact.unsubscribe", f"message:{message.id}", {"via": "one-click" if
                 request.form.get("List-Unsubscribe") == "One-Click" else "page"})
    db.session.commit()
    return render_template("mailings/unsubscribe.html", token=token, done=True)
