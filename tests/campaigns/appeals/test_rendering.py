"""The renderer: what a recipient gets, and what a template author cannot do (pure, no database)."""
from __future__ import annotations

from datetime import date

import pytest
from jinja2.exceptions import TemplateAssertionError

from campaigns.appeals.fields import context_for
from campaigns.appeals.rendering import Compiled, TemplateRejected, compile_template, pick_language
from campaigns.appeals.sandbox import AppealSandbox
from core.errors import ValidationError

TODAY = date(2025, 3, 14)


def context(**contact):
    person = {"name": "Alex Example", "salutation": "Dear Ambassador", "language": "en", **contact}
    cases = [{"name": "Ivan Petrov", "charges": "art. 405 of the Criminal Code", "arrest_date": "2024-11-02",
              "place_of_detention": "SIZO-1, Minsk", "status": "detained",
              "events": [{"happened_on": "2025-01-10", "kind": "transfer", "description": "Moved to a penal colony",
                          "source_url": "https://example.org/news/1"}]},
             {"name": "Olga Sidorova", "status": "sentenced"}]
    return context_for(person, cases, {"name": "Free them all"}, {"name": "Maria", "organisation": "Rights Watch"},
                       TODAY)


def render(body: str, subject: str = "Appeal", **contact):
    return compile_template(subject, body, "en").render(context(**contact))


def test_fields_markdown_and_loops_make_html_and_text():
    body = ("{{ contact.salutation }},\n\nWe write about **{{ case.name }}**, held since {{ case.arrest_date }}.\n\n"
            "{% for c in cases %}\n- {{ c.name }}\n{% endfor %}\n\n{{ sender.name }}")
    letter = render(body, subject="Free {{ case.name }}")
    assert letter.subject == "Free Ivan Petrov"
    assert "<p>Dear Ambassador,</p>" in letter.html
    assert "<strong>Ivan Petrov</strong>, held since 2 November 2024." in letter.html
    assert "<li>Ivan Petrov</li>" in letter.html and "<li>Olga Sidorova</li>" in letter.html
    assert "We write about **Ivan Petrov**, held since 2 November 2024." in letter.text
    assert "- Olga Sidorova" in letter.text


def test_russian_dates_and_status_words():
    compiled = compile_template("s", "{{ case.arrest_date }} {{ case.status }}", "ru")
    data = context_for({"language": "ru"}, [{"name": "И", "arrest_date": date(2024, 11, 2), "status": "detained"}],
                       None, None, TODAY)
    assert compiled.render(data).text == "2 ноября 2024 под стражей"


@pytest.mark.parametrize("name", [
    "<script>alert(1)</script>", "[click](https://evil.example)", "![x](https://evil.example/x.png)",
    "**bold** _em_ `code`", "# Heading", "<https://evil.example>", "&lt;b&gt;", "line\\\n- item",
])
def test_recipient_data_can_never_become_markup_or_links(name):
    letter = render("Hello {{ contact.position }}, [our site](https://example.org/?n={{ contact.position }})",
                    position=name)
    assert "evil.example\"" not in letter.html and "<script" not in letter.html
    assert "<h1" not in letter.html and "<img" not in letter.html and "<em>" not in letter.html
    assert letter.html.count("<a ") == 1 and 'href="https://example.org/?n=' in letter.html
    assert name in letter.text


def test_the_same_shape_is_converted_once_and_reused():
    compiled = compile_template("s", "Hello {{ contact.name }}", "en")
    first = compiled.render(context(name="A <b>"))
    second = compiled.render(context(name="B & C"))
    assert len(compiled.shapes) == 1
    assert first.html == "<p>Hello A &lt;b&gt;</p>\n" and second.html == "<p>Hello B &amp; C</p>\n"


