"""Hypothesis strategies for the text people and adversaries type: Cyrillic, Kazakh, bidi marks, markup."""
from __future__ import annotations

from hypothesis import strategies as st

KAZAKH = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
BIDI = "\u200e\u200f\u202e"
MARKUP = "<>&\"'{}%#*_[]()`!\\/=;,|\t"
ALPHABET = KAZAKH + CYRILLIC + BIDI + MARKUP + "abcXYZ019 .-@"

# Pieces that mean something to a browser or to Jinja, kept whole so they appear often.
NASTY = st.sampled_from(["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}",
                         "{% for x in range(3) %}x{% endfor %}", "{{ contact.email }}", "&amp;", "&lt;",
                         "javascript:alert(1)", "' onmouseover='x", "]]>", "<!--", "\u202eevil", "Әлия Қасымқызы"])


def words(max_size: int = 40, alphabet: str = ALPHABET) -> st.SearchStrategy[str]:
    """Short text made of letters people write and characters that mean something to a parser."""
    return st.lists(st.one_of(st.text(alphabet=alphabet, max_size=12), NASTY), max_size=6).map("".join).map(
        lambda s: s[:max_size])


def any_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Words, or anything Unicode has (no surrogates)."""
    return st.one_of(words(max_size), st.text(max_size=max_size))
