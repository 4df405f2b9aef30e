"""The run-time lock: Jinja's immutable sandbox narrowed to plain data.

Attribute access works only on dicts (as key lookup) and on a loop's own counters; item access only on
dicts, lists and strings. Nothing is callable but `range()` (which draws on a per-render iteration
budget) and `loop.cycle()`. `*` is checked for the size it would build, `%` and `**` are refused.
No loader, no globals beyond `range`, filters and tests from a short list, undefined is an error.
"""
from __future__ import annotations

import operator

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS

from campaigns.appeals.checks import ALLOWED_FILTERS, ALLOWED_TESTS, LOOP_FIELDS

MAX_OUTPUT = 512 * 1024      # characters of one rendered part
MAX_ITERATIONS = 10_000      # range() items per render, all ranges together
BUDGET_KEY = "\x00budget"    # a context key no template can name


class IterationBudget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_ITERATIONS


def _size(value) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


def _safe_replace(eval_ctx, s, old, new, count=None):
    s, old, new = str(s), str(old), str(new)
    if len(new) > len(old) and old:
        grows = s.count(old) * (len(new) - len(old))
        if len(s) + grows > MAX_OUTPUT:
            raise SecurityError("replace would build a value larger than the output limit")
    elif not old and len(s) * len(new) > MAX_OUTPUT:
        raise SecurityError("replace would build a value larger than the output limit")
    return FILTERS["replace"](eval_ctx, s, old, new, count)


def _safe_join(eval_ctx, value, d="", attribute=None):
    if attribute is not None:
        raise SecurityError("join by attribute is not allowed")
    items = list(value)
    if len(str(d)) * len(items) + sum(len(str(i)) for i in items) > MAX_OUTPUT:
        raise SecurityError("join would build a value larger than the output limit")
    return FILTERS["join"](eval_ctx, items, d)


_safe_replace.jinja_pass_arg = FILTERS["replace"].jinja_pass_arg  # type: ignore[attr-defined]
_safe_join.jinja_pass_arg = FILTERS["join"].jinja_pass_arg  # type: ignore[attr-defined]


class AppealSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "//"})

    def __init__(self, **options) -> None:
        super().__init__(undefined=StrictUndefined, loader=None, auto_reload=False, cache_size=0,
                         extensions=(), **options)
        self.globals.clear()
        self.globals["range"] = _range
        self.filters = {name: FILTERS[name] for name in ALLOWED_FILTERS if name in FILTERS}
        self.filters["replace"] = _safe_replace
        self.filters["join"] = _safe_join
        self.tests = {name: TESTS[name] for name in ALLOWED_TESTS if name in TESTS}

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) and attribute in LOOP_FIELDS:
            return getattr(obj, attribute)
        return self.undefined(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe.",
                              obj=obj, name=attribute, exc=SecurityError)

    def getitem(self, obj, argument):
        if type(obj) is dict:
            if isinstance(argument, str) and argument.startswith("_"):
                return self.undefined(f"access to item {argument!r} is unsafe.", obj=obj, name=argument,
                                      exc=SecurityError)
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=str(argument))
        if isinstance(obj, (list, tuple, str)) and isinstance(argument, (int, slice)) \
                and not isinstance(argument, bool):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=str(argument))
        return self.undefined(f"item access on {type(obj).__name__!r} is unsafe.", obj=obj,
                              name=str(argument), exc=SecurityError)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        kwargs.pop("_loop_vars", None)
        kwargs.pop("_block_vars", None)
        if getattr(__obj, "__func__", None) is LoopContext.cycle and isinstance(__obj.__self__, LoopContext):
            return __obj(*args, **kwargs)
        if __obj is _range:
            return _range(__context.parent[BUDGET_KEY], *args, **kwargs)
        raise SecurityError(f"{getattr(__obj, '__name__', type(__obj).__name__)!r} is not callable here")

    def call_binop(self, context, op, left, right):
        if op == "*":
            size, times = (_size(left), right) if _size(left) is not None else (_size(right), left)
            if size is not None and isinstance(times, int) and size * times > MAX_OUTPUT:
                raise SecurityError("* would build a value larger than the output limit")
            return operator.mul(left, right)
        if op == "//":
            return operator.floordiv(left, right)
        raise SecurityError(f"the {op} operator is not allowed")


def _range(budget: IterationBudget, *args):
    r = range(*args)
    budget.left -= len(r)
    if budget.left < 0:
        raise SecurityError(f"loops ran more than {MAX_ITERATIONS} times in one render")
    return r

