"""Phase 2 of validation: rules over the whole catalogue, one function each.

Each rule returns issues and the files it rejects; a rule that crashes becomes an issue too,
so a bug in one check never hides the results of the others.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from metrics.issues import Hint, Issue, hint
from metrics.issues import issue as make_issue
from metrics.model import Aggregation, DerivedMetric, MetricStatus, WeightBasis
from metrics.yaml_io import ParsedFile

logger = logging.getLogger(__name__)

Files = dict[Path, ParsedFile]
RuleResult = tuple[list[Issue], set[Path]]


def _err(code: str, shown: str, parsed: ParsedFile, fld: str, key: str, params: dict | None = None,
         advice: Hint | None = None, level: str = "error") -> Issue:
    """An issue of a catalogue rule; `key` names its message in `locales/<lang>/validation.yaml`."""
    return make_issue(level, code, shown, parsed.line_of(fld), fld, key, params, advice)  # type: ignore[arg-type]


def rule_unique_ids(files: Files, show: Callable[[Path], str]) -> RuleResult:
    """Two files may not define the same id (possible in different theme folders)."""
    seen: dict[str, Path] = {}
    issues: list[Issue] = []
    rejected: set[Path] = set()
    for path, parsed in files.items():
        metric = parsed.metric
        assert metric is not None
        if metric.id in seen:
            issues.append(_err("duplicate-id", show(path), parsed, "id", "id_taken", {"id": metric.id, "other": show(seen[metric.id])}, hint("unique_id")))
            rejected.add(path)
        else:
            seen[metric.id] = path
    return issues, rejected


def rule_theme_folder(files: Files, directory: Path, show: Callable[[Path], str]) -> RuleResult:
    """A file in definitions/<theme>/ should declare that theme (a warning: it still works)."""
    issues: list[Issue] = []
    for path, parsed in files.items():
        metric = parsed.metric
        assert metric is not None
        try:
            folder = path.relative_to(directory).parts[0] if len(path.relative_to(directory).parts) > 1 else None
        except ValueError:
            folder = None
        if folder and folder != metric.theme.value:
            issues.append(_err("theme-folder", show(path), parsed, "theme", "theme_folder", {"theme": metric.theme.value, "folder": folder}, hint("move_file", theme=metric.theme.value), "warning"))
    return issues, set()


def rule_derived_references(files: Files, show: Callable[[Path], str], rejected_before: set[Path]) -> RuleResult:
    """Derived metrics refer to valid metrics and form no cycle."""
    by_id = {p.metric.id: path for path, p in files.items() if p.metric is not None and path not in rejected_before}
    issues: list[Issue] = []
    rejected: set[Path] = set()
    graph: dict[str, tuple[str, ...]] = {}
    for path, parsed in files.items():
        metric = parsed.metric
        if isinstance(metric, DerivedMetric) and path not in rejected_before:
            graph[metric.id] = metric.references()
    for mid, refs in graph.items():
        path = by_id[mid]
        for ref in refs:
            if ref not in by_id:
                close = difflib.get_close_matches(ref, list(by_id), n=1)
                issues.append(_err("unknown-metric", show(path), files[path], "expression", "unknown_metric", {"ref": ref}, hint("did_you_mean", suggestion=close[0]) if close else hint("refer_valid")))
                rejected.add(path)
    # Cycles: depth-first search with colours; every metric on a cycle is rejected.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for ref in graph.get(node, ()):
            if state.get(ref) == 1:
                cycle = stack[stack.index(ref):] + [ref]
                for member in cycle[:-1]:
                    p = by_id[member]
                    if p not in rejected:
                        issues.append(_err("cycle", show(p), files[p], "expression", "cycle", {"path": " -> ".join(cycle)}, hint("break_cycle")))
                        rejected.add(p)
            elif state.get(ref) is None and ref in graph:
                visit(ref)
        stack.pop()
        state[node] = 2

    for mid in graph:
        if mid not in state:
            visit(mid)
    # A derived metric built on a rejected one cannot be computed either.
    changed = True
    while changed:
        changed = False
        bad_ids = {files[p].metric.id for p in rejected | rejected_before if files[p].metric is not None}  # type: ignore[union-attr]
        for mid, refs in graph.items():
            path = by_id[mid]
            if path not in rejected and any(r in bad_ids for r in refs):
                bad = next(r for r in refs if r in bad_ids)
                issues.append(_err("invalid-reference", show(path), files[path], "expression", "invalid_reference", {"ref": bad}))
                rejected.add(path)
                changed = True
    return issues, rejected


def rule_weight_basis(files: Files, show: Callable[[Path], str]) -> RuleResult:
    """A weighted mean says what its weight is: the rate's own denominator, or an approximation
    with a note in every language. An undeclared weight is a guess (population stands in for the
    labour force, the over-75s, ...), and a wrong weight makes every computed area value wrong:
    an approved metric with one is refused, a draft gets a warning."""
    issues: list[Issue] = []
    rejected: set[Path] = set()
    for path, parsed in files.items():
        metric = parsed.metric
        assert metric is not None
        if getattr(metric, "aggregation", None) is not Aggregation.WEIGHTED_MEAN:
            if getattr(metric, "weight_basis", None) is not None:
                issues.append(_err("weight-basis", show(path), parsed, "weight_basis", "weight_basis_unused", None, hint("remove_field"), "warning"))
            continue
        approved = metric.status is MetricStatus.APPROVED
        basis = getattr(metric, "weight_basis", None)
        level = "error" if approved else "warning"
        before = len(issues)
        if basis is None:
            issues.append(_err("weight-basis", show(path), parsed, "weight", "weight_basis_missing",
                               {"weight": metric.weight}, hint("weight_basis"), level))  # type: ignore[union-attr]
        elif basis is WeightBasis.APPROXIMATION:
            note = getattr(metric, "approximation_note", None)
            missing = [lang for lang in ("fi", "sv", "en") if note is None or not getattr(note, lang)]
            if missing:
                issues.append(_err("approximation-note", show(path), parsed, "approximation_note" if note else "weight_basis",
                                   "approximation_note_missing", {"languages": ", ".join(missing)},
                                   hint("approximation_note"), level))
        if approved and len(issues) > before:
            rejected.add(path)
    return issues, rejected


def known_series(engine: Engine) -> set[str]:
    from datamodel.schema import series

    with engine.connect() as conn:
        return set(conn.execute(select(series.c.code)).scalars())


def rule_series_exist(files: Files, engine: Engine, show: Callable[[Path], str]) -> RuleResult:
    """Every series a metric reads is in dim_series (only when an engine is given)."""
    try:
        codes = known_series(engine)
    except SQLAlchemyError as exc:
        return [make_issue("error", "database", str(engine.url.render_as_string(hide_password=True)), None, None,
                           "database_unreadable", {"detail": exc.__class__.__name__}, hint("run_upgrade"))], set()
    return rule_series_known(files, codes, show)


def rule_series_known(files: Files, codes: set[str], show: Callable[[Path], str]) -> RuleResult:
    """Every series a metric reads is one of `codes` (the database's series)."""
    issues: list[Issue] = []
    rejected: set[Path] = set()
    for path, parsed in files.items():
        metric = parsed.metric
        assert metric is not None
        for fld in ("series", "numerator", "denominator", "weight"):
            value = getattr(metric, fld, None)
            values = value if isinstance(value, tuple) else (value,) if value else ()
            for i, code in enumerate(values):
                if code not in codes:
                    where = f"{fld}.{i}" if isinstance(value, tuple) else fld
                    close = difflib.get_close_matches(code, list(codes), n=1)
                    issues.append(_err("unknown-series", show(path), parsed, where, "unknown_series", {"code": code}, hint("did_you_mean", suggestion=close[0]) if close else hint("load_first")))
                    rejected.add(path)
    return issues, rejected


def run_rules(files: Files, directory: Path, engine: Engine | None, show: Callable[[Path], str]) -> RuleResult:
    """All catalogue-wide rules; returns every issue and the set of rejected files."""
    issues: list[Issue] = []
    rejected: set[Path] = set()
    steps: list[tuple[str, Callable[[], RuleResult]]] = [
        ("unique ids", lambda: rule_unique_ids(files, show)),
        ("theme folder", lambda: rule_theme_folder(files, directory, show)),
        ("weight basis", lambda: rule_weight_basis(files, show)),
    ]
    if engine is not None:
        steps.append(("series exist", lambda: rule_series_exist(files, engine, show)))
    steps.append(("derived references", lambda: rule_derived_references(files, show, rejected)))
    for name, step in steps:
        try:
            found, bad = step()
        except Exception as exc:  # noqa: BLE001 - a crashing rule must become an issue, not a traceback
            logger.exception("rule %s crashed", name)
            found, bad = [make_issue("error", "rule-crashed", str(directory), None, None, "rule_crashed", {"name": name, "detail": str(exc)})], set()
        issues.extend(found)
        rejected |= bad
    return issues, rejected
