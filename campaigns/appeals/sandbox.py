"""The run-time lock: Jinja's immutable sandbox narrowed to plain data.

Attribute access works only on dicts (as key lookup) and on a loop's own counters; item access only on
dicts, lists and strings. Nothing is callable but `range()` and `loop.cycle()`. Every item a loop or
an iterating filter takes is paid for from the render's `budget.Budget`, which also keeps the render's
deadline; `*`, `+`, `~`, `join` and `replace` are checked for the size they would build; `%` and `**`
are refused. No loader, no globals beyond `range`, filters and tests from a short list, undefined is
an error.
"""
from __future__ import annotations

import operator

from jinja2 import StrictUndefined
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS

from campaigns.appeals.budget import (CONCAT, COUNT, MAX_INT_BITS, MAX_ITERATIONS, MAX_VALUE,
                                      budget_of, check_size, concat, count_items, counted_filter, metered,
                                      size_of)
from campaigns.appeals.checks import ALLOWED_FILTERS, ALLOWED_TESTS, LOOP_FIELDS

MAX_OUTPUT = 512 * 1024      # characters of one rendered part
# Filters that iterate their input: what they take is paid for from the budget. Those marked True
# need len() or reversed() of a string or list, and take at most one item from it.
ITERATING_FILTERS = {"batch": False, "sum": False, "min": False, "max": False, "sort": False,
                     "unique": False, "list": False, "join": False, "reverse": True, "last": True}
# The others work on one value (a string, a number) or take its length or first item only.
SCALAR_FILTERS = frozenset(ALLOWED_FILTERS) - set(ITERATING_FILTERS)


def _safe_replace(eval_ctx, s, old, new, count=None):
    s, old, new = str(s), str(old), str(new)
    if len(new) > len(old) and old:
        check_size(len(s) + s.count(old) * (len(new) - len(old)), "replace")
    elif not old:
        check_size(len(s) * (len(new) + 1), "replace")
    return FILTERS["replace"](eval_ctx, s, old, new, count)


def _safe_join(eval_ctx, value, d="", attribute=None):
    if attribute is not None:
        raise SecurityError("join by attribute is not allowed")
    items = list(value)
    check_size(len(str(d)) * len(items) + sum(len(str(i)) for i in items), "join")
    return FILTERS["join"](eval_ctx, items, d)


def _safe_batch(value, linecount, fill_with=None):
    if not isinstance(linecount, int) or not 0 < linecount <= MAX_VALUE:
        raise SecurityError(f"batch takes a size from 1 to {MAX_VALUE}")
    return FILTERS["batch"](value, linecount, fill_with)


_safe_replace.jinja_pass_arg = FILTERS["replace"].jinja_pass_arg  # type: ignore[attr-defined]
_safe_join.jinja_pass_arg = FILTERS["join"].jinja_pass_arg  # type: ignore[attr-defined]
OWN_FILTERS = {"replace": _safe_replace, "join": _safe_join, "batch": _safe_batch}


class _MeteredGenerator(CodeGenerator):
    """Compiles the tree `budget.metered` made of the template: every loop pays for its items."""

    def visit_Template(self, node, frame=None) -> None:
        super().visit_Template(metered(node), frame)


class AppealSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "+", "**", "%", "//"})
    code_generator_class = _MeteredGenerator

    def __init__(self, **options) -> None:
        super().__init__(undefined=StrictUndefined, loader=None, auto_reload=False, cache_size=0,
                         extensions=(), **options)
        self.globals.clear()
        self.globals["range"] = _range
        filters = {name: OWN_FILTERS.get(name, FILTERS.get(name)) for name in ALLOWED_FILTERS}
        self.filters = {name: counted_filter(f, keep_sequences=ITERATING_FILTERS[name])
                        if name in ITERATING_FILTERS else f for name, f in filters.items() if f is not None}
        self.filters[COUNT] = count_items
        self.filters[CONCAT] = concat
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
            budget_of(__context).check_time()
            return _range(*args, **kwargs)
        raise SecurityError(f"{getattr(__obj, '__name__', type(__obj).__name__)!r} is not callable here")

    def call_binop(self, context, op, left, right):
        budget_of(context).check_time()
        if op == "*":
            size, times = (size_of(left), right) if size_of(left) is not None else (size_of(right), left)
            if size is not None and isinstance(times, int):
                check_size(size * times, "*")
            elif isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError("* would build a number too large for a letter")
            return operator.mul(left, right)
        if op == "+":
            if size_of(left) is not None and size_of(right) is not None:
                check_size(size_of(left) + size_of(right), "+")
            return operator.add(left, right)
        if op == "//":
            return operator.floordiv(left, right)
        raise SecurityError(f"the {op} operator is not allowed")


def _range(*args):
    """A range no loop could finish within the budget is refused at once."""
    r = range(*args)
    if len(r) > MAX_ITERATIONS:
        raise SecurityError(f"range() of more than {MAX_ITERATIONS} items: loops may run at most "
                            f"{MAX_ITERATIONS} times in one render")
    return r

