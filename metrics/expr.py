"""The expression language of derived metrics: + - * /, unary minus, numbers and metric ids.

A metric id may carry a year in brackets, `population[2010]`: that metric's value in the base
year (in the same quarter or month for sub-annual periods: `base_period`), so "change since a
year" is `population - population[2010]` and its per cent `(population - population[2010]) /
population[2010] * 100`. Everything else about a value stays per area and period.

Expressions come from YAML written by people, so they are parsed with Python's `ast` module into
a tiny tree of our own and everything else (calls, attributes, comparisons, ...) is refused.
The tree is evaluated on pandas Series or floats; it is never turned into SQL.

Size is bounded before anything is parsed: a formula is a line a reviewer reads, and every walk
over the tree is recursive, so an overlong or deeply nested text (a 1000-term sum, 500 nested
parentheses) is refused with `formula-too-long` / `formula-too-deep` instead of exhausting the
interpreter's stack and taking the whole catalogue down with it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

from metrics.errors import RuleViolation

#: Longest formula text accepted (characters); real formulas are a few dozen.
MAX_EXPRESSION_CHARS = 2_000
#: Most operands (metric ids and numbers) in one formula.
MAX_EXPRESSION_TERMS = 100
#: Deepest nesting of parentheses. With operators bounded too (2 per term), the tree is at most
#: a few hundred levels deep, well inside the interpreter's recursion limit.
MAX_EXPRESSION_DEPTH = 20
_OPERAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")


#: Base years a formula may name (those a `Target` may have).
MIN_YEAR, MAX_YEAR = 1900, 2100

#: Longest piece of a refused formula quoted back in a message.
_QUOTED_CHARS = 60


class ExpressionError(RuleViolation):
    """The expression is not valid: `code` (`bad-expression`, `formula-too-long`,
    `formula-too-deep`), a message key and its parameters (what and where), worded in the
    reader's language by the validator."""


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTED_CHARS else text[: _QUOTED_CHARS - 1] + "…"


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class At:
    """A metric's value in a fixed base year (`name[year]`), whatever the period evaluated."""

    name: str
    year: int


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * /
    left: Node
    right: Node


Node = Union[Num, Ref, At, Neg, BinOp]
#: One operand as evaluation looks it up: (metric id, base year or None for the period itself).
Operand = tuple[str, Union[int, None]]
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Expression:
    """A parsed expression and its source text."""

    text: str
    root: Node

    def operands(self) -> tuple[Operand, ...]:
        """(metric id, base year or None) of every reference, in order of first appearance."""
        out: list[Operand] = []

        def walk(node: Node) -> None:
            if isinstance(node, (Ref, At)):
                operand = (node.name, node.year if isinstance(node, At) else None)
                if operand not in out:
                    out.append(operand)
            elif isinstance(node, Neg):
                walk(node.operand)
            elif isinstance(node, BinOp):
                walk(node.left)
                walk(node.right)

        walk(self.root)
        return tuple(out)

    def names(self) -> tuple[str, ...]:
        """Metric ids referred to (with or without a base year), in order of first appearance."""
        return tuple(dict.fromkeys(name for name, _year in self.operands()))

    def base_years(self) -> tuple[int, ...]:
        """The base years the formula names (`x[2010]`), each once, in order."""
        return tuple(dict.fromkeys(year for _name, year in self.operands() if year is not None))

    def evaluate(self, values: Mapping[Any, Any]) -> Any:
        """Evaluate with `values[name]` and, for `name[year]`, `values[(name, year)]` (floats or
        aligned pandas Series); x/0 gives NaN."""

        def ev(node: Node) -> Any:
            if isinstance(node, Num):
                return node.value
            if isinstance(node, Ref):
                return values[node.name]
            if isinstance(node, At):
                return values[(node.name, node.year)]
            if isinstance(node, Neg):
                return -ev(node.operand)
            left, right = ev(node.left), ev(node.right)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            return _safe_divide(left, right)

        return ev(self.root)

    def render(self, label: Any = None, at: Any = None) -> str:
        """The expression with names replaced by `label(name)` and `name[year]` by
        `at(label(name), year)` (for plain-language formulas; by default as written)."""
        label = label or (lambda name: name)
        at = at or (lambda text, year: f"{text}[{year}]")

        def rd(node: Node, parent_prec: int = 0) -> str:
            if isinstance(node, Num):
                return f"{node.value:g}"
            if isinstance(node, Ref):
                return str(label(node.name))
            if isinstance(node, At):
                return str(at(label(node.name), node.year))
            if isinstance(node, Neg):
                return "-" + rd(node.operand, 3)
            prec = 1 if node.op in "+-" else 2
            text = f"{rd(node.left, prec)} {node.op} {rd(node.right, prec + 1)}"
            return f"({text})" if prec < parent_prec else text

        return rd(self.root)


