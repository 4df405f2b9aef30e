"""Appeal letters filled with whatever a contact or case record holds: markup stays text, code stays text.

Names and summaries come from imports, the API and case workers; an adversary can put `<script>`,
quotes or Jinja syntax into any of them. Whatever the values, the letter's HTML has exactly the tags
the template author wrote, each value reads back verbatim as text (or percent-encoded in a link),
and nothing in a value is run as template code.
"""
from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from campaigns.appeals.fields import context_for
from campaigns.appeals.rendering import compile_template
from core.errors import ValidationError
from core.mail.headers import LINE_BREAKS
from tests.properties.strategies import any_text, words

BODY = """Dear {{ contact.salutation }} {{ contact.name }},

# {{ case.name }}

We write about **{{ case.alias }}**, charged under _{{ case.charges }}_ and held in {{ case.place_of_detention }}.

- {{ case.summary }}
- `{{ contact.position }}` of {{ contact.organisation }}, {{ contact.city }}

> {{ campaign.goal }}

[Read more](https://example.org/cases/{{ case.alias }} "{{ contact.organisation }}")

![{{ contact.city }}](https://example.org/photo.png)

{{ sender.name }}"""
SUBJECT = "Free {{ case.name }} ({{ contact.name }})"
COMPILED = compile_template(SUBJECT, BODY, "en")
ONE_LINE = ("contact.name", "contact.salutation", "case.name", "case.alias", "sender.name")


class Structure(HTMLParser):
    """The tags and attribute names of a document, and its text and attribute values as a reader gets them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple] = []
        self.text: list[str] = []
        self.attrs: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append(("start", tag, tuple(name for name, _ in attrs)))
        for name, value in attrs:
            self.attrs.setdefault(name, []).append(value or "")

    def handle_endtag(self, tag):
        self.tags.append(("end", tag))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.tags.append(("comment",))

    def handle_decl(self, decl):
        self.tags.append(("decl",))

    def unknown_decl(self, data):
        self.tags.append(("decl",))

    def handle_pi(self, data):
        self.tags.append(("pi",))


def parse(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    parser.close()
    return parser


def values_from(draw_value) -> dict:
    return {
        "contact": {"name": draw_value("contact.name"), "salutation": draw_value("contact.salutation"),
                    "position": draw_value("contact.position"), "organisation": draw_value("contact.organisation"),
                    "city": draw_value("contact.city")},
        "case": {"name": draw_value("case.name"), "alias": draw_value("case.alias"),
                 "charges": draw_value("case.charges"), "place_of_detention": draw_value("case.place_of_detention"),
                 "summary": draw_value("case.summary")},
        "campaign": {"goal": draw_value("campaign.goal")},
        "sender": {"name": draw_value("sender.name")},
    }


@st.composite
def records(draw):
    def value(field: str) -> str:
        text = draw(any_text(60))
        text = text.replace("\x00", "")
        if field in ONE_LINE:
            text = "".join(" " if c in LINE_BREAKS else c for c in text)
        return text
    return values_from(value)


def render(values: dict):
    context = context_for(values["contact"], [values["case"]], values["campaign"], values["sender"],
                          date(2025, 3, 14), language="en")
    return COMPILED.render(context)


BENIGN = render(values_from(lambda field: "x"))


@settings(max_examples=300, deadline=None)
@given(values=records())
def test_any_field_value_is_shown_as_text_and_never_becomes_markup_or_code(values):
    letter = render(values)
    got, benign = parse(letter.html), parse(BENIGN.html)
    assert got.tags == benign.tags, "a value added, removed or changed a tag"
    text = "".join(got.text)
    for group in ("contact", "case"):
        for field, value in values[group].items():
            if field == "alias" or (group, field) == ("contact", "organisation"):
                continue  # these also sit in attributes; checked below
            if value.strip():
                assert value in text, f"{group}.{field} is not shown verbatim"
    for field in ("name", "salutation", "position", "city"):  # text positions: escaped, whatever they hold
        value = values["contact"][field]
        assert str(escape(value)) in letter.html, f"contact.{field} is not HTML-escaped"
    href = [h for h in got.attrs["href"] if h.startswith("https://example.org/cases/")]
    assert href == ["https://example.org/cases/" + quote(values["case"]["alias"], safe="")]
    assert got.attrs["title"] == [values["contact"]["organisation"]]
    assert got.attrs["alt"] == [values["contact"]["city"]]
    assert letter.subject == f"Free {values['case']['name']} ({values['contact']['name']})".strip()
    assert values["case"]["summary"] in letter.text


@pytest.mark.parametrize("value, if_run", [("{{ 7*7 }}", "49"), ("{% for i in range(3) %}x{% endfor %}", "xxx"),
                                            ("{{ case.name|upper }}", "{{ CASE"), ("{{ ''.__class__ }}", "<class"),
                                            ("<script>alert(1)</script>", "<script>")])
def test_template_syntax_in_a_value_is_printed_not_run(value, if_run):
    letter = render(values_from(lambda field: value))
    text = "".join(parse(letter.html).text)
    assert text.count(value) >= 8 and if_run not in letter.html and (if_run in value or if_run not in text)
    assert letter.subject == f"Free {value} ({value})"
    assert value in letter.text


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ONE_LINE), words(30), st.sampled_from(sorted(LINE_BREAKS | {"\x00"})))
def test_a_line_break_or_nul_in_a_header_field_is_refused_by_name(field, text, bad):
    group, name = field.split(".")
    values = values_from(lambda f: "x")
    values[group][name] = text + bad + text
    with pytest.raises(ValidationError) as refused:
        render(values)
    assert refused.value.field == field