PAYLOADS = [
    # the classic server-side template injection chains
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ range.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ config.items() }}",
    "{{ request.application.__globals__ }}",
    "{{ contact['__class__'] }}",
    "{{ contact.__class__.__base__.__subclasses__() }}",
    # |attr and format tricks
    "{{ ''|attr('__class__') }}",
    "{{ contact|attr('items')() }}",
    "{{ cases|attr('__class__')|attr('__subclasses__')() }}",
    "{{ '{0.__class__}'.format(contact) }}",
    "{{ '{x.__class__}'.format_map({'x': 1}) }}",
    "{{ '%s' % contact }}",
    "{{ contact.name|format('x') }}",
    "{{ '%(a)s'|format(a=contact) }}",
    # switching escaping off
    "{{ contact.name|safe }}",
    "{{ contact.name|e }}",
    "{% autoescape false %}{{ contact.name }}{% endautoescape %}",
    "{% filter replace('\\\\', '') %}{{ contact.name }}{% endfilter %}",
    # Jinja's own sandbox test corpus
    "{{ foo.__class__.__subclasses__() }}",
    "{{ [].append(23) }}",
    "{{ {1: 2}.clear() }}",
    "{% for item.attribute in cases %}...{% endfor %}",
    "{% for foo, bar.baz in cases %}...{% endfor %}",
    "{{ cls|attr('__subclasses__')() }}",
    "{{ 'a{0.__class__}b'.format(42) }}",
    "{{ ('a{0.__class__}b{1}'|safe).format(42, '<foo>') }}",
    "{{ 'a{x.__class__}b'.format_map({'x': 42}) }}",
    "{% macro say_hello(name) %}<p>{{ name }}</p>{% endmacro %}{{ say_hello('<blink>') }}",
    # things that run for hours or build gigabytes
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for a in cases %}{% for b in cases %}{% for c in cases %}{% endfor %}{% endfor %}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{% set a = 'xx' %}{% set b = a ~ a %}{% set c = b ~ b %}",
    "{% for c in cases recursive %}{{ loop(cases) }}{% endfor %}",
    "{% include 'base.html' %}",
    "{% extends 'base.html' %}",
    "{% import 'x' as y %}",
    "{{ cases|sort(attribute='__class__') }}",
    "{{ cases|map(attribute='name.__class__')|list }}",
    "{{ cases|sum(attribute='name._x') }}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_known_payloads_are_refused_with_a_clear_message(payload):
    with pytest.raises(TemplateRejected) as caught:
        render(payload)
    assert caught.value.part == "body"
    assert caught.value.line == 1
    assert caught.value.reason.startswith("line 1: ")


class Canary:
    """Stands for an ORM object wrongly passed in: any call would record that code ran."""

    fired = False

    def delete(self):
        Canary.fired = True
        return "deleted"

    def __str__(self):
        return "canary"


RUNTIME_ONLY = [
    "{{ contact.name.delete() }}", "{{ contact.name.__class__ }}", "{{ contact.name|attr('delete')() }}",
    "{{ contact['name'].delete() }}", "{{ ''.__class__.__mro__ }}", "{{ '{0.__class__}'.format(1) }}",
    "{{ '%s' % contact }}", "{{ 'x' * 100000000 }}", "{% for i in range(20000) %}{% endfor %}",
    "{{ cycler }}", "{{ contact.items() }}",
]


@pytest.mark.parametrize("payload", RUNTIME_ONLY)
def test_the_sandbox_alone_refuses_payloads_and_runs_nothing(payload):
    """Bypass the compile-time check: the run-time sandbox is a second, independent lock."""
    from campaigns.appeals.rendering import BODY_ENV, SUBJECT_ENV

    data = context()
    data["contact"]["name"] = Canary()
    with pytest.raises((TemplateRejected, TemplateAssertionError)):  # unknown filters fail even to compile
        body = BODY_ENV.from_string(payload)
        Compiled(SUBJECT_ENV.from_string("s"), body, "en", frozenset(), payload).render(data)
    assert Canary.fired is False


