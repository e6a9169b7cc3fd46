"""Each cell of a published table as a linear form over atoms (series x municipality x period x group).

An atom is one series' value in one municipality, period, gender and age band: a count for
count series and ratio numerators, the value itself for rate series that stand alone. A cell's
form follows from its metric's terms (`metrics.disclosure_links`) and its area:

- a municipality's cell uses its own atoms;
- an aggregate area (region, county, Finland) rolls its members' atoms up as the term says: a
  sum (counts; a ratio's numerator, since the region's rate is the sum of numerators over the
  public sum of denominators), a weighted mean, or not at all (`source_only`: its own atom);
- a `total` cell is male + female where the table or the publication has that split;
- a ratio term is divided by its denominator (public: the population), read from the cells.

Areas are related through an `AreaHierarchy` (aggregate code -> member municipalities by year).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pandas as pd

from metrics.disclosure_links import TermKey, Terms

TOTAL = "total"
PARTS: tuple[str, ...] = ("male", "female")

Atom = tuple[str, str, str, str, str]  # series, area, period, gender, age band
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

    def __init__(self, cells: pd.DataFrame, terms: Mapping[str, Terms | None], hierarchy: AreaHierarchy | None,
                 present: Mapping[tuple[str, str, str, str], frozenset[str]] | None = None) -> None:
        self.terms = terms
        self.hierarchy = hierarchy or AreaHierarchy()
        self.present = present
        self.atoms: dict[Atom, int] = {}
        self.values: dict[tuple[str, str, str, str, str], float] = {}  # series, area, period, gender, age -> value
        self.split: set[tuple[str, str, str, str]] = set()  # series, area, period, age with male/female atoms
        self._scan(cells)

    def _scan(self, cells: pd.DataFrame) -> None:
        """Public values of plain series (denominators, weights) and where gender splits exist."""
        for row in cells.itertuples(index=False):
            terms = self.terms.get(row.metric_id)
            if not terms:
                continue
            period, gender, age = str(row.period), str(row.gender), str(row.age_band)
            keys = list(terms)
            value = _num(row.value)
            if len(keys) == 1 and keys[0].per is None and terms[keys[0]] == 1 and value is not None:
                self.values[(keys[0].series, str(row.area_code), period, gender, age)] = value
            denominator = _num(getattr(row, "denominator", None))
            if denominator is not None and len(keys) == 1 and keys[0].per is not None:
                self.values.setdefault((keys[0].per, str(row.area_code), period, gender, age), denominator)
            if gender in PARTS:
                members = self.hierarchy.members_of(str(row.area_code), _year(period)) or (str(row.area_code),)
                for key in keys:
                    for member in members:
                        self.split.add((key.series, member, period, age))

    def atom(self, atom: Atom) -> int:
        index = self.atoms.get(atom)
        if index is None:
            index = self.atoms[atom] = len(self.atoms)
        return index

    def _public(self, series: str | None, area: str, period: str, gender: str, age: str) -> Fraction:
        """A public denominator or weight (1 when the table does not show it: same for every cell)."""
        if series is None:
            return Fraction(1)
        value = self.values.get((series, area, period, gender, age))
        return Fraction(value) if value else Fraction(1)

    def _members(self, metric_id: str, area: str, period: str, gender: str, age: str) -> tuple[str, ...] | None:
        members = self.hierarchy.members_of(area, _year(period))
        if members is None or self.present is None:
            return members
        known = self.present.get((metric_id, period, gender, age))
        return members if known is None else tuple(m for m in members if m in known)

    def _leaf_atoms(self, series: str, area: str, period: str, gender: str, age: str) -> list[tuple[int, Fraction]]:
        """A municipality's atoms for one series and group (male + female for a split total)."""
        if gender == TOTAL and (series, area, period, age) in self.split:
            return [(self.atom((series, area, period, part, age)), Fraction(1)) for part in PARTS]
        return [(self.atom((series, area, period, gender, age)), Fraction(1))]

    def _term_form(self, metric_id: str, key: TermKey, area: str, period: str, gender: str, age: str) -> dict[int, Fraction]:
        members = None if key.rollup == "none" else self._members(metric_id, area, period, gender, age)
        scale = Fraction(1) / self._public(key.per, area, period, gender, age)
        form: dict[int, Fraction] = {}
        if members is None:  # a municipality, or an aggregate's own source value
            for atom, coef in self._leaf_atoms(key.series, area, period, gender, age):
                form[atom] = form.get(atom, Fraction(0)) + coef * scale
            return form
        if key.rollup == "weighted":
            scale /= self._public(key.weight, area, period, gender, age)
        for member in members:
            weight = self._public(key.weight, member, period, gender, age) if key.rollup == "weighted" else Fraction(1)
            for atom, coef in self._leaf_atoms(key.series, member, period, gender, age):
                form[atom] = form.get(atom, Fraction(0)) + coef * weight * scale
        return form

    def form(self, metric_id: str, area: str, period: str, gender: str, age: str) -> dict[int, Fraction] | None:
        """The cell's form, None when its metric is not linear (or unknown to the catalogue)."""
        terms = self.terms.get(metric_id)
        if terms is None:
            return None
        out: dict[int, Fraction] = {}
        for key, coef in terms.items():
            for atom, value in self._term_form(metric_id, key, area, period, gender, age).items():
                total = out.get(atom, Fraction(0)) + coef * value
                if total:
                    out[atom] = total
                else:
                    out.pop(atom, None)
        return out
