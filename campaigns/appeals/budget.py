"""What one render may spend: iterations, time, and the size of any value it builds.

A render gets one `Budget`. Every item any loop or iterating filter takes from any iterable is paid
for with `Budget.spend`, which also checks the render's deadline, so the deadline holds wherever the
time goes, not only between output pieces. How the sandbox makes every iteration pay:

- `metered(tree)` rewrites a compiled template's syntax tree (after `checks.inspect` has seen the
  author's own tree): each `{% for %}` iterates `x|<COUNT>` instead of `x`, and each `a ~ b` becomes
  a concatenation that checks the size it would build;
- `counted_filter` wraps the filters that iterate their input (`sum`, `batch`, `sort`...), so what
  they pull from a string, a list or a generator is paid for as well;
- values built by `*`, `+`, `~`, `join` and `replace` are refused before they exceed `MAX_VALUE`;
- `markdown_deadline`, first among the Markdown parser's rules, keeps the deadline in that step.

The filters added here take the context (`pass_context`), which also keeps Jinja from running them
at compile time to fold constants: `'x...'|batch(1)|sum(start=[])` must not run while saving either.
"""
from __future__ import annotations

import time

from jinja2 import nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import markup_join, str_join
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

MAX_ITERATIONS = 10_000      # items taken by all loops and iterating filters of one render, together
MAX_SECONDS = 2.0            # one render: subject, body and the Markdown step
MAX_VALUE = 100_000          # characters or items of one value built by *, +, ~, join or replace
MAX_INT_BITS = 4_096         # integers built by * (a 1,233-digit number is more than any letter needs)
BUDGET_KEY = "\x00budget"    # a context key no template can name
COUNT = "\x00count"          # filter names no template can write
CONCAT = "\x00concat"
MARKDOWN_BUDGET = "budget"   # the key of the render's Budget in markdown-it's `env`


class Budget:
    __slots__ = ("left", "deadline")

    def __init__(self, seconds: float = MAX_SECONDS, iterations: int = MAX_ITERATIONS) -> None:
        self.left = iterations
        self.deadline = time.monotonic() + seconds

    def spend(self, items: int = 1) -> None:
        self.left -= items
        if self.left < 0:
            raise SecurityError(f"loops ran more than {MAX_ITERATIONS} times in one render")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise SecurityError(f"rendering took too long (more than {MAX_SECONDS:g} seconds)")


class Counted:
    """An iterator that pays for each item it gives."""

    __slots__ = ("_items", "_budget")

    def __init__(self, iterable, budget: Budget) -> None:
        self._items = iter(iterable)
        self._budget = budget

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._items)
        self._budget.spend()
        return item


def budget_of(context) -> Budget:
    return context.parent[BUDGET_KEY]


def check_size(size: int, what: str) -> None:
    if size > MAX_VALUE:
        raise SecurityError(f"{what} would build a value longer than {MAX_VALUE} characters or items")


def size_of(value) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


@pass_context
def count_items(context, iterable):
    """The iterable of every `{% for %}`, paid for item by item."""
    return Counted(iterable, budget_of(context))


@pass_context
def concat(context, pieces):
    """`a ~ b ~ c`, refused before it builds a value longer than MAX_VALUE."""
    budget_of(context).check_time()
    texts = [p if isinstance(p, str) else str(p) for p in pieces]
    check_size(sum(len(t) for t in texts), "~")
    return (markup_join if context.eval_ctx.autoescape else str_join)(pieces)


def counted_filter(inner, *, keep_sequences: bool = False):
    """`inner` (a Jinja filter that iterates its input) with that input paid for item by item.

    keep_sequences: strings, lists and tuples go in as they are (the filter needs `reversed()` or
    `len()`, and takes one item or none from them); anything else is still counted."""
    pass_arg = _PassArg.from_obj(inner)

    @pass_context
    def filter_(context, value, *args, **kwargs):
        budget = budget_of(context)
        budget.check_time()
        if not (keep_sequences and isinstance(value, (str, list, tuple))):
            value = Counted(value, budget)
        if pass_arg is _PassArg.context:
            return inner(context, value, *args, **kwargs)
        if pass_arg is _PassArg.eval_context:
            return inner(context.eval_ctx, value, *args, **kwargs)
        if pass_arg is _PassArg.environment:
            return inner(context.environment, value, *args, **kwargs)
        return inner(value, *args, **kwargs)

    filter_.__name__ = getattr(inner, "__name__", "filter")
    return filter_


def markdown_deadline(state, *args) -> bool:
    """A rule put first among markdown-it's inline and block rules: it is asked at every position,
    also inside the parser's slowest scans (thousands of `[`), so the deadline holds there too."""
    budget = state.env.get(MARKDOWN_BUDGET)
    if budget is not None:
        budget.check_time()
    return False


class _Metered(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, COUNT, [], [], None, None, lineno=node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        node = self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), CONCAT, [], [], None, None,
                            lineno=node.lineno)


def metered(tree: nodes.Template) -> nodes.Template:
    """The template's tree with every loop paid for and every `~` size-checked (changed in place)."""
    return _Metered().visit(tree)