def base_period(period: str, year: int) -> str:
    """The period of `year` that corresponds to `period`: '2011' -> '2010', '2011Q3' -> '2010Q3',
    '2011M07' -> '2010M07' (period codes start with the year: `datamodel.schema.DimPeriod`)."""
    return f"{year:04d}{period[4:]}"


def _at(node: ast.Subscript, text: str) -> At:
    """`name[year]`: the year must be a whole number of the accepted range."""
    year = node.slice
    assert isinstance(node.value, ast.Name)
    if (isinstance(year, ast.Constant) and isinstance(year.value, int) and not isinstance(year.value, bool)
            and MIN_YEAR <= year.value <= MAX_YEAR):
        return At(node.value.id, year.value)
    snippet = ast.get_source_segment(text.strip(), node) or node.value.id
    raise ExpressionError("bad-expression", "bad_expression_year", hint="expression_form",
                          part=_quoted(snippet), min=MIN_YEAR, max=MAX_YEAR)


def _safe_divide(left: Any, right: Any) -> Any:
    try:
        import pandas as pd

        if isinstance(right, pd.Series):
            return left / right.where(right != 0)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if right == 0 or right is None:
        return float("nan")
    return left / right


def check_expression_size(text: str) -> None:
    """Raise ExpressionError when `text` is too long, has too many terms or nests too deeply.

    Runs on the raw text with a linear scan, so it is safe on any input; `parse_expression`
    calls it first.
    """
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError("formula-too-long", "formula_too_long_chars", hint="split_formula",
                              count=len(text), max=MAX_EXPRESSION_CHARS)
    terms = len(_OPERAND.findall(text))
    if terms > MAX_EXPRESSION_TERMS:
        raise ExpressionError("formula-too-long", "formula_too_long_terms", hint="split_formula",
                              count=terms, max=MAX_EXPRESSION_TERMS)
    operators = sum(text.count(op) for op in "+-*/")
    if operators > 2 * MAX_EXPRESSION_TERMS:
        raise ExpressionError("formula-too-long", "formula_too_long_operators", hint="split_formula",
                              count=operators, max=2 * MAX_EXPRESSION_TERMS)
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    if deepest > MAX_EXPRESSION_DEPTH:
        raise ExpressionError("formula-too-deep", "formula_too_deep", hint="split_formula",
                              depth=deepest, max=MAX_EXPRESSION_DEPTH)


def parse_expression(text: str) -> Expression:
    """Parse `text` or raise ExpressionError naming the offending part (size is checked first)."""
    check_expression_size(text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        if exc.offset:
            raise ExpressionError("bad-expression", "bad_expression_at", hint="expression_form",
                                  text=_quoted(text), column=exc.offset) from None
        raise ExpressionError("bad-expression", "bad_expression_syntax", hint="expression_form", text=_quoted(text)) from None

    def conv(node: ast.AST) -> Node:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return BinOp(_OPS[type(node.op)], conv(node.left), conv(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = conv(node.operand)
            return Neg(inner) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return Num(float(node.value))
        if isinstance(node, ast.Name):
            return Ref(node.id)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return _at(node, text)
        snippet = ast.get_source_segment(text.strip(), node) or type(node).__name__
        raise ExpressionError("bad-expression", "bad_expression_part", hint="expression_form", part=_quoted(snippet))

    return Expression(text=text, root=conv(tree.body))
