"""Each cell of a published table as a linear form over atoms (series x municipality x period x group).

An atom is one series' value in one municipality, period, gender and age band: a count for
count series and ratio numerators, the value itself for rate series that stand alone. A cell's
form follows from its metric's terms (`metrics.disclosure_links`) and its area:

- a municipality's cell uses its own atoms;
- an aggregate area (region, county, Finland) rolls its members' atoms up as the term says: a
  sum (counts; a ratio's numerator, since the region's rate is the sum of numerators over the
  public sum of denominators), a weighted mean, or not at all (`source_only`: its own atom);
- a `total` cell is male + female where the table or the publication has that split;
- a ratio term is divided by its denominator (public: the population), read from the cells;
- a base-year term (`TermKey.year`, from a formula's `population[2010]`) is read in the base
  year's period (same quarter or month), so a change since a year is a difference of two periods' atoms.

Areas are related through an `AreaHierarchy` (aggregate code -> member municipalities by year).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from metrics.disclosure_links import TermKey, Terms
from metrics.expr import base_period

TOTAL = "total"
PARTS: tuple[str, ...] = ("male", "female")

Atom = tuple[str, str, str, str, str]  # series, area, period, gender, age band
Coefficient = int | Fraction
Form = dict[int, Coefficient]
CellKey = tuple[str, str, str, str, str]  # metric id, area, period, gender, age band


@dataclass(frozen=True)
class AreaHierarchy:
    """Aggregate area code -> its member municipalities, each with the years it belongs (None: open)."""

    members: Mapping[str, tuple[tuple[str, int | None, int | None], ...]] = field(default_factory=dict)

    def members_of(self, code: str, year: int | None) -> tuple[str, ...] | None:
        """Member codes of aggregate `code` in `year`, or None when `code` is not an aggregate."""
        entries = self.members.get(code)
        if entries is None:
            return None
        return tuple(
            m for m, start, end in entries
            if year is None or ((start is None or start <= year) and (end is None or year <= end))
        )

    @classmethod
    def from_members(cls, members: Mapping[str, Iterable[str]]) -> AreaHierarchy:
        """A hierarchy without validity years (tests, hand-made tables)."""
        return cls({code: tuple((m, None, None) for m in sorted(set(ms))) for code, ms in members.items()})


def _year(period: str) -> int | None:
    try:
        return int(str(period)[:4])
    except ValueError:
        return None


def _period(key: TermKey, period: str) -> str:
    """The period a term is read in: the cell's own, or its base year's."""
    return period if key.year is None else base_period(period, key.year)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


class FormBuilder:
    """Builds cell forms for one table; atoms are interned to integers for the algebra."""

    def __init__(self, cells: Iterable[tuple[CellKey, float, float]], terms: Mapping[str, Terms | None],
                 hierarchy: AreaHierarchy | None,
                 present: Mapping[tuple[str, str, str, str], frozenset[str]] | None = None) -> None:
        """`cells`: (cell key, value, denominator) of every cell of the table (NaN where missing)."""
        self.terms = terms
        self.hierarchy = hierarchy or AreaHierarchy()
        self.present = present
        self.atoms: dict[Atom, int] = {}
        self.values: dict[tuple[str, str, str, str, str], float] = {}  # series, area, period, gender, age -> value
        self.split: set[tuple[str, str, str, str]] = set()  # series, area, period, age with male/female atoms
        self._memo: dict[tuple, Form] = {}
        self._scan(cells)

    def _scan(self, cells: Iterable[tuple[CellKey, float, float]]) -> None:
        """Public values of plain series (denominators, weights) and where gender splits exist."""
        for (metric_id, area, period, gender, age), raw_value, raw_denominator in cells:
            terms = self.terms.get(metric_id)
            if not terms:
                continue
            keys = list(terms)
            value = _num(raw_value)
            own = len(keys) == 1 and keys[0].year is None  # a base-year term's value is not this period's
            if own and keys[0].per is None and terms[keys[0]] == 1 and value is not None:
                self.values[(keys[0].series, area, period, gender, age)] = value
            denominator = _num(raw_denominator)
            if denominator is not None and own and keys[0].per is not None:
                self.values.setdefault((keys[0].per, area, period, gender, age), denominator)
            if gender in PARTS:
                members = self.hierarchy.members_of(area, _year(period)) or (area,)
                for key in keys:
                    for member in members:
                        self.split.add((key.series, member, _period(key, period), age))

    def atom(self, atom: Atom) -> int:
        index = self.atoms.get(atom)
        if index is None:
            index = self.atoms[atom] = len(self.atoms)
        return index

    def _public(self, series: str | None, area: str, period: str, gender: str, age: str) -> Coefficient:
        """A public denominator or weight (1 when the table does not show it: same for every cell)."""
        if series is None:
            return 1
        return _exact(self.values.get((series, area, period, gender, age)) or 1.0)

    def _members(self, metric_id: str, area: str, period: str, gender: str, age: str) -> tuple[str, ...] | None:
        members = self.hierarchy.members_of(area, _year(period))
        if members is None or self.present is None:
            return members
        known = self.present.get((metric_id, period, gender, age))
        return members if known is None else tuple(m for m in members if m in known)

    def _leaf_atoms(self, series: str, area: str, period: str, gender: str, age: str) -> tuple[int, ...]:
        """A municipality's atoms for one series and group (male + female for a split total)."""
        if gender == TOTAL and (series, area, period, age) in self.split:
            return tuple(self.atom((series, area, period, part, age)) for part in PARTS)
        return (self.atom((series, area, period, gender, age)),)

    def _term_form(self, metric_id: str, key: TermKey, area: str, period: str, gender: str, age: str) -> Form:
        """One term's atoms, unscaled (members summed, or weighted by the public weight series); memoised."""
        period = _period(key, period)
        members = None if key.rollup == "none" else self._members(metric_id, area, period, gender, age)
        memo_key = (key.series, key.rollup, key.weight, area, period, gender, age, members)
        hit = self._memo.get(memo_key)
        if hit is not None:
            return hit
        form: Form = {}
        if members is None:  # a municipality, or an aggregate's own source value
            for atom in self._leaf_atoms(key.series, area, period, gender, age):
                form[atom] = 1
        else:
            for member in members:
                weight = self._public(key.weight, member, period, gender, age) if key.rollup == "weighted" else 1
                for atom in self._leaf_atoms(key.series, member, period, gender, age):
                    form[atom] = form.get(atom, 0) + weight
        self._memo[memo_key] = form
        return form

    def _scale(self, key: TermKey, coef: Fraction, area: str, period: str, gender: str, age: str) -> Fraction:
        period = _period(key, period)
        scale = coef / self._public(key.per, area, period, gender, age)
        if key.rollup == "weighted" and self.hierarchy.members_of(area, _year(period)) is not None:
            scale /= self._public(key.weight, area, period, gender, age)
        return scale

    def form(self, metric_id: str, area: str, period: str, gender: str, age: str) -> Form | None:
        """The cell's form up to a non-zero factor (which no audit needs), None when its metric is not linear.

        Terms are scaled relative to the first one, so the usual cells (one term, or terms with
        the same denominator) stay in integers.
        """
        terms = self.terms.get(metric_id)
        if terms is None:
            return None
        items = list(terms.items())
        if len(items) == 1:
            return dict(self._term_form(metric_id, items[0][0], area, period, gender, age))
        scales = [self._scale(key, coef, area, period, gender, age) for key, coef in items]
        out: Form = {}
        for (key, _coef), scale in zip(items, scales):
            factor = _exact(scale / scales[0])
            for atom, value in self._term_form(metric_id, key, area, period, gender, age).items():
                total = out.get(atom, 0) + factor * value
                if total:
                    out[atom] = total
                else:
                    out.pop(atom, None)
        return out


def _exact(value: float | Fraction) -> Coefficient:
    """An exact coefficient: an int when the number is whole (fast), else a Fraction."""
    number = Fraction(value)
    return number.numerator if number.denominator == 1 else number
