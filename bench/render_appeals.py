"""Rendering a typical appeal for many recipients: the sandboxed renderer against plain Jinja.

    python bench/render_appeals.py [--recipients 100000]

The appeal: a ~400-word Markdown body with 10 fields, rendered to HTML and text for every recipient.
"safe" is campaigns.appeals.rendering (compiled once: immutable sandbox, compile-time checks, values
set aside and escaped into a Markdown skeleton converted once per shape). "plain" is unsandboxed
jinja2.Environment templates compiled once from the same final HTML and text, given the same data;
the script checks that both produce identical parts before timing. Both run in this one process, in
alternating blocks of 2,000 recipients so that both see the same load on the machine.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jinja2  # noqa: E402
import nh3  # noqa: E402

from campaigns.appeals.fields import context_for  # noqa: E402
from campaigns.appeals.rendering import MARKDOWN, compile_template  # noqa: E402

SUBJECT = "Urgent: {{ case.name }} detained since {{ case.arrest_date }}"
PARAGRAPH = ("Independent observers, lawyers and relatives have documented the conditions of detention, the "
             "pressure on the defence and the repeated refusals of medical care. These facts are not in dispute, "
             "and they are set out in the court record and in the reports of international monitors. ")
BODY = f"""{{{{ contact.salutation }}}} {{{{ contact.name }}}},

I am writing to you as {{{{ contact.position }}}} at {{{{ contact.organisation }}}} about **{{{{ case.name }}}}**,
who was arrested on {{{{ case.arrest_date }}}} and is held at {{{{ case.place_of_detention }}}}.

## The charges

{{{{ case.name }}}} is charged under {{{{ case.charges }}}}. {PARAGRAPH}

## What happened since

{PARAGRAPH}{PARAGRAPH}

{PARAGRAPH}

## What we ask of you

1. Raise the case with the authorities at the earliest opportunity and call for release.
2. Ask that access to lawyers, to family and to medical care is granted without delay.
3. Request permission to visit in detention, and to observe the coming hearings.

{PARAGRAPH} More about the case is on [our case page](https://example.org/cases/ivan).

This letter is part of the campaign *{{{{ campaign.name }}}}*. {PARAGRAPH}

Thank you for your attention; we would be grateful to hear of any steps you are able to take.

Yours sincerely,
{{{{ sender.name }}}}
"""
FIELD = re.compile(r"\{\{.*?\}\}")
BLOCK = 2_000


def recipients(n: int) -> list[dict]:
    cases = [{"name": "Ivan Petrov", "charges": "art. 405 of the Criminal Code", "arrest_date": "2024-11-02",
              "place_of_detention": "SIZO-1 <Minsk> & region", "status": "detained"}]
    campaign = {"name": "Free them all"}
    sender = {"name": "Maria Example", "organisation": "Rights Watch"}
    out = []
    for i in range(n):
        contact = {"name": f"Envoy {i} & <Co>", "salutation": "Dear" if i % 3 else "Your Excellency",
                   "position": "Ambassador", "organisation": f"Embassy no. {i % 97}", "language": "en"}
        out.append(context_for(contact, cases, campaign, sender, date(2025, 3, 14)))
    return out


def plain_templates():
    """The same final HTML and text as plain Jinja: Markdown converted once with the fields kept."""
    fields = FIELD.findall(BODY)
    marked = BODY
    for i, field in enumerate(fields):
        marked = marked.replace(field, f"fieldmark{i}x", 1)
    html = nh3.clean(MARKDOWN.render(marked))
    for i, field in enumerate(fields):
        html = html.replace(f"fieldmark{i}x", field)
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True)  # the HTML ends as Markdown made it
    text_env = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(SUBJECT), env.from_string(html), text_env.from_string(BODY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    data = recipients(args.recipients)
    compiled = compile_template(SUBJECT, BODY, "en")
    subject_t, html_t, text_t = plain_templates()
    text_subject = jinja2.Environment(autoescape=False).from_string(SUBJECT)

    for ctx in data[:200]:  # the two must produce the same letter
        safe = compiled.render(ctx)
        assert safe.subject == text_subject.render(ctx)
        assert safe.html == html_t.render(ctx), "HTML parts differ"
        assert safe.text == text_t.render(ctx), "text parts differ"

    # Alternate blocks of recipients between the two, so both see the same machine load.
    safe_seconds = plain_seconds = 0.0
    for first in range(0, len(data), BLOCK):
        block = data[first:first + BLOCK]
        start = time.perf_counter()
        for ctx in block:
            compiled.render(ctx)
        safe_seconds += time.perf_counter() - start
        start = time.perf_counter()
        for ctx in block:
            text_subject.render(ctx), html_t.render(ctx), text_t.render(ctx)
        plain_seconds += time.perf_counter() - start

    words = len(re.sub(r"[{}#*\[\]()]", " ", BODY).split())
    safe_rate, plain_rate = len(data) / safe_seconds, len(data) / plain_seconds
    print(f"recipients: {len(data)}  body: ~{words} words, {len(set(FIELD.findall(BODY)))} fields, "
          f"subject + HTML + text per recipient")
    print(f"safe (sandboxed, escaped, Markdown once per shape): {safe_rate:,.0f} recipients/s ({safe_seconds:.2f} s)")
    print(f"plain (unsandboxed compiled Jinja, same output):    {plain_rate:,.0f} recipients/s ({plain_seconds:.2f} s)")
    print(f"ratio safe/plain: {safe_rate / plain_rate:.2f} (floor 0.40)")


if __name__ == "__main__":
    main()
