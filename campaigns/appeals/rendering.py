"""The sandboxed appeal renderer: a template's subject and Markdown body to each recipient's letter.

    compiled = compile_template(subject, body_markdown, "en")   # once per template and job
    compiled.render(context_for(contact, cases, campaign, sender, today))  # per recipient

How recipient data is kept out of the markup. The body is Jinja over Markdown. At render time every
`{{ ... }}` output is replaced by an opaque placeholder and its value is set aside, so the Jinja
output (the "skeleton") holds only the author's Markdown and placeholders. The skeleton goes through
Markdown (html off) and nh3 once per distinct skeleton (cached: control flow gives a template a few
shapes at most), then each value is HTML-escaped into its slot. A value never passes through the
Markdown parser, so no name or summary can open a link, a heading or a tag. Placeholders inside a
link address are allowed only after a literal `https://host/` and are percent-encoded. The text part
is the skeleton with the raw values: the Markdown source, readable as plain text.

Safety is two locks: `checks.inspect` refuses dangerous syntax and unknown fields with their line at
compile time, and `sandbox.AppealSandbox` refuses the rest at run time. Errors are `TemplateRejected`
(a ValidationError naming the part, the line and the field).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote

import nh3
from jinja2 import TemplateSyntaxError, pass_context
from jinja2.exceptions import SecurityError, TemplateError
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from campaigns.appeals.checks import Problem, inspect
from campaigns.appeals.fields import context_for, primary  # noqa: F401 - part of this module's contract
from campaigns.appeals.budget import BUDGET_KEY, MARKDOWN_BUDGET, Budget, budget_of, markdown_deadline
from campaigns.appeals.sandbox import MAX_OUTPUT, AppealSandbox
from core.errors import ValidationError
from core.mail.headers import header_problem

MAX_SUBJECT = 300
MAX_BODY = 50_000
SINK_KEY = "\x00sink"
SHAPES_CACHED = 64
# html off: raw HTML in a template is shown as text. breaks: a new line in a letter is a new line.
MARKDOWN = MarkdownIt("commonmark", {"html": False, "breaks": True})
MARKDOWN.inline.ruler.before(MARKDOWN.inline.ruler.get_all_rules()[0], "deadline", markdown_deadline)
MARKDOWN.block.ruler.before(MARKDOWN.block.ruler.get_all_rules()[0], "deadline", markdown_deadline)
SAFE_URL_START = re.compile(r"^(?:https?://[^/?#\s\"'<>]+[/?#]|mailto:[^?\"]*\?)", re.I)


class TemplateRejected(ValidationError):
    """A template part that cannot be saved or rendered: `part` ('subject'/'body'), `line`, `name`."""

    def __init__(self, part: str, problems: list[Problem]):
        self.part = part
        self.problems = problems
        self.line = problems[0].line
        self.name = problems[0].field
        super().__init__(part, "; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


class _Sink(list):
    __slots__ = ("nonce", "size")


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value.unescape()
    return value if type(value) is str else str(value)


@pass_context
def _set_aside(context, value) -> str:
    """finalize for the body: keep the value, print a placeholder in its place."""
    budget_of(context).check_time()
    sink = context.parent[SINK_KEY]
    text = _as_text(value)
    sink.size += len(text)
    if sink.size > MAX_OUTPUT:  # the values alone would make the letter too large
        raise SecurityError("the letter is larger than the output limit")
    sink.append(text)
    return f"{sink.nonce}n{len(sink) - 1}z"


@pass_context
def _plain(context, value) -> str:
    budget_of(context).check_time()
    return _as_text(value)


# trim_blocks/lstrip_blocks: a `{% for %}` on its own line leaves no blank line in the Markdown.
BODY_ENV = AppealSandbox(autoescape=True, finalize=_set_aside, trim_blocks=True, lstrip_blocks=True)
SUBJECT_ENV = AppealSandbox(autoescape=False, finalize=_plain)
ESCAPE = {"text": escape, "attr": escape, "url": lambda v: escape(quote(v, safe="")), "raw": str}


@dataclass(frozen=True)
class _Shape:
    html_parts: tuple
    html_slots: tuple
    text_parts: tuple
    text_slots: tuple


def _parse(env: AppealSandbox, part: str, source: str):
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateRejected(part, [Problem(exc.lineno, None, exc.message or "syntax error")]) from None
    except RecursionError:
        raise TemplateRejected(part, [Problem(None, None, "the template is nested too deeply")]) from None
    problems, fields, required = inspect(tree, source, links_checked=(part == "body"))
    if problems:
        raise TemplateRejected(part, problems)
    try:
        return env.from_string(source), fields, required
    except RecursionError:
        raise TemplateRejected(part, [Problem(None, None, "the template is nested too deeply")]) from None


def compile_template(subject: str, body_markdown: str, language: str = "en") -> "Compiled":
    """Check and compile one language variant. Raises TemplateRejected with line and field."""
    subject, body = subject or "", (body_markdown or "").replace("\r\n", "\n")
    if not subject.strip():
        raise TemplateRejected("subject", [Problem(None, None, "the subject is empty")])
    if header_problem(subject):
        raise TemplateRejected("subject", [Problem(1, None, f"the subject {header_problem(subject)}")])
    if len(subject) > MAX_SUBJECT:
        raise TemplateRejected("subject", [Problem(1, None, f"the subject is longer than {MAX_SUBJECT} characters")])
    if "\x00" in body:
        raise TemplateRejected("body", [Problem(None, None, "the body cannot contain NUL characters")])
    if len(body) > MAX_BODY:
        raise TemplateRejected("body", [Problem(None, None, f"the body is longer than {MAX_BODY} characters")])
    subject_template, subject_fields, subject_required = _parse(SUBJECT_ENV, "subject", subject)
    body_template, body_fields, body_required = _parse(BODY_ENV, "body", body)
    return Compiled(subject_template, body_template, language, frozenset(subject_fields | body_fields), body,
                    frozenset(subject_required | body_required))


class Compiled:
    def __init__(self, subject_template, body_template, language: str, fields: frozenset, body: str,
                 required: frozenset = frozenset()):
        self.subject_template, self.body_template = subject_template, body_template
        self.language, self.fields, self.required = language, fields, required
        nonce = "ph" + secrets.token_hex(6)
        while nonce in body:
            nonce = "ph" + secrets.token_hex(6)
        self.nonce = nonce
        self.placeholder = re.compile(nonce + r"n(\d+)z")
        self.shapes: dict[str, _Shape] = {}

    def render(self, context: dict) -> Rendered:
        budget = Budget()  # one for the whole letter: subject, body and the Markdown step
        sink = _Sink()
        sink.nonce, sink.size = self.nonce, 0
        base = {"range": BODY_ENV.globals["range"], BUDGET_KEY: budget}
        subject = self._run(self.subject_template, {**base, **context}, "subject", budget)
        if header_problem(subject):
            raise TemplateRejected("subject", [Problem(1, None, f"the filled-in subject {header_problem(subject)}")])
        skeleton = self._run(self.body_template, {**base, **context, SINK_KEY: sink}, "body", budget)
        shape = self.shapes.get(skeleton)
        if shape is None:
            shape = self._shape(skeleton, budget)
        html = _fill(shape.html_parts, shape.html_slots, sink)
        text = _fill(shape.text_parts, shape.text_slots, sink)
        if len(html) > 2 * MAX_OUTPUT or len(text) > 2 * MAX_OUTPUT:
            raise TemplateRejected("body", [Problem(None, None, "the letter is larger than the output limit")])
        return Rendered(subject.strip(), html, text)

    def _run(self, template, variables: dict, part: str, budget: Budget) -> str:
        context = template.new_context(variables, shared=True)
        chunks, total = [], 0
        try:
            for chunk in template.root_render_func(context):
                total += len(chunk)
                chunks.append(chunk)
                if total > MAX_OUTPUT:
                    raise TemplateRejected(part, [Problem(None, None, "the output is larger than the limit")])
                _in_time(budget, part)
        except TemplateRejected:
            raise
        except (TemplateError, SecurityError, TypeError, ValueError, ArithmeticError, LookupError,
                RecursionError) as exc:
            raise TemplateRejected(part, [_runtime_problem(template, exc)]) from None
        return "".join(chunks)

    def _shape(self, skeleton: str, budget: Budget) -> _Shape:
        try:
            html = MARKDOWN.render(skeleton, {MARKDOWN_BUDGET: budget})
            budget.check_time()
        except SecurityError as exc:
            raise TemplateRejected("body", [Problem(None, None, f"{exc} while laying out the letter")]) from None
        html = nh3.clean(html)
        html_parts, html_slots = self._split(html, with_modes=True)
        text_parts, text_slots = self._split(skeleton, with_modes=False)
        shape = _Shape(html_parts, html_slots, text_parts, text_slots)
        if len(self.shapes) >= SHAPES_CACHED:
            self.shapes.clear()
        self.shapes[skeleton] = shape
        return shape

    def _split(self, document: str, *, with_modes: bool) -> tuple[tuple, tuple]:
        parts, slots, last = [], [], 0
        for match in self.placeholder.finditer(document):
            parts.append(document[last:match.start()])
            mode = _mode(document, match.start()) if with_modes else "raw"
            slots.append((int(match.group(1)), ESCAPE[mode]))
            last = match.end()
        parts.append(document[last:])
        return tuple(parts), tuple(slots)


def _in_time(budget: Budget, part: str) -> None:
    try:
        budget.check_time()
    except SecurityError as exc:
        raise TemplateRejected(part, [Problem(None, None, str(exc))]) from None


def _fill(parts: tuple, slots: tuple, values: list) -> str:
    out = [parts[0]]
    for (index, esc), part in zip(slots, parts[1:]):
        out.append(esc(values[index]))
        out.append(part)
    return "".join(out)


def _mode(html: str, at: int) -> str:
    """Where a placeholder sits in the HTML: text, an attribute, or a link address."""
    if html.rfind("<", 0, at) <= html.rfind(">", 0, at):
        return "text"
    tag = html[html.rfind("<", 0, at):at]
    attribute = re.search(r'([\w-]+)="([^"]*)$', tag)
    if attribute is None:
        raise TemplateRejected("body", [Problem(None, None, "a field cannot be placed inside markup")])
    name, value_before = attribute.group(1).lower(), attribute.group(2)
    if name in ("href", "src"):
        if not SAFE_URL_START.match(value_before.replace("&amp;", "&")):
            raise TemplateRejected("body", [Problem(None, None, "a field cannot start a link address or "
                                                                 "choose its host; write https://host/ first")])
        return "url"
    return "attr"


def _runtime_problem(template, exc: Exception) -> Problem:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    message = str(getattr(exc, "message", None) or exc)
    field = None
    found = re.search(r"has no attribute '([^']+)'|'([^']+)' is undefined", message)
    if found:
        field = found.group(1) or found.group(2)
        message = f"{field} is not defined ({message})"
    return Problem(line, field, message)


# Language variants -------------------------------------------------------------------------------

def pick_language(wanted: str | None, available: list[str], source: str) -> str | None:
    """The variant for a recipient: the exact tag, else the primary language ('de-AT' -> 'de', then
    any 'de-*'), else the template's source language. None only when nothing is available."""
    if not available:
        return None
    by_tag = {tag.lower().replace("_", "-"): tag for tag in available}
    tag = (wanted or "").lower().replace("_", "-")
    if tag in by_tag:
        return by_tag[tag]
    base = primary(wanted) if wanted else ""
    if base in by_tag:
        return by_tag[base]
    same = sorted(t for t in by_tag if t.split("-")[0] == base)
    if base and same:
        return by_tag[same[0]]
    return by_tag.get(source.lower().replace("_", "-"), sorted(available)[0])


def choose_variant(template_id: int, language: str | None):
    """The stored variant a recipient in `language` gets (see pick_language), as plain data."""
    from campaigns.appeals.services import variant_for

    return variant_for(template_id, language)
