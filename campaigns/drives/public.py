"""The public page of a drive: the letter, the case, the counter, recent signatures and the sign form.

Self-contained (its own small layout and stylesheet, no script, nothing from elsewhere), in English,
Russian or Kazakh by `?lang=` or the browser's Accept-Language, and usable without JavaScript.

Supporters get no cookie: instead of the session-bound CSRF token, the forms here carry a signed,
dated form token. A cross-site post could only make a visitor sign a letter the attacker could sign
directly; what matters here is that a reader who blocks cookies can still sign, that nothing on the
page tells one supporter's visits from another's, and that the rate limits stop floods.
"""
from __future__ import annotations

from flask import abort, current_app, jsonify, render_template, request
from itsdangerous import BadData, URLSafeTimedSerializer

from campaigns.drives import bp, signatures
from campaigns.drives.cases import public_cases
from campaigns.drives.i18n import LANGUAGE_NAMES, choose_language, countries, country_names, words
from campaigns.drives.models import LANGUAGES
from campaigns.drives.signing import (HONEYPOT, MAX_CITY, MAX_EMAIL, MAX_NAME, SignFormError, is_bot,
                                      parse_sign_form, public_name)
from core.db import utcnow
from core.errors import Conflict, NotFound
from core.limits import echoable
from core.security import access, csrf_exempt

FORM_TOKEN_AGE = 2 * 24 * 3600  # a page left open for a day or two still signs
ECHO_LIMITS = {"name": MAX_NAME, "city": MAX_CITY, "email": MAX_EMAIL}  # what the form may show again


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="drives.form")


def form_token(slug: str) -> str:
    return _serializer().dumps(slug)


def _form_token_ok(slug: str) -> bool:
    try:
        return _serializer().loads(request.form.get("form_token", ""), max_age=FORM_TOKEN_AGE) == slug
    except BadData:
        return False


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
        "drives/public.html", drive=drive, slug=drive.slug, letter=drive.letter(lang), lang=lang, w=w, count=count,
        percent=percent, recent=shown, cases=public_cases(drive.id), countries=countries(lang),
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES], form=form or {}, errors=errors or {},
        limits=limits or {}, is_open=drive.is_open(utcnow().date()), honeypot=HONEYPOT,
        form_token=form_token(drive.slug))
    return html, status


def _cached_page(slug: str):
    """The page as most readers get it: rendered once per language every moment."""
    preferred = choose_language(request.args.get("lang"), request.accept_languages, "")
    html = signatures.cached_page(slug, preferred)
    if html is None:
        drive = _drive_or_404(slug)
        lang = preferred or drive.default_language
        html, _ = _page(drive, lang)
        signatures.keep_page(slug, preferred, html)
    return html


def _message(slug: str, title: str, lang: str, key: str, status: int, mailto: str | None = None):
    w = words(lang)
    return render_template("drives/message.html", slug=slug, title=title, lang=lang, w=w, message=w[key],
                           mailto=mailto), status


def _drive_or_404(slug: str):
    try:
        return signatures.drive_by_slug(slug)
    except NotFound:
        abort(404)


@bp.route("/drives/<slug>", methods=["GET", "POST"])
@access("public")
@csrf_exempt
def public_page(slug: str):
    if request.method == "GET" and request.args.get("format") != "json":
        return _cached_page(slug)
    if request.method == "GET":
        drive = _drive_or_404(slug)
        count, _ = signatures.public_stats(drive.id, drive.slug)
        return jsonify({"signatures": count, "goal": drive.goal})
    try:
        info = signatures.drive_info(slug)
    except NotFound:
        abort(404)
    lang = choose_language(request.args.get("lang") or request.form.get("lang"), request.accept_languages,
                           info.default_language)
    if is_bot(request.form):  # looks like success to the bot; nothing is stored
        return _common_reply(slug, info.title(lang), lang, "thanks")
    if not _form_token_ok(slug):  # stale or forged: show the form again, filled in, with a fresh token
        return _page(_drive_or_404(slug), lang, form=echoable(request.form, ECHO_LIMITS), errors={"form": "expired"},
                     status=400)
    try:
        data = parse_sign_form(request.form, lang, country_names(lang))
        result = signatures.sign(slug, data, request.remote_addr or "unknown")
    except SignFormError as exc:
        return _page(_drive_or_404(slug), lang, form=echoable(request.form, ECHO_LIMITS), errors=exc.fields,
                     limits=exc.limits, status=422)
    except signatures.RateLimited:
        return _common_reply(slug, info.title(lang), lang, "too_many", 429)
    except Conflict:
        return _message(slug, info.title(lang), lang, "closed", 409)
    key = {"counted": "thanks", "held": "held", "check_mail": "check_mail"}[result.outcome]
    if info.delivery == "mailto":
        return _message(slug, info.title(lang), lang, key, 200, mailto=_mailto(slug, lang, result.copy_token))
    return _common_reply(slug, info.title(lang), lang, key)


def _common_reply(slug: str, title: str, lang: str, key: str, status: int = 200):
    """A reply that is the same for every signer (nothing personal in it), rendered once a moment."""
    variant = f"reply:{key}:{lang}"
    html = signatures.cached_page(slug, variant)
    if html is None:
        html, _ = _message(slug, title, lang, key, status)
        signatures.keep_page(slug, variant, html)
    return html, status


def _mailto(slug: str, lang: str, copy_token: str | None) -> str | None:
    if not copy_token:
        return None
    from campaigns.drives.delivery import mailto_link

    return mailto_link(signatures.drive_by_slug(slug), lang, copy_token)


@bp.route("/drives/<slug>/confirm/<token>", methods=["GET", "POST"])
@access("public")
@csrf_exempt
def confirm(slug: str, token: str):
    """GET shows a button (mail scanners follow links); the POST confirms."""
    drive = _drive_or_404(slug)
    lang = _language(drive)
    if request.method == "GET":
        return render_template("drives/confirm.html", slug=slug, lang=lang, w=words(lang), token=token,
                               form_token=form_token(slug))
    if not _form_token_ok(slug):
        abort(400)
    title = (drive.letter(lang).title if drive.letter(lang) else drive.title)
    try:
        signature = signatures.confirm(slug, token)
    except NotFound:
        return _message(slug, title, lang, "bad_token", 404)
    return _message(slug, title, lang, "confirmed", 200, mailto=_mailto(slug, lang, signature.copy_token))


@bp.app_template_filter("drive_paragraphs")
def drive_paragraphs(text: str) -> list[str]:
    from campaigns.drives.drives import paragraphs

    return paragraphs(text)


@bp.app_template_filter("drive_counted")
def drive_counted(value: int, key: str, lang: str = "en") -> str:
    from campaigns.drives.i18n import counted

    return counted(lang, key, int(value))


@bp.app_template_filter("drive_number")
def drive_number(value: int, lang: str = "en") -> str:
    text = f"{int(value):,}"
    return text if lang == "en" else text.replace(",", "\u00a0")
