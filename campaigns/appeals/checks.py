"""Compile-time inspection of an appeal template's syntax tree.

The sandbox is the lock at run time; this is the lock at the door. It refuses, with the line:
switching escaping off (`|safe`, `{% autoescape %}`), filters and tests outside a short list
(`|attr`, `|format`, `|map`...), method calls (`''.format(...)`, `x.__class__`), the `%` and `**`
operators, names starting with `_`, macros, includes, filter blocks, block `set`, recursive and
deeply nested loops, and `set` values built from other `set` values (doubling a string thirty times
builds gigabytes). It also checks every field against the known schema, so `contact.nmae` is
reported as an unknown field on its line instead of failing for the first recipient at send time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from jinja2 import nodes

from campaigns.appeals.fields import SCHEMA

ALLOWED_FILTERS = frozenset({
    "capitalize", "count", "d", "default", "first", "float", "int", "join", "last", "length", "list",
    "lower", "replace", "reverse", "round", "abs", "title", "trim", "truncate", "unique", "upper",
    "wordcount", "sort", "batch", "sum", "min", "max", "striptags",
})
ALLOWED_TESTS = frozenset({
    "defined", "undefined", "none", "number", "string", "sequence", "mapping", "even", "odd",
    "divisibleby", "eq", "ne", "lt", "gt", "le", "ge", "equalto", "in", "true", "false", "boolean",
    "integer", "float", "lower", "upper", "sameas", "==", "!=", "<", ">", "<=", ">=",
})
LOOP_FIELDS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length",
                         "cycle", "previtem", "nextitem"})
REFUSED = {
    nodes.Macro: "macros are not allowed",
    nodes.CallBlock: "call blocks are not allowed",
    nodes.FilterBlock: "filter blocks are not allowed; apply a filter to a field instead",
    nodes.Include: "including other templates is not allowed",
    nodes.Import: "importing other templates is not allowed",
    nodes.FromImport: "importing other templates is not allowed",
    nodes.Extends: "extending other templates is not allowed",
    nodes.Block: "blocks are not allowed",
    nodes.EvalContextModifier: "escaping cannot be switched off or on: values are always escaped",
    nodes.AssignBlock: "block set is not allowed; use {% set name = value %}",
    nodes.Mod: "the % operator is not allowed",
    nodes.Pow: "the ** operator is not allowed",
    nodes.NSRef: "namespace assignments are not allowed",
    nodes.ExprStmt: "expression statements are not allowed",
}
MAX_LOOP_DEPTH = 2
ANY = object()  # a value whose shape we do not know (a filter's result, a set variable)
FIELD_LINK = re.compile(r"\]\(\s*<?\s*\{\{|^\s{0,3}\[[^\]]+\]:\s*<?\s*\{\{", re.M)


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.message}"


class Inspector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.fields: set[str] = set()
        self.assigned: set[str] = set()
        # Fields printed with no fallback: `x or "..."`, `x|default(...)`, an `if` on x, print something
        # when x is empty, so only the others make a recipient without x impossible to write to.
        self.required: set[str] = set()
        self.guard = 0
        self.guarded_paths: list[set[str]] = []

    def use(self, path: str) -> None:
        self.fields.add(path)
        if not self.guard and not any(path in paths or any(path.startswith(p + ".") for p in paths)
                                      for paths in self.guarded_paths):
            self.required.add(path)

    def guarded(self, visit, *args):
        self.guard += 1
        try:
            return visit(*args)
        finally:
            self.guard -= 1

    def refuse(self, node: nodes.Node, message: str, field: str | None = None) -> None:
        problem = Problem(getattr(node, "lineno", None), field, message)
        if problem not in self.problems:
            self.problems.append(problem)

    # statements and generic nodes -----------------------------------------------------------
    def visit(self, node: nodes.Node, scope: dict, depth: int) -> None:
        for kind, message in REFUSED.items():
            if isinstance(node, kind):
                self.refuse(node, message)
                return
        if isinstance(node, nodes.For):
            self.visit_for(node, scope, depth)
        elif isinstance(node, (nodes.Assign, nodes.With)):
            self.visit_assign(node, scope, depth)
        elif isinstance(node, nodes.Expr):
            self.expr(node, scope, depth)
        elif isinstance(node, nodes.If):
            self.visit_if(node, scope, depth)
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope, depth)

    def visit_for(self, node: nodes.For, scope: dict, depth: int) -> None:
        if node.recursive:
            self.refuse(node, "recursive loops are not allowed")
        if depth >= MAX_LOOP_DEPTH:
            self.refuse(node, f"loops may be nested at most {MAX_LOOP_DEPTH} deep")
            return
        shape = self.expr(node.iter, scope, depth)
        element = shape[0] if isinstance(shape, list) and shape else ANY
        inner = dict(scope)
        self.bind(node.target, element, inner)
        inner["loop"] = "loop"
        if node.test is not None:
            self.expr(node.test, inner, depth)
        for child in node.body:
            self.visit(child, inner, depth + 1)
        for child in node.else_:
            self.visit(child, scope, depth)

    def visit_if(self, node: nodes.If, scope: dict, depth: int) -> None:
        """What an `if` tests is not required; neither is what its body prints of the fields it tested."""
        self.guarded(self.expr, node.test, scope, depth)
        found = [node.test, *node.test.find_all((nodes.Getattr, nodes.Getitem))]  # find_all skips the node itself
        tested = {dotted(n) for n in found if isinstance(n, (nodes.Getattr, nodes.Getitem))} - {None}
        if isinstance(node.test, nodes.Name):  # `{% if cases %}`; a bare `contact` of contact.x is not tested
            tested.add(node.test.name)
        self.guarded_paths.append(tested)
        try:
            for child in node.body:
                self.visit(child, scope, depth)
        finally:
            self.guarded_paths.pop()
        for branch in node.elif_:
            self.visit_if(branch, scope, depth)
        for child in node.else_:
            self.visit(child, scope, depth)

    def visit_assign(self, node, scope: dict, depth: int) -> None:
        pairs = list(zip(node.targets, node.values)) if isinstance(node, nodes.With) else [(node.target, node.node)]
        inner = dict(scope) if isinstance(node, nodes.With) else scope
        for target, value in pairs:
            used = names_in(value) & self.assigned
            if used:
                self.refuse(node, f"a set value cannot use another set value ({', '.join(sorted(used))})")
            self.expr(value, scope, depth)
            self.bind(target, ANY, inner)
            self.assigned.update(names_in(target))
        for child in getattr(node, "body", []):
            self.visit(child, inner, depth)

    def bind(self, target: nodes.Node, shape, scope: dict) -> None:
        if isinstance(target, nodes.Name):
            if target.name.startswith("_"):
                self.refuse(target, "names cannot start with an underscore")
            scope[target.name] = shape
        else:
            for name in target.find_all(nodes.Name):
                scope[name.name] = ANY

    # expressions: returns the shape of the value (a schema dict, [element], None for text, ANY) -----
    def expr(self, node: nodes.Node, scope: dict, depth: int):
        for kind, message in REFUSED.items():
            if isinstance(node, kind):
                self.refuse(node, message)
                return ANY
        if isinstance(node, nodes.Name):
            if node.name.startswith("_"):
                self.refuse(node, "names cannot start with an underscore", node.name)
                return ANY
            if node.name in scope:
                shape = scope[node.name]
                if node.name in SCHEMA and shape is SCHEMA[node.name]:
                    self.use(node.name)
                return shape
            if node.name == "range":
                return ANY
            self.refuse(node, f"unknown field {node.name}", node.name)
            return ANY
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return self.lookup(node, scope, depth)
        if isinstance(node, nodes.Or):  # `a or b or "fallback"`: only the last one may print nothing
            self.guarded(self.expr, node.left, scope, depth)
            return self.expr(node.right, scope, depth)
        if isinstance(node, nodes.CondExpr):  # `a if a else b`: the test and what it guards
            self.guarded(self.expr, node.test, scope, depth)
            self.guarded(self.expr, node.expr1, scope, depth)
            return self.expr(node.expr2, scope, depth) if node.expr2 is not None else ANY
        if isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node is not None:
            self.check_named(node)
            self.guarded(self.expr, node.node, scope, depth)
            for arg in list(node.args) + [kw.value for kw in node.kwargs]:
                self.expr(arg, scope, depth)
            return ANY
        if isinstance(node, nodes.Filter) or isinstance(node, nodes.Test):
            self.check_named(node)
        if isinstance(node, nodes.Call):
            self.check_call(node, scope)
        for child in node.iter_child_nodes():
            self.expr(child, scope, depth)
        return ANY

    def check_named(self, node) -> None:
        allowed = ALLOWED_FILTERS if isinstance(node, nodes.Filter) else ALLOWED_TESTS
        what = "filter" if isinstance(node, nodes.Filter) else "test"
        if node.name not in allowed:
            hint = " (values are always escaped)" if node.name in ("safe", "e", "escape", "forceescape") else ""
            self.refuse(node, f"the {what} '{node.name}' is not allowed{hint}")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, "*args and **kwargs are not allowed")
        for arg in list(node.args) + [kw.value for kw in node.kwargs]:
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str) and (
                    arg.value.startswith("_") or "._" in arg.value):
                self.refuse(node, f"the {what} '{node.name}' cannot reach names starting with an underscore")

    def check_call(self, node: nodes.Call, scope: dict) -> None:
        target = node.node
        ok = (isinstance(target, nodes.Name) and target.name == "range" and "range" not in scope) or (
            isinstance(target, nodes.Getattr) and target.attr == "cycle"
            and isinstance(target.node, nodes.Name) and scope.get(target.node.name) == "loop")
        if not ok:
            self.refuse(node, "calling functions or methods is not allowed (only range() and loop.cycle())")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, "*args and **kwargs are not allowed")

    def lookup(self, node, scope: dict, depth: int):
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            key = node.arg.value
        else:  # cases[0], cases[loop.index0]: the sandbox checks it when it runs
            self.expr(node.arg, scope, depth)
            base = self.expr(node.node, scope, depth)
            return base[0] if isinstance(base, list) and base else ANY
        if key.startswith("_"):
            self.refuse(node, f"fields cannot start with an underscore ({key})", key)
            return ANY
        base = self.expr(node.node, scope, depth)
        path = dotted(node)
        if base is ANY:
            return ANY
        if base == "loop":
            if key not in LOOP_FIELDS:
                self.refuse(node, f"unknown loop field loop.{key}", path)
            return ANY
        if isinstance(base, dict):
            if key not in base:
                self.refuse(node, f"unknown field {path}", path)
                return ANY
            if path and path.split(".")[0] in SCHEMA:
                self.use(path)
            return base[key]
        self.refuse(node, f"{dotted(node.node) or 'this value'} has no field '{key}'", path)
        return ANY


def names_in(node: nodes.Node) -> set[str]:
    found = {n.name for n in node.find_all(nodes.Name)}
    if isinstance(node, nodes.Name):
        found.add(node.name)
    return found


def dotted(node) -> str | None:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        head = dotted(node.node)
        return f"{head}.{node.attr}" if head else None
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        head = dotted(node.node)
        return f"{head}.{node.arg.value}" if head else None
    return None


def inspect(tree: nodes.Template, source: str, *,
            links_checked: bool) -> tuple[list[Problem], set[str], set[str]]:
    """Every problem in one template part (with its line), the fields it uses, and those it needs (used
    with no fallback: a recipient without one of them would get a letter with a hole in it)."""
    inspector = Inspector()
    scope = {name: shape for name, shape in SCHEMA.items()}
    for child in tree.body:
        inspector.visit(child, scope, 0)
    if links_checked:
        for match in FIELD_LINK.finditer(source):
            line = source.count("\n", 0, match.start()) + 1
            inspector.refuse(nodes.Const(None, lineno=line),
                             "a field cannot start a link address; write the address, then the field")
    fields = {f for f in inspector.fields if not any(other.startswith(f + ".") for other in inspector.fields)}
    required = {f for f in inspector.required if f in fields}
    return sorted(inspector.problems, key=lambda p: p.line or 0), fields, required
