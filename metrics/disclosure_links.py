"""Which metrics are arithmetically tied to which: the catalogue's side of disclosure control.

A published table leaks a hidden number when some sum or difference of published cells equals
it (gross migration minus out-migrants gives in-migrants; a rate times the population gives its
count; a region's total minus its other municipalities gives the last one). To check that, every
cell is written as a linear form over single series in single municipalities
(`metrics.disclosure_forms`); this module says, per metric, what that form is in terms of series:

- `simple`: its own series, rolled up over areas as the metric aggregates (sum, weighted mean,
  or not at all for `source_only`);
- `sum`: the sum of its series;
- `ratio`: scale x numerator / denominator; the denominator (a population) is public, so a rate is
  its numerator count times a known number;
- `derived`: its formula expanded over the metrics it names when the formula is linear in them
  (+, -, and x or / by numbers); a non-linear formula has no form and is hidden whenever one of
  its inputs is. A base-year operand (`population[2010]`) enters with its terms read in the base
  year's period (`TermKey.year`), and the cell is also hidden whenever that base-year cell is
  (`base_year_links`);
- `disclosure.relation` (model field) replaces a metric's own series: the value equals that
  formula of other metrics (net migration per 1 000 = in- minus out-migration per 1 000);
- `disclosure.linked_to` keeps the metric's own series but hides it whenever one of the named
  metrics is hidden.

`rule_disclosure_links` is the catalogue rule for the declarations (known ids, no circles).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Literal

from metrics.expr import At, BinOp, Neg, Node, Num, Ref, parse_expression
from metrics.issues import Issue, hint, issue
from metrics.model import Aggregation, AnyMetric, DerivedMetric, RatioMetric, SimpleMetric, SumMetric
from metrics.yaml_io import ParsedFile

Rollup = Literal["sum", "weighted", "none"]


@dataclass(frozen=True)
class TermKey:
    """One series as it enters a metric's value.

    The value contributes `coefficient x series / per` (per: a public denominator series, or None)
    and rolls up over member areas by `rollup`: 'sum' (counts, numerators of ratios), 'weighted'
    (a mean weighted by the `weight` series) or 'none' (an aggregate's own source value only).
    """

    series: str
    per: str | None = None
    rollup: Rollup = "sum"
    weight: str | None = None
    year: int | None = None  # a base-year operand's term: read in that year's period, not the cell's


def crosses_years(terms: Terms | None) -> bool:
    """Whether a form reads some series in another period than the cell's own (a base year)."""
    return any(key.year is not None for key in terms or {})


Terms = dict[TermKey, Fraction]


def _rollup(aggregation: Aggregation) -> Rollup:
    if aggregation is Aggregation.SUM:
        return "sum"
    if aggregation is Aggregation.WEIGHTED_MEAN:
        return "weighted"
    return "none"


def own_terms(metric: AnyMetric) -> Terms | None:
    """The metric's form from its own inputs (None for a derived metric: see `metric_terms`)."""
    if isinstance(metric, SimpleMetric):
        return {TermKey(metric.series, None, _rollup(metric.aggregation), metric.weight): Fraction(1)}
    if isinstance(metric, SumMetric):
        rollup = _rollup(metric.aggregation)
        return {TermKey(code, None, rollup, metric.weight): Fraction(1) for code in metric.series}
    if isinstance(metric, RatioMetric):
        return {TermKey(metric.numerator, metric.denominator, "sum"): Fraction(metric.scale)}
    return None


def _add(left: Terms, right: Terms, sign: int = 1) -> Terms:
    out = dict(left)
    for key, value in right.items():
        total = out.get(key, Fraction(0)) + sign * value
        if total:
            out[key] = total
        else:
            out.pop(key, None)
    return out


def _expand(node: Node, resolve: Callable[[str], Terms | None]) -> tuple[Terms, Fraction] | None:
    """(terms, constant) of a linear expression, or None when it is not linear in its metrics."""
    if isinstance(node, Num):
        return {}, Fraction(node.value)
    if isinstance(node, Ref):
        terms = resolve(node.name)
        return None if terms is None else (terms, Fraction(0))
    if isinstance(node, At):  # the metric's terms in the base year (a term already fixed to a year keeps it)
        terms = resolve(node.name)
        if terms is None:
            return None
        return _add({}, {replace(k, year=node.year if k.year is None else k.year): v for k, v in terms.items()}), Fraction(0)
    if isinstance(node, Neg):
        inner = _expand(node.operand, resolve)
        return None if inner is None else ({k: -v for k, v in inner[0].items()}, -inner[1])
    assert isinstance(node, BinOp)
    left, right = _expand(node.left, resolve), _expand(node.right, resolve)
    if left is None or right is None:
        return None
    if node.op in "+-":
        sign = 1 if node.op == "+" else -1
        return _add(left[0], right[0], sign), left[1] + sign * right[1]
    if node.op == "*":
        if not left[0]:
            return {k: v * left[1] for k, v in right[0].items() if v * left[1]}, left[1] * right[1]
        if not right[0]:
            return {k: v * right[1] for k, v in left[0].items() if v * right[1]}, left[1] * right[1]
        return None  # metric x metric
    if not right[0] and right[1]:  # division by a non-zero number
        return {k: v / right[1] for k, v in left[0].items()}, left[1] / right[1]
    return None  # division by a metric (or by zero)


def metric_terms(metric: AnyMetric, metrics: Mapping[str, AnyMetric], _seen: frozenset[str] = frozenset()) -> Terms | None:
    """The metric's value as a linear form over series, or None when it is not linear.

    A `disclosure.relation` takes precedence over the metric's own inputs (the source computed
    the value from those metrics). Metrics missing from `metrics` or a circle give None.
    """
    if metric.id in _seen:
        return None
    seen = _seen | {metric.id}

    def resolve(name: str) -> Terms | None:
        other = metrics.get(name)
        return None if other is None else metric_terms(other, metrics, seen)

    relation = metric.disclosure.relation if metric.disclosure is not None else None
    if relation is not None:
        expanded = _expand(parse_expression(relation).root, resolve)
        return None if expanded is None else expanded[0]
    if isinstance(metric, DerivedMetric):
        expanded = _expand(parse_expression(metric.expression).root, resolve)
        return None if expanded is None else expanded[0]
    return own_terms(metric)


def inherits_from(metric: AnyMetric) -> tuple[str, ...]:
    """Metric ids whose hidden cells hide this metric's cell of the same area, period and group."""
    refs: list[str] = list(metric.references()) if isinstance(metric, DerivedMetric) else []
    if metric.disclosure is not None:
        refs.extend(r for r in metric.disclosure.references() if r not in refs)
    return tuple(refs)


def base_year_links(metric: AnyMetric) -> tuple[tuple[str, int], ...]:
    """(metric id, base year) of every base-year operand of the formula or declared relation: the
    metric's cell is hidden whenever that metric's cell of the same area and group in the base
    year's period is (`metrics.expr.base_period`)."""
    texts = [metric.expression] if isinstance(metric, DerivedMetric) else []
    if metric.disclosure is not None and metric.disclosure.relation is not None:
        texts.append(metric.disclosure.relation)
    found = [(name, year) for text in texts for name, year in parse_expression(text).operands() if year is not None]
    return tuple(dict.fromkeys(found))


def is_count(metric: AnyMetric) -> bool:
    """Whether the value itself is a count (summed over areas): it is then its own count for primary suppression."""
    if isinstance(metric, (SimpleMetric, SumMetric)):
        return metric.aggregation is Aggregation.SUM and (metric.disclosure is None or metric.disclosure.relation is None)
    return False


def families(metrics: Mapping[str, AnyMetric]) -> list[frozenset[str]]:
    """Groups of metrics tied by shared series or inheritance (cells of different groups never interact)."""
    parent = {mid: mid for mid in metrics}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    owner: dict[str, str] = {}
    for mid, metric in metrics.items():
        terms = metric_terms(metric, metrics) or own_terms(metric) or {}
        for key in terms:
            if key.series in owner:
                union(mid, owner[key.series])
            else:
                owner[key.series] = mid
        for ref in inherits_from(metric):
            if ref in parent:
                union(mid, ref)
    groups: dict[str, set[str]] = {}
    for mid in metrics:
        groups.setdefault(find(mid), set()).add(mid)
    return sorted((frozenset(g) for g in groups.values()), key=lambda g: sorted(g))


def rule_disclosure_links(files: Mapping[Path, ParsedFile], show: Callable[[Path], str], rejected_before: Iterable[Path] = ()) -> tuple[list[Issue], set[Path]]:
    """Disclosure declarations name valid metrics other than the metric itself and form no circle.

    A metric whose declaration cannot be resolved is rejected: publishing it unprotected would
    be worse than not publishing it.
    """
    skip = set(rejected_before)
    by_id = {p.metric.id: path for path, p in files.items() if p.metric is not None and path not in skip}
    issues: list[Issue] = []
    rejected: set[Path] = set()
    graph: dict[str, tuple[str, ...]] = {}
    for path, parsed in files.items():
        metric = parsed.metric
        if metric is None or path in skip:
            continue
        graph[metric.id] = inherits_from(metric)
        if metric.disclosure is None:
            continue
        line = parsed.line_of("disclosure")
        for ref in metric.disclosure.references():
            found = None
            if ref == metric.id:
                found = issue("error", "disclosure-self", show(path), line, "disclosure", "disclosure_self", {"ref": ref},
                              hint("name_inputs"))
            elif ref not in by_id:
                close = difflib.get_close_matches(ref, list(by_id), n=1)
                found = issue("error", "unknown-metric", show(path), line, "disclosure", "unknown_metric", {"ref": ref},
                              hint("did_you_mean", suggestion=close[0]) if close else hint("refer_valid"))
            if found is not None:
                issues.append(found)
                rejected.add(path)
    for mid in _on_circles(graph):
        path = by_id[mid]
        if path not in rejected and files[path].metric is not None and files[path].metric.disclosure is not None:  # type: ignore[union-attr]
            issues.append(issue("error", "disclosure-cycle", show(path), files[path].line_of("disclosure"), "disclosure",
                                "disclosure_cycle", {"id": mid}, hint("break_cycle")))
            rejected.add(path)
    return issues, rejected


def _on_circles(graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Nodes on a directed circle (iterative colouring, so a long chain cannot exhaust the stack)."""
    state: dict[str, int] = {}
    on_cycle: set[str] = set()
    for start in graph:
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            refs = [r for r in graph.get(node, ()) if r in graph]
            if index < len(refs):
                stack.append((node, index + 1))
                ref = refs[index]
                if state.get(ref) == 1:
                    on_cycle.update(path[path.index(ref):])
                elif ref not in state:
                    stack.append((ref, 0))
            else:
                state[node] = 2
                path.pop()
    return sorted(on_cycle)
