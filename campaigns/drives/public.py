"""The public page of a drive: the letter, the case, the counter, recent signatures and the sign form.

Self-contained (its own small layout and stylesheet, no script, nothing from elsewhere), in English,
Russian or Kazakh by `?lang=` or the browser's Accept-Language, and usable without JavaScript.
"""
from __future__ import annotations

from flask import jsonify, render_template, request

from campaigns.drives import bp, signatures
from campaigns.drives.cases import public_cases
from campaigns.drives.i18n import LANGUAGE_NAMES, choose_language, countries, country_names, words
from campaigns.drives.models import LANGUAGES
from campaigns.drives.signing import HONEYPOT, SignFormError, is_bot, parse_sign_form, public_name
from core.db import utcnow
from core.errors import Conflict, NotFound
from core.security import access


def _language(drive) -> str:
    return choose_language(request.args.get("lang") or request.form.get("lang"), request.accept_languages,
                           drive.default_language)


def _page(drive, lang: str, *, form=None, errors=None, limits=None, status: int = 200):
    w = words(lang)
    count, recent = signatures.public_stats(drive.id, drive.slug)
    shown = [(public_name(name, city, display, w), city if display != "anonymous" else "")
             for name, city, display in recent]
    percent = min(100, count * 100 // drive.goal) if drive.goal else 0
    html = render_template(
        "drives/public.html", drive=drive, letter=drive.letter(lang), lang=lang, w=w, count=count,
        percent=percent, recent=shown, cases=public_cases(drive.id), countries=countries(lang),
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES], form=form or {}, errors=errors or {},
        limits=limits or {}, is_open=drive.is_open(utcnow().date()), honeypot=HONEYPOT)
    return html, status


def _message(drive, lang: str, key: str, status: int, mailto: str | None = None):
    w = words(lang)
    return render_template("drives/message.html", drive=drive, lang=lang, w=w, message=w[key],
                           mailto=mailto), status


def _drive_or_404(slug: str):
    try:
        return signatures.drive_by_slug(slug)
    except NotFound:
        from flask import abort

        abort(404)


@bp.route("/drives/<slug>", methods=["GET", "POST"])
@access("public")
def public_page(slug: str):
    drive = _drive_or_404(slug)
    if request.method == "GET" and request.args.get("format") == "json":
        count, _ = signatures.public_stats(drive.id, drive.slug)
        return jsonify({"signatures": count, "goal": drive.goal})
    lang = _language(drive)
    if request.method == "GET":
        return _page(drive, lang)
    if is_bot(request.form):  # looks like success to the bot; nothing is stored
        return _message(drive, lang, "thanks", 200)
    try:
        data = parse_sign_form(request.form, lang, country_names(lang))
        result = signatures.sign(slug, data, request.remote_addr or "unknown")
    except SignFormError as exc:
        return _page(drive, lang, form=request.form, errors=exc.fields, limits=exc.limits, status=422)
    except signatures.RateLimited:
        return _message(drive, lang, "too_many", 429)
    except Conflict:
        return _message(drive, lang, "closed", 409)
    key = {"counted": "thanks", "held": "held", "check_mail": "check_mail"}[result.outcome]
    return _message(drive, lang, key, 200, mailto=_mailto(drive, lang, result.copy_token))


def _mailto(drive, lang: str, copy_token: str | None) -> str | None:
    if drive.delivery != "mailto" or not copy_token:
        return None
    from campaigns.drives.delivery import mailto_link

    return mailto_link(drive, lang, copy_token)


@bp.route("/drives/<slug>/confirm/<token>", methods=["GET", "POST"])
@access("public")
def confirm(slug: str, token: str):
    """GET shows a button (mail scanners follow links); the POST confirms."""
    drive = _drive_or_404(slug)
    lang = _language(drive)
    if request.method == "GET":
        return render_template("drives/confirm.html", drive=drive, lang=lang, w=words(lang), token=token)
    try:
        signature = signatures.confirm(slug, token)
    except NotFound:
        return _message(drive, lang, "bad_token", 404)
    return _message(drive, lang, "confirmed", 200, mailto=_mailto(drive, lang, signature.copy_token))


@bp.app_template_filter("drive_number")
def drive_number(value: int, lang: str = "en") -> str:
    text = f"{int(value):,}"
    return text if lang == "en" else text.replace(",", "\u00a0")
