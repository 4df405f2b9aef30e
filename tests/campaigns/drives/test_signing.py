"""The pure core of signing: cleaning input, how signers are shown, networks."""
from __future__ import annotations

import pytest

from campaigns.drives.i18n import choose_language, words
from campaigns.drives.signing import (SignFormError, clean_text, first_name_and_initial, network_of,
                                      parse_sign_form, public_name, target_name)
from core.spreadsheets import safe_cell

EN = words("en")


def test_bidi_and_invisible_characters_are_removed():
    assert clean_text("  Ai\u202egerim \u200f\u200b Nurlan\x00ovna  ") == "Aigerim Nurlanovna"


@pytest.mark.parametrize("name, expected", [("Aigerim Nurlanovna", "Aigerim N."), ("Aigerim", "Aigerim"),
                                            ("Анна Мария Петрова", "Анна П.")])
def test_first_name_and_initial(name, expected):
    assert first_name_and_initial(name) == expected


def test_public_and_target_names_follow_the_signers_choice():
    assert public_name("Aigerim Nurlanovna", "Almaty", "full", EN) == "Aigerim Nurlanovna"
    assert public_name("Aigerim Nurlanovna", "Almaty", "initial", EN) == "Aigerim N."
    assert public_name("Aigerim Nurlanovna", "Almaty", "anonymous", EN) == "a supporter from Almaty"
    assert target_name("Aigerim Nurlanovna", "anonymous", True, EN) == "name withheld for safety"
    assert target_name("Aigerim Nurlanovna", "initial", True, EN) == "Aigerim Nurlanovna"
    assert target_name("Aigerim Nurlanovna", "full", False, EN) is None


@pytest.mark.parametrize("address, network", [("203.0.113.77", "203.0.113.0/24"),
                                              ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
                                              ("::ffff:198.51.100.9", "198.51.100.0/24"), ("junk", "unknown")])
def test_networks(address, network):
    assert network_of(address) == network


@pytest.mark.parametrize("cell, safe", [("=1+1", "'=1+1"), ("+7 700", "'+7 700"), ("-x", "'-x"), ("@SUM", "'@SUM"),
                                        ("Aigerim", "Aigerim"), (None, "")])
def test_formula_cells_are_neutralised(cell, safe):
    assert safe_cell(cell) == safe


def test_the_form_reports_every_bad_field_at_once():
    with pytest.raises(SignFormError) as caught:
        parse_sign_form({"name": "x" * 121, "city": "", "country": "ZZ", "email": "nope"}, "en", {"KZ"})
    assert caught.value.fields == {"name": "too_long", "city": "required", "country": "bad_country",
                                   "email": "bad_email"}


def test_an_unknown_display_choice_is_read_as_anonymous():
    data = parse_sign_form({"name": "A B", "city": "C", "country": "kz", "display": "loud"}, "ru", {"KZ"})
    assert data.display == "anonymous" and data.country == "KZ" and data.consent is False


def test_language_choice():
    from werkzeug.datastructures import LanguageAccept

    assert choose_language("kk", LanguageAccept([("ru", 1)]), "en") == "kk"
    assert choose_language("xx", LanguageAccept([("ru-RU", 1), ("en", 0.5)]), "en") == "ru"
    assert choose_language(None, LanguageAccept([("de", 1)]), "ru") == "ru"
