"""The public forms, filled in by anyone: the drive sign form and the unsubscribe page.

Whatever the fields hold (markup, bidi overrides, NUL, megabytes), the answer is never a server
error; an over-long value is refused with 422, the form shown again (each field cut at its limit)
with the reason, and nothing stored; an accepted name appears on the public page as text, never as markup; and a body larger than
MAX_CONTENT_LENGTH is refused with 413 before anything is stored.
"""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import delete, func, select

from campaigns.drives.signing import MAX_CITY, MAX_EMAIL, MAX_NAME, clean_text, first_name_and_initial
from tests.campaigns.drives.helpers import form_token, make_drive
from tests.properties.strategies import any_text, words
from tests.properties.test_rendering import parse

SLUG = "free-aigerim"
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def config(config):
    # Counters read right after writing, and no rate limit: every example is a new visitor.
    return {**config, "DRIVE_STATS_SECONDS": 0,
            "DRIVE_LIMITS": {"address_soft": 10**9, "network_soft": 10**9, "address_hard": 10**9}}


def _signatures(app) -> int:
    from campaigns.drives.models import RateWindow, Signature
    from core.db import db

    with app.app_context():
        n = db.session.execute(select(func.count()).select_from(Signature)).scalar_one()
        db.session.execute(delete(Signature))
        db.session.execute(delete(RateWindow))
        db.session.commit()
    return n


def long_text(limit: int):
    return st.integers(limit + 1, limit * 40).flatmap(lambda n: words(20).map(lambda w: ((w or "Ә") * n)[:n] + "Ә"))


any_form = st.fixed_dictionaries(
    {"name": st.one_of(words(60), any_text(60), long_text(MAX_NAME)),
     "city": st.one_of(st.sampled_from(["Almaty", "Алматы", "Қарағанды"]), any_text(30), long_text(MAX_CITY)),
     "country": st.one_of(st.sampled_from(["KZ", "kz", " DE ", "XX", ""]), any_text(5)),
     "display": st.one_of(st.sampled_from(["full", "initial", "anonymous"]), any_text(8)),
     "consent": st.sampled_from(["1", "on", "", "yes", "0"]),
     "lang": st.one_of(st.sampled_from(["en", "ru", "kk"]), any_text(8))},
    optional={"email": st.one_of(st.just("anna@example.org"), any_text(30), long_text(MAX_EMAIL)),
              "homepage": st.just(""), "extra": any_text(20)})
# A signer who fills in the rest properly: only the name is anything at all.
named_form = st.fixed_dictionaries(
    {"name": st.one_of(words(60), any_text(60)).map(lambda n: "Ә" + n), "city": st.just("Алматы"),
     "country": st.just("KZ"), "display": st.sampled_from(["full", "initial"]), "consent": st.just("1"),
     "lang": st.sampled_from(["en", "ru", "kk"])})
sign_forms = st.one_of(any_form, named_form)


@settings(max_examples=60, **SETTINGS)
@given(form=sign_forms)
def test_any_signature_form_gets_a_clear_answer_and_an_accepted_name_is_shown_as_text(app, client, form):
    if not getattr(app, "_drive_made", False):
        make_drive(app, slug=SLUG)
        app._drive_made = form_token(client, f"/drives/{SLUG}")
    _signatures(app)
    response = client.post(f"/drives/{SLUG}", data={**form, "form_token": app._drive_made})
    page = response.get_data(as_text=True)
    assert response.status_code < 500, page[:300]
    name, city = clean_text(form["name"]), clean_text(form["city"])
    email = (form.get("email") or "").strip()
    too_long = len(name) > MAX_NAME or len(city) > MAX_CITY or len(email) > MAX_EMAIL
    if too_long:
        assert response.status_code == 422
        assert "at most" in page or "не больше" in page or "артық" in page or 'class="error"' in page
        assert _signatures(app) == 0, "an over-long signature was stored"
        # Shown again as typed, up to the field's limit: a page never echoes more than a field may hold.
        assert form["name"][:MAX_NAME] in parse(page).attrs.get("value", []), "the form is not shown again"
        event("refused: too long")
        return
    if response.status_code != 200 or email or form["display"] not in ("full", "initial"):
        assert response.status_code in (200, 422)
        event(f"answered {response.status_code}")
        _signatures(app)
        return
    public = client.get(f"/drives/{SLUG}?lang=en").get_data(as_text=True)
    shown = name if form["display"] == "full" else first_name_and_initial(name)
    assert f"<bdi>{escape(shown)}</bdi>" in public, "the accepted name is not on the public page, escaped"
    assert _signatures(app) == 1
    event("signed and shown")


@settings(max_examples=40, **SETTINGS)
@given(token=st.one_of(any_text(60), st.text(min_size=200, max_size=3000)), fields=st.dictionaries(
    st.sampled_from(["List-Unsubscribe", "email", "csrf_token", "x"]), any_text(40), max_size=3))
def test_any_unsubscribe_token_or_form_is_refused_with_404_not_an_error(client, token, fields):
    path = "/unsubscribe/" + quote(token.replace("/", ""), safe="")
    for response in (client.get(path), client.post(path, data=fields)):
        assert response.status_code in (404, 405, 308), response.status_code


def test_a_real_unsubscribe_link_suppresses_the_address_whatever_else_is_posted(app, client):
    from campaigns.mailings.compose import unsubscribe_token
    from campaigns.mailings.models import Message
    from campaigns.mailings.preparing import prepare_mailing
    from contacts.suppression import suppressed_among
    from core.db import db
    from tests.campaigns.mailings.factories import make_contacts, make_mailing

    with app.app_context():
        make_contacts(1)
        mailing_id = make_mailing()
        prepare_mailing(mailing_id)
        message = db.session.execute(select(Message).where(Message.mailing_id == mailing_id)).scalar_one()
        token, address = unsubscribe_token(message.key), message.email
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click\x00<script>", "x": "Ә" * 5000})
    assert response.status_code == 200
    with app.app_context():
        assert address in suppressed_among([address])


@settings(max_examples=10, **SETTINGS)
@given(extra=st.integers(1, 50_000), field=st.sampled_from(["name", "city", "email", "padding"]))
def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_stored(app, client, extra, field):
    if not getattr(app, "_drive_made", False):
        make_drive(app, slug=SLUG)
        app._drive_made = form_token(client, f"/drives/{SLUG}")
    app.config["MAX_CONTENT_LENGTH"] = limit = 64 * 1024
    form = {"name": "Aigerim", "city": "Almaty", "country": "KZ", "display": "full", "consent": "1",
            "form_token": app._drive_made}
    form[field] = form.get(field, "") + "Ә" * ((limit + extra) // 2)
    response = client.post(f"/drives/{SLUG}", data=form)
    assert response.status_code == 413
    assert _signatures(app) == 0