def test_absurd_nesting_is_refused_not_crashing():
    with pytest.raises(TemplateRejected):
        render("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}")


def test_the_sandbox_has_no_loader_and_only_range():
    env = AppealSandbox()
    assert env.loader is None and set(env.globals) == {"range"}
    assert "safe" not in env.filters and "attr" not in env.filters and "format" not in env.filters


def test_syntax_errors_and_unknown_fields_carry_line_and_field():
    with pytest.raises(TemplateRejected) as caught:
        compile_template("Hi", "Line one\n\nDear {{ contact.nmae }},\n", "en")
    assert (caught.value.line, caught.value.name) == (3, "contact.nmae")
    assert caught.value.reason == "line 3: unknown field contact.nmae"
    with pytest.raises(TemplateRejected) as caught:
        compile_template("Hi", "one\ntwo {% if case.name %}\nthree", "en")
    assert caught.value.line == 3 and "endif" in caught.value.reason
    with pytest.raises(TemplateRejected) as caught:
        compile_template("Hi {{ campaign.title }}", "body", "en")
    assert (caught.value.part, caught.value.name) == ("subject", "campaign.title")
    with pytest.raises(TemplateRejected) as caught:
        compile_template("Hi", "{% for c in cases %}\n{{ c.nmae }}\n{% endfor %}", "en")
    assert (caught.value.line, caught.value.name) == (2, "c.nmae")


def test_line_breaks_in_subjects_and_names_are_refused():
    with pytest.raises(TemplateRejected):
        compile_template("Hello\r\nBcc: victim@example.org", "body", "en")
    with pytest.raises(ValidationError) as caught:
        context_for({"name": "Alex\r\nBcc: x@example.org"}, [], None, None, TODAY)
    assert caught.value.field == "contact.name"
    with pytest.raises(ValidationError):
        context_for({"name": "nul\x00"}, [], None, None, TODAY)
    compiled = compile_template("About {{ case.summary }}", "body", "en")
    data = context_for({}, [{"name": "X", "summary": "two\nlines"}], None, None, TODAY)
    with pytest.raises(TemplateRejected) as caught:
        compiled.render(data)
    assert caught.value.part == "subject"


def test_size_and_output_limits():
    with pytest.raises(TemplateRejected):
        compile_template("s", "x" * 60_000, "en")
    with pytest.raises(TemplateRejected):
        compile_template("s" * 301, "body", "en")
    with pytest.raises(TemplateRejected) as caught:
        render("{% for i in range(9000) %}{{ range(60)|join('-') }}{% endfor %}")
    assert "loops ran more than 10000 times" in caught.value.reason
    with pytest.raises(TemplateRejected) as caught:
        render("{% for i in range(5000) %}{{ contact.position }}{% endfor %}", position="x" * 500)
    assert "larger than the output limit" in caught.value.reason
    with pytest.raises(TemplateRejected) as caught:
        render("{% for i in range(5000) %}" + "padding " * 20 + "{% endfor %}")
    assert "larger than the limit" in caught.value.reason


def test_a_field_cannot_choose_where_a_link_goes():
    for body in ("[x]({{ contact.email }})", "[x]: {{ contact.email }}\n\n[y][x]",
                 "[x](https://{{ contact.city }}/path)"):
        with pytest.raises(TemplateRejected):
            render(body, city="evil.example")


@pytest.mark.parametrize("wanted, expected", [
    ("ru", "ru"), ("RU", "ru"), ("de-AT", "de"), ("pt-PT", "pt-BR"), ("kk", "en"), (None, "en"), ("", "en"),
])
def test_language_fallback_exact_then_primary_then_source(wanted, expected):
    assert pick_language(wanted, ["en", "ru", "de", "pt-BR"], "en") == expected


def test_fallback_prefers_the_plain_primary_tag():
    assert pick_language("de-AT", ["de-CH", "de", "en"], "en") == "de"
    assert pick_language("fr", [], "en") is None
