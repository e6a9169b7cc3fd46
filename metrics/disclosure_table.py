"""Disclosure control of a whole published table: the one entry point every public surface calls.

`apply_disclosure` (metrics.disclosure) judges one metric's rows at a time. A page, its CSV, its
PDF or an API answer shows many metrics, years and areas together, and arithmetic across them
recovers hidden counts: gross migration minus out-migrants, (net migration rate + out-migration
rate) x population / 1000, a region's total minus its other municipalities. `disclose_table`
takes every cell shown together and guarantees that no hidden cell is a linear combination of
shown ones:

1. primary: a cell whose count (numerator, or the value of a count metric) is below the metric's
   `min_count`, or that the source marked suppressed;
2. inherited: cells carrying the same information (a rate and its count: proportional forms) and
   cells of derived or declared-linked metrics whose inputs are hidden;
3. complementary: while some hidden cell's form lies in the span of the shown cells' forms
   (`metrics.disclosure_algebra`, exact rationals), hide the cheapest shown cell that the
   recomputation uses (a municipality's cell before an aggregate's, fewer cells before more,
   smaller values first) and check again; finally un-hide every complementary cell whose
   return keeps the table safe.

Cells fall into independent components (no shared atom, no inheritance link: in practice one
component per period and family of linked metrics); only components with a hidden cell are audited.
A `DisclosureContext` carries the area hierarchy and, for pages that are parts of one
publication, the decisions made for the whole publication (`metrics.disclosure_publication`),
which the table then follows so every page hides the same cells.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pandas as pd

from metrics.disclosure import COMPLEMENTARY, DEFAULT_MIN_COUNT, PRIMARY, DisclosureError, blank_hidden
from metrics.disclosure_algebra import Audit, normalise
from metrics.disclosure_forms import AreaHierarchy, CellKey, FormBuilder
from metrics.disclosure_links import Terms, base_year_links, crosses_years, families, inherits_from, is_count, metric_terms
from metrics.expr import base_period

logger = logging.getLogger(__name__)

INHERITED = "inherited"
#: Relative cost of hiding an aggregate's cell (it shows on every member's page) vs a municipality's.
AGGREGATE_COST = 3
#: Cost added to a cell another page already shows (only hidden when nothing else works).
FIXED_COST = 10**6


@dataclass(frozen=True)
class Decision:
    """Whether one cell is hidden, and why ('primary', 'inherited', 'complementary')."""

    suppressed: bool
    reason: str | None = None


@dataclass(frozen=True)
class DisclosureContext:
    """What a table needs beyond its own cells.

    `hierarchy` relates aggregate areas to their municipalities. `pattern` holds the decisions
    of the whole publication by cell key (metric id, area, period, gender, age band): cells found
    there keep that decision, so a page never shows what another page hides. `present` lists,
    per (metric id, period, gender, age band), the areas with a value, so a computed aggregate is
    related only to the members it was computed from.
    """

    hierarchy: AreaHierarchy | None = None
    pattern: Mapping[CellKey, Decision] | None = None
    present: Mapping[tuple[str, str, str, str], frozenset[str]] | None = None


@dataclass
class _Class:
    """Cells with proportional forms: they carry the same information and share one decision."""

    key: Hashable
    form: dict[int, Fraction] | None
    cells: list[int] = field(default_factory=list)
    primary: bool = False
    shown: bool = False  # some cell is published with a value
    fixed: Decision | None = None
    cost: tuple = ()


def _group_columns(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    if "gender" in df.columns:
        gender = df["gender"].fillna("total").astype(str)
        age = df["age_band"].fillna("all").astype(str) if "age_band" in df.columns else pd.Series("all", index=df.index)
        return gender, age
    if "group_code" in df.columns:
        split = df["group_code"].fillna("total").astype(str).str.partition(":")
        return split[0], split[2].replace("", "all")
    return pd.Series("total", index=df.index), pd.Series("all", index=df.index)


def _numbers(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series(float("nan"), index=df.index, dtype="float64")
    return pd.to_numeric(df[column], errors="coerce").astype("float64")


class _Table:
    """The cells of one call, their forms, classes, inheritance links and components."""

    def __init__(self, cells: pd.DataFrame, catalog: Any, context: DisclosureContext) -> None:
        self.df = cells
        self.context = context
        metrics = dict(catalog.metrics)
        ids = [str(m) for m in cells["metric_id"].unique()]
        unknown = [m for m in ids if m not in metrics]
        if unknown:
            logger.warning("disclosure: metrics not in the catalogue are treated as unrelated: %s", ", ".join(unknown))
        self.terms: dict[str, Terms | None] = {m: metric_terms(metrics[m], metrics) if m in metrics else None for m in ids}
        self.min_count = {m: int(metrics[m].min_count) if m in metrics else DEFAULT_MIN_COUNT for m in ids}
        self.counts = {m: m in metrics and is_count(metrics[m]) for m in ids}
        self.parents = {m: inherits_from(metrics[m]) if m in metrics else () for m in ids}
        # Base-year operands (`x[2010]`): the parent cell is in the base year's period.
        self.base_parents = {m: base_year_links(metrics[m]) if m in metrics else () for m in ids}
        gender, age = _group_columns(cells)
        self.keys: list[CellKey] = list(zip(
            cells["metric_id"].astype(str).tolist(), cells["area_code"].astype(str).tolist(),
            cells["period"].astype(str).tolist(), gender.astype(str).tolist(), age.astype(str).tolist(),
        ))
        self.value = _numbers(cells, "value").tolist()
        self.shown = (
            cells["published"].fillna(True).astype(bool).tolist() if "published" in cells.columns
            else [True] * len(cells)
        )
        self.primary = self._primary(cells)
        self.classes: list[_Class] = []
        self.class_of: list[int] = []  # -1: in a block with nothing hidden
        self._classify(cells, metrics)

    def _primary(self, cells: pd.DataFrame) -> list[bool]:
        numerator = _numbers(cells, "numerator").tolist()
        already = (
            cells["suppressed"].fillna(False).astype(bool).tolist() if "suppressed" in cells.columns
            else [False] * len(cells)
        )
        out = []
        for i, key in enumerate(self.keys):
            count = numerator[i]
            if count != count and self.counts[key[0]]:
                count = self.value[i]
            out.append(bool(already[i]) or (count == count and count < self.min_count[key[0]]))
        return out

    def _active(self, metrics: Mapping[str, Any]) -> list[bool]:
        """Cells in a (family of linked metrics, period) block holding a hidden cell: only they need forms.

        Blocks share no atom and no inheritance link, so a block without a primary (or already
        decided hidden) cell has nothing to protect and stays as it is. A family with a base-year
        formula ties its periods together: it is one block over all periods.
        """
        family_of: dict[str, int] = {}
        across: set[int] = set()
        known = {m: metrics[m] for m in self.terms if m in metrics}
        for number, family in enumerate(families(known)):
            for mid in family:
                family_of[mid] = number
                if self.base_parents.get(mid) or crosses_years(self.terms.get(mid)):
                    across.add(number)
        pattern = self.context.pattern or {}
        block = [(family_of.get(k[0], -1 - n), "*" if family_of.get(k[0]) in across else k[2])
                 for n, k in enumerate(self.keys)]
        hot = {
            block[i] for i, key in enumerate(self.keys)
            if self.primary[i] or (pattern.get(key) is not None and pattern[key].suppressed)
        }
        return [b in hot for b in block]

    def _classify(self, cells: pd.DataFrame, metrics: Mapping[str, Any]) -> None:
        builder = FormBuilder(
            zip(self.keys, self.value, _numbers(cells, "denominator").tolist()),
            self.terms, self.context.hierarchy, self.context.present,
        )
        active = self._active(metrics)
        by_form: dict[tuple, int] = {}
        pattern = self.context.pattern or {}
        for i, key in enumerate(self.keys):
            if not active[i]:
                self.class_of.append(-1)
                continue
            has_value = self.value[i] == self.value[i]
            form = builder.form(*key) if (has_value or self.primary[i]) else None
            norm = normalise(form) if form else None
            if norm:
                index = by_form.setdefault(norm, len(self.classes))
                if index == len(self.classes):
                    self.classes.append(_Class(("form", norm), dict(norm)))
            else:
                index = len(self.classes)
                self.classes.append(_Class(("cell", i), None))
            cls = self.classes[index]
            self.class_of.append(index)
            cls.cells.append(i)
            cls.primary |= self.primary[i]
            cls.shown |= bool(self.shown[i]) and has_value
            decision = pattern.get(key)
            if decision is not None and (cls.fixed is None or decision.suppressed):
                cls.fixed = decision
        for cls in self.classes:
            cost = sum(AGGREGATE_COST if self._is_aggregate(self.keys[i][1]) else 1 for i in cls.cells if self.shown[i])
            biggest = max((abs(self.value[i]) for i in cls.cells if self.value[i] == self.value[i]), default=0.0)
            fixed = FIXED_COST if cls.fixed is not None and not cls.fixed.suppressed else 0
            cls.cost = (fixed + cost, biggest, repr(cls.key))
        self._links()

    def _is_aggregate(self, area: str) -> bool:
        hierarchy = self.context.hierarchy
        return hierarchy is not None and area in hierarchy.members

    def _links(self) -> None:
        """Inheritance (class -> classes it inherits from) and independent components."""
        position = {key: i for i, key in reversed(list(enumerate(self.keys)))}
        self.deps: list[set[int]] = [set() for _ in self.classes]
        parent = list(range(len(self.classes)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for i, key in enumerate(self.keys):
            if self.class_of[i] < 0:
                continue
            links = [(ref, *key[1:]) for ref in self.parents[key[0]]]
            links += [(ref, key[1], base_period(key[2], year), *key[3:]) for ref, year in self.base_parents[key[0]]]
            for link in links:
                j = position.get(link)
                if j is not None and self.class_of[j] >= 0 and self.class_of[j] != self.class_of[i]:
                    self.deps[self.class_of[i]].add(self.class_of[j])
                    parent[find(self.class_of[i])] = find(self.class_of[j])
        owner: dict[int, int] = {}
        for index, cls in enumerate(self.classes):
            for atom in cls.form or ():
                if atom in owner:
                    parent[find(index)] = find(owner[atom])
                else:
                    owner[atom] = index
        groups: dict[int, list[int]] = {}
        for index in range(len(self.classes)):
            groups.setdefault(find(index), []).append(index)
        self.components = list(groups.values())


def _closure(chosen: set[int], members: list[int], deps: list[set[int]]) -> set[int]:
    hidden = set(chosen)
    changed = True
    while changed:
        changed = False
        for index in members:
            if index not in hidden and deps[index] & hidden:
                hidden.add(index)
                changed = True
    return hidden


def _leak(table: _Table, members: list[int], hidden: set[int], index: Mapping[int, list[int]]) -> tuple[int, list[Hashable]] | None:
    """The first hidden class (in a stable order) that shown cells recompute, with the cells used."""
    forms = {i: table.classes[i].form for i in members if table.classes[i].form}
    published = [i for i in forms if i not in hidden and table.classes[i].shown]
    audit = Audit(forms, published, index)  # type: ignore[arg-type]
    for target in sorted(i for i in hidden if i in forms):
        support = audit.support(forms[target])  # type: ignore[arg-type]
        if support is not None:
            return target, support
    return None


def _protect(table: _Table, members: list[int]) -> tuple[set[int], list[int]]:
    """Hidden classes of one component and the complementary ones among them."""
    classes = table.classes
    chosen = {i for i in members if classes[i].primary or (classes[i].fixed is not None and classes[i].fixed.suppressed)}
    if not chosen:
        return set(), []
    index: dict[int, list[int]] = {}
    for i in members:
        for atom in classes[i].form or ():
            index.setdefault(atom, []).append(i)
    added: list[int] = []
    while True:
        hidden = _closure(chosen, members, table.deps)
        leak = _leak(table, members, hidden, index)
        if leak is None:
            break
        _target, support = leak
        pick = min((int(i) for i in support), key=lambda i: classes[i].cost)  # type: ignore[call-overload]
        chosen.add(pick)
        added.append(pick)
    for candidate in sorted(added, key=lambda i: classes[i].cost, reverse=True):
        if classes[candidate].fixed is not None:
            continue
        trial = chosen - {candidate}
        if _leak(table, members, _closure(trial, members, table.deps), index) is None:
            chosen = trial
    added = [i for i in added if i in chosen]
    return _closure(chosen, members, table.deps), added


def _normalised(cells: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("metric_id", "area_code", "period", "value") if c not in cells.columns]
    if missing:
        raise DisclosureError(f"the table lacks the columns {', '.join(missing)}")
    return cells.reset_index(drop=True)


def disclose_table(cells: pd.DataFrame, catalog: Any, *, context: DisclosureContext | None = None) -> pd.DataFrame:
    """A copy of `cells` (every cell shown together) with hidden cells blanked and flagged.

    `cells` has one row per cell: `metric_id, area_code, period, value` and, where known,
    `gender`/`age_band` (or `group_code` 'female:75-'), `numerator`, `denominator`, `suppressed`
    (hidden at the source) and `published` (False: a cell used only to decide, e.g. an input of a
    derived metric the page does not show). `catalog` is the metric catalogue (`.metrics` by id).
    The result adds `suppressed` and `suppression_reason` ('primary', 'inherited',
    'complementary'; None when shown) and sets the hidden cells' value columns to missing.
    Pure: no I/O, the input is not modified.
    """
    started = time.perf_counter()
    frame = _normalised(cells)
    table = _Table(frame, catalog, context or DisclosureContext())
    hidden: set[int] = set()
    complementary: set[int] = set()
    audited = 0
    for members in table.components:
        if not any(table.classes[i].primary or (table.classes[i].fixed and table.classes[i].fixed.suppressed) for i in members):
            continue
        audited += 1
        found, added = _protect(table, members)
        hidden |= found
        complementary.update(added)
    reasons: list[str | None] = []
    for i in range(len(frame)):
        cls_index = table.class_of[i]
        if cls_index < 0 or cls_index not in hidden:
            reasons.append(None)
            continue
        cls = table.classes[cls_index]
        if table.primary[i]:
            reasons.append(PRIMARY)
        elif cls.fixed is not None and cls.fixed.suppressed and cls.fixed.reason:
            reasons.append(cls.fixed.reason)
        elif cls_index in complementary:
            reasons.append(COMPLEMENTARY)
        else:
            reasons.append(INHERITED)
    out = _blank(frame, pd.Series([r is not None for r in reasons], index=frame.index))
    out["suppression_reason"] = pd.Series(reasons, index=frame.index, dtype="object")
    counts = Counter(r for r in reasons if r)
    logger.debug("disclose_table: %d cells, %d components audited, %s hidden, %.3f s",
                 len(frame), audited, dict(counts), time.perf_counter() - started)
    return out


def _blank(frame: pd.DataFrame, suppressed: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    blank_hidden(out, suppressed)
    return out


def suppression_counts(disclosed: pd.DataFrame) -> dict[str, int]:
    """How many cells are shown and hidden per reason (for reports and benchmarks)."""
    reasons = disclosed["suppression_reason"].dropna().astype(str)
    out = {"cells": int(len(disclosed)), "shown": int((~disclosed["suppressed"].astype(bool)).sum())}
    for reason in (PRIMARY, INHERITED, COMPLEMENTARY):
        out[reason] = int((reasons == reason).sum())
    return out


def decisions(disclosed: pd.DataFrame) -> dict[CellKey, Decision]:
    """The decisions of a disclosed table by cell key (to pass on as a `DisclosureContext.pattern`)."""
    gender, age = _group_columns(disclosed)
    keys = zip(disclosed["metric_id"].astype(str), disclosed["area_code"].astype(str),
               disclosed["period"].astype(str), gender, age)
    return {
        key: Decision(bool(s), None if r is None or r != r else str(r))
        for key, s, r in zip(keys, disclosed["suppressed"], disclosed["suppression_reason"])
    }
