"""The public page: the letter in the reader's language, the counter, recent signatures, the sign form."""
from __future__ import annotations

import re

import pytest

from tests.campaigns.drives.helpers import count, make_drive, sign


@pytest.fixture
def drive(app):
    return make_drive(app)


def test_the_page_shows_the_letter_counter_and_form_in_english_by_default(client, drive):
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "We ask you to visit Aigerim in detention." in page
    assert '<progress max="100" value="0">' in page
    assert 'name="form_token"' in page and "Sign the letter" in page
    assert 'lang="en"' in page


def test_language_follows_the_query_then_the_browser(client, drive):
    russian = client.get("/drives/free-aigerim", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Просим вас посетить Айгерим" in russian and "Подписать письмо" in russian
    english = client.get("/drives/free-aigerim?lang=en", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "We ask you to visit" in english
    kazakh = client.get("/drives/free-aigerim?lang=kk").get_data(as_text=True)
    assert "Хатқа қол қою" in kazakh and 'lang="kk"' in kazakh
    assert "Уважаемый посол" not in kazakh  # no Kazakh letter: the drive's own language (English)


def test_the_page_loads_nothing_from_elsewhere_and_has_no_inline_code(client, drive):
    response = client.get("/drives/free-aigerim")
    page = response.get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "style=" not in page and "<script" not in page
    assert "Dashboard" not in page and "Sign out" not in page  # no staff navigation
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_signing_in_each_display_mode_is_shown_as_chosen(client, drive):
    assert sign(client, name="Aigerim Nurlanovna", display="full").status_code == 200
    assert sign(client, name="Daniyar Seitkali", display="initial").status_code == 200
    assert sign(client, name="Secret Person", city="Almaty", display="anonymous").status_code == 200
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "<bdi>Aigerim Nurlanovna</bdi>" in page
    assert "<bdi>Daniyar S.</bdi>" in page and "Seitkali" not in page
    assert "<bdi>a supporter from Almaty</bdi>" in page and "Secret Person" not in page
    assert count(client) == 3
    assert '<progress max="100" value="3">' in page
    russian = client.get("/drives/free-aigerim?lang=ru").get_data(as_text=True)
    assert "сторонник из города Almaty" in russian


def test_a_thank_you_page_follows_signing(client, drive):
    response = sign(client)
    assert response.status_code == 200
    assert "Thank you: your signature is counted." in response.get_data(as_text=True)


def test_the_thank_you_page_is_the_same_for_every_signer_and_bot(app, client, drive):
    app.config["DRIVE_STATS_SECONDS"] = 60  # the reply is rendered once a moment: nothing personal may be in it
    replies = [sign(client, name="Aigerim Nurlanovna"), sign(client, name="Dana Serikova", city="Astana"),
               sign(client, name="Bot", homepage="http://spam.example")]
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert replies[0].get_data() == replies[1].get_data() == replies[2].get_data()
    text = replies[0].get_data(as_text=True)
    assert "Thank you: your signature is counted." in text
    assert not any(word in text for word in ("Nurlanovna", "Dana", "Astana", "Bot"))
    assert "Спасибо: ваша подпись учтена." in sign(client, lang="ru").get_data(as_text=True)
    with app.app_context():
        from campaigns.drives.signatures import count as counted

        assert counted(drive) == 3  # the cached reply stands for stored rows; the bot stored none


def test_hostile_names_are_shown_escaped_and_isolated(client, drive):
    sign(client, name="<script>alert(1)</script>", city="<b>Astana</b>")
    sign(client, name="Evil\u202eresU nuS", city="Almaty\u200f")
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;Astana&lt;/b&gt;" in page
    assert "\u202e" not in page and "\u200f" not in page
    assert "<bdi>EvilresU nuS</bdi>" in page


def test_a_very_long_name_is_refused_with_the_reason_and_nothing_is_stored(client, drive):
    response = sign(client, name="<i>" + "Я" * 500)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Too long (at most 120 characters)." in page
    assert "&lt;i&gt;" in page and "<i>Я" not in page  # the entered value comes back escaped
    assert count(client) == 0


def test_missing_fields_are_named(client, drive):
    response = sign(client, name="  ", country="XX", email="not-an-address")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="name-error"' in page and 'id="country-error"' in page and 'id="email-error"' in page
    assert count(client) == 0


def test_the_honeypot_thanks_the_bot_and_stores_nothing(client, drive):
    response = sign(client, homepage="http://spam.example")
    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    assert count(client) == 0


def test_a_closed_drive_shows_no_form_and_refuses_signatures(app, client):
    make_drive(app, status="closed")
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert "This letter is closed" in page and "Sign the letter" not in page
    from tests.campaigns.drives.helpers import form_token

    token = form_token(client, "/drives/free-aigerim/confirm/x")
    response = client.post("/drives/free-aigerim", data={"name": "A B", "city": "X", "country": "KZ",
                                                         "form_token": token})
    assert response.status_code == 409
    assert count(client) == 0


def test_json_counts_confirmed_visible_signatures(client, drive):
    sign(client)
    sign(client, email="pending@example.org")  # waits for its confirmation
    assert client.get("/drives/free-aigerim?format=json").get_json() == {"signatures": 1, "goal": 100}


def test_an_unknown_drive_is_not_found(client, drive):
    assert client.get("/drives/nope").status_code == 404


def test_a_form_without_a_valid_token_comes_back_filled_in(client, drive):
    for token in (None, "forged"):
        data = {"name": "Aigerim Nurlanovna", "city": "Almaty", "country": "KZ"}
        if token:
            data["form_token"] = token
        response = client.post("/drives/free-aigerim", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "The form had expired" in page and 'value="Aigerim Nurlanovna"' in page
    assert count(client) == 0


def test_supporters_get_no_cookie(client, drive):
    assert "Set-Cookie" not in client.get("/drives/free-aigerim").headers
    assert "Set-Cookie" not in sign(client).headers


def test_the_counter_says_one_signature_and_uses_russian_plural_forms(client, drive):
    sign(client)
    english = client.get("/drives/free-aigerim?lang=en").get_data(as_text=True)
    assert '<strong class="count">1</strong> signature <' in english
    russian = client.get("/drives/free-aigerim?lang=ru").get_data(as_text=True)
    assert '<strong class="count">1</strong> подпись <' in russian


def test_counted_words_follow_cldr_plural_categories():
    from campaigns.drives.i18n import counted

    assert [counted("en", "signatures", n) for n in (0, 1, 2)] == ["signatures", "signature", "signatures"]
    assert [counted("ru", "signatures", n) for n in (1, 2, 5, 11, 21, 22)] == [
        "подпись", "подписи", "подписей", "подписей", "подпись", "подписи"]
    assert counted("kk", "signatures", 5) == "қолтаңба"


def test_the_sign_form_starts_with_the_least_identifying_choice(client, drive):
    page = client.get("/drives/free-aigerim").get_data(as_text=True)
    assert re.findall(r'name="display" value="(\w+)" checked', page) == ["anonymous"]


def test_a_signature_posted_without_a_display_choice_is_anonymous():
    from campaigns.drives.signing import parse_sign_form

    data = parse_sign_form({"name": "Aigerim N", "city": "Almaty", "country": "KZ"}, "en", {"KZ": "Kazakhstan"})
    assert data.display == "anonymous"


def test_a_letter_typed_with_crlf_keeps_its_paragraphs(app, client):
    make_drive(app, slug="crlf", letters={"en": {"title": "Free Aigerim",
                                                 "body": "Dear Ambassador,\r\n\r\nWe ask you.\r\n\r\nSincerely"}})
    page = client.get("/drives/crlf").get_data(as_text=True)
    assert "<p>Dear Ambassador,</p><p>We ask you.</p><p>Sincerely</p>" in page


def test_a_letter_shown_in_another_language_says_so_and_each_state_has_its_own_title(client, drive):
    kazakh = client.get("/drives/free-aigerim?lang=kk").get_data(as_text=True)
    assert '<h1 lang="en">Free Aigerim</h1>' in kazakh and '<article class="letter" lang="en">' in kazakh
    assert "<title>Free Aigerim</title>" in kazakh
    failed = sign(client, name="").get_data(as_text=True)
    assert "<title>Please correct the marked fields. · Free Aigerim</title>" in failed
    assert 'id="sign-errors" tabindex="-1" autofocus' in failed
    thanks = sign(client).get_data(as_text=True)
    assert "<title>Thank you: your signature is counted. · Free Aigerim</title>" in thanks
