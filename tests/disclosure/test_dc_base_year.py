"""Disclosure of a change since a base year (`in_migrants - in_migrants[2010]`).

A change ties two periods: the change of 2011 plus the value of 2010 is the value of 2011, and a
region's change minus its other members' changes plus the last member's 2010 value is that
member's 2011 value. The checks here write every shown cell as a vector over the atoms
(municipality x year) by hand and verify with exact linear algebra that no hidden count lies in
their span, independently of the forms `disclose_table` builds.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from metrics.catalog import Catalog, load_catalog
from metrics.disclosure_forms import AreaHierarchy
from metrics.disclosure_links import TermKey, base_year_links, metric_terms
from metrics.disclosure_table import DisclosureContext, disclose_table
from metrics.model import DerivedMetric

SHIPPED = Path(__file__).resolve().parents[2] / "metrics" / "definitions"
CHANGE = "in_migrants_change"
PERCENT = "in_migrants_change_pct"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    real = load_catalog(SHIPPED)
    change = DerivedMetric(kind="derived", id=CHANGE, expression="in_migrants - in_migrants[2010]",
                           theme="economy_services", name={"fi": "Tulomuuton muutos"}, description={"fi": "x"},
                           unit={"fi": "henkilöä"}, direction="neutral")
    percent = change.model_copy(update={"id": PERCENT, "unit": change.unit.model_copy(update={"fi": "%"}),
                                        "expression": "(in_migrants - in_migrants[2010]) / in_migrants[2010] * 100"})
    return Catalog(metrics={**real.metrics, CHANGE: change, PERCENT: percent}, issues=[], files={},
                   directory=real.directory)


def _cell(metric: str, area: str, year: int, value: float) -> dict:
    count = value if metric == "in_migrants" else None
    return {"metric_id": metric, "area_code": area, "period": str(year), "gender": "total", "age_band": "all",
            "value": value, "numerator": count}


def test_the_change_is_a_difference_of_two_years_terms(catalog: Catalog) -> None:
    terms = metric_terms(catalog.get(CHANGE), catalog.metrics)
    assert terms == {TermKey("sotkanet:3196", None, "sum", None): 1, TermKey("sotkanet:3196", None, "sum", None, 2010): -1}
    assert base_year_links(catalog.get(CHANGE)) == (("in_migrants", 2010),)


def test_a_hidden_base_year_hides_the_change(catalog: Catalog) -> None:
    cells = pd.DataFrame([_cell("in_migrants", "766", 2010, 3), _cell("in_migrants", "766", 2011, 40),
                          _cell(CHANGE, "766", 2011, 37), _cell(PERCENT, "766", 2011, 37 / 3 * 100)])
    out = disclose_table(cells, catalog)
    reasons = {(r.metric_id, r.period): r.suppression_reason for r in out.itertuples()}
    assert reasons[("in_migrants", "2010")] == "primary"
    assert reasons[(CHANGE, "2011")] is not None  # 40 - 37 would give the hidden 3
    # Not linear (no form): hidden because its base-year cell is: 40 / (1 + 1233.3 / 100) = 3.
    assert reasons[(PERCENT, "2011")] == "inherited"
    assert reasons[("in_migrants", "2011")] is None  # nothing else needs to go


def _rank(rows: list[dict[str, Fraction]], atoms: list[str]) -> int:
    """Rank over the rationals (Gaussian elimination; exact)."""
    matrix = [[row.get(a, Fraction(0)) for a in atoms] for row in rows]
    rank, col = 0, 0
    while rank < len(matrix) and col < len(atoms):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            col += 1
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for i in range(len(matrix)):
            if i != rank and matrix[i][col] != 0:
                factor = matrix[i][col] / matrix[rank][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank])]
        rank, col = rank + 1, col + 1
    return rank


def test_region_changes_do_not_give_back_a_hidden_base_year(catalog: Catalog) -> None:
    """Members 766 and 062 of region MK21. The page shows 2011 and the change since 2010; the 2010
    counts decide but are not shown, and 766's (3 in-migrants) is hidden. The region's change
    minus 062's change, less the 2011 counts, is minus 766's 2010 count: no cell says so directly
    (the region's change does not inherit from a member), only the arithmetic across years does."""
    counts = {("766", 2010): 3, ("766", 2011): 20, ("062", 2010): 45, ("062", 2011): 50}
    members = ("766", "062")
    rows = [{**_cell("in_migrants", a, y, v), "published": y == 2011} for (a, y), v in counts.items()]
    rows += [{**_cell("in_migrants", "MK21", y, sum(counts[(m, y)] for m in members)), "published": y == 2011}
             for y in (2010, 2011)]
    rows += [_cell(CHANGE, a, 2011, counts[(a, 2011)] - counts[(a, 2010)]) for a in members]
    rows += [_cell(CHANGE, "MK21", 2011, sum(counts[(m, 2011)] - counts[(m, 2010)] for m in members))]
    hierarchy = AreaHierarchy.from_members({"MK21": list(members)})
    out = disclose_table(pd.DataFrame(rows), catalog, context=DisclosureContext(hierarchy=hierarchy))
    published = pd.DataFrame(rows)["published"].fillna(True).astype(bool)
    atoms = [f"{a} {y}" for a in members for y in (2010, 2011)]

    def vector(metric: str, area: str, period: str) -> dict[str, Fraction]:
        """A cell by hand over the atoms "area year" (a region sums its members)."""
        vec: dict[str, Fraction] = {}
        for a in (members if area == "MK21" else (area,)):
            vec[f"{a} {period}"] = vec.get(f"{a} {period}", Fraction(0)) + 1
            if metric == CHANGE:
                vec[f"{a} 2010"] = vec.get(f"{a} 2010", Fraction(0)) - 1
        return vec

    cells = list(out.itertuples())
    shown = [vector(r.metric_id, r.area_code, r.period) for r, p in zip(cells, published) if p and not r.suppressed]
    primary = [r for r in cells if r.suppression_reason == "primary"]
    assert [(r.metric_id, r.area_code, r.period) for r in primary] == [("in_migrants", "766", "2010")]
    base = _rank(shown, atoms)
    assert _rank([*shown, vector("in_migrants", "766", "2010")], atoms) == base + 1  # not recoverable
    # Only what protects it went: every 2011 count and the region's change are still shown.
    visible = {(r.metric_id, r.area_code) for r, p in zip(cells, published) if p and not r.suppressed}
    assert {("in_migrants", a) for a in (*members, "MK21")} <= visible and (CHANGE, "MK21") in visible
