"""`disclose_table` on hand-made tables: the relations it must protect, one by one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from metrics.catalog import load_catalog
from metrics.disclosure import DisclosureError
from metrics.disclosure_algebra import Audit, determined, normalise
from metrics.disclosure_forms import AreaHierarchy
from metrics.disclosure_table import Decision, DisclosureContext, decisions, disclose_table, suppression_counts

SHIPPED = Path(__file__).resolve().parents[2] / "metrics" / "definitions"


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(SHIPPED)


def _migration(area: str, inm: int, out: int, pop: int, period: str = "2000", gender: str = "total") -> list[dict]:
    """The seven migration metrics and the population of one area as the metric layer gives them."""
    rate = 1000 / pop
    rows = [
        ("in_migrants", inm, inm, None), ("out_migrants", out, out, None), ("gross_migration", inm + out, inm + out, None),
        ("in_migration_rate", inm * rate, inm, pop), ("out_migration_rate", out * rate, out, pop),
        ("migration_balance_rate", (inm - out) * rate, None, None), ("net_migration_rate", (inm - out) * rate, None, None),
        ("population", pop, pop, None),
    ]
    return [{"metric_id": m, "area_code": area, "period": period, "gender": gender, "age_band": "all",
             "value": float(v), "numerator": n, "denominator": d} for m, v, n, d in rows]


def _hidden(out: pd.DataFrame) -> dict[tuple[str, str], str]:
    rows = out[out["suppressed"]]
    return {(r.metric_id, r.area_code): r.suppression_reason for r in rows.itertuples()}


def test_gross_minus_out_and_rates_cannot_give_the_hidden_count(catalog) -> None:  # type: ignore[no-untyped-def]
    cells = pd.DataFrame(_migration("766", 4, 9, 766))
    before = cells.copy()
    out = disclose_table(cells, catalog)
    hidden = _hidden(out)
    assert hidden[("in_migrants", "766")] == "primary"
    assert hidden[("in_migration_rate", "766")] == "primary"  # its numerator is the same 4
    assert hidden[("migration_balance_rate", "766")] == "inherited"  # derived from in_migration_rate
    assert hidden[("net_migration_rate", "766")] == "inherited"  # declared: in- minus out-migration rate
    # gross - out = in: exactly one of the two goes (gross: one cell, out: out-migrants and its rate)
    assert hidden[("gross_migration", "766")] == "complementary"
    assert ("out_migrants", "766") not in hidden and ("population", "766") not in hidden
    assert out.loc[out["metric_id"] == "in_migrants", "value"].isna().all()
    assert out.loc[out["metric_id"] == "in_migrants", "numerator"].isna().all()
    pd.testing.assert_frame_equal(cells, before)  # the input is not modified
    again = disclose_table(out, catalog)  # idempotent
    assert _hidden(again).keys() == hidden.keys()


def test_a_region_total_minus_the_siblings_is_protected(catalog) -> None:  # type: ignore[no-untyped-def]
    members = {"766": (4, 9, 766), "062": (20, 25, 600), "478": (500, 450, 11000)}
    rows = [r for code, (i, o, p) in members.items() for r in _migration(code, i, o, p)]
    rows += _migration("MK21", sum(v[0] for v in members.values()), sum(v[1] for v in members.values()),
                       sum(v[2] for v in members.values()))
    hierarchy = AreaHierarchy.from_members({"MK21": list(members)})
    alone = _hidden(disclose_table(pd.DataFrame(rows), catalog))
    assert not any(area != "766" for _m, area in alone)  # without the hierarchy nothing ties the areas
    out = disclose_table(pd.DataFrame(rows), catalog, context=DisclosureContext(hierarchy=hierarchy))
    hidden = _hidden(out)
    # The smaller sibling pays (a municipality's cells are cheaper than the region's), not the region.
    assert hidden[("in_migrants", "062")] == "complementary"
    assert not any(area in ("MK21", "478") for _m, area in hidden)
    counts = suppression_counts(out)
    assert counts["primary"] == 2 and counts["cells"] == 32 and counts["shown"] == counts["cells"] - len(hidden)


def test_total_and_parts(catalog) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"metric_id": "in_migrants", "area_code": "208", "period": "2011", "group_code": code, "value": v, "numerator": v}
        for code, v in (("total", 40.0), ("male", 3.0), ("female", 37.0))
    ]
    out = disclose_table(pd.DataFrame(rows), catalog)
    reasons = dict(zip(out["group_code"], out["suppression_reason"]))
    assert reasons == {"total": None, "male": "primary", "female": "complementary"}


def test_the_publication_decisions_are_followed(catalog) -> None:  # type: ignore[no-untyped-def]
    cells = pd.DataFrame(_migration("062", 20, 25, 600))
    pattern = {("in_migrants", "062", "2000", "total", "all"): Decision(True, "complementary")}
    out = disclose_table(cells, catalog, context=DisclosureContext(pattern=pattern))
    hidden = _hidden(out)
    assert hidden[("in_migrants", "062")] == "complementary"
    assert hidden[("in_migration_rate", "062")] == "complementary"  # same information: same decision
    assert hidden[("gross_migration", "062")] == "complementary"
    assert decisions(out)[("in_migrants", "062", "2000", "total", "all")] == Decision(True, "complementary")


def test_cells_used_only_to_decide_hide_what_depends_on_them(catalog) -> None:  # type: ignore[no-untyped-def]
    cells = pd.DataFrame(_migration("766", 4, 9, 766))
    cells["published"] = cells["metric_id"] == "migration_balance_rate"
    hidden = _hidden(disclose_table(cells, catalog))
    assert hidden[("migration_balance_rate", "766")] == "inherited"


def test_missing_columns_are_refused(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DisclosureError, match="metric_id"):
        disclose_table(pd.DataFrame({"area_code": ["208"], "period": ["2011"], "value": [1.0]}), catalog)


def test_exact_audit_finds_every_combination_and_nothing_more() -> None:
    one = Fraction(1)
    forms = {
        "in": {0: one}, "out": {1: one}, "gross": {0: one, 1: one},
        "sibling": {2: one}, "region": {0: one, 2: one}, "rate": {0: Fraction(1000, 766)},
    }
    assert Audit(forms, ["out", "gross"]).support(forms["in"]) is not None
    assert sorted(Audit(forms, ["region", "sibling", "out"]).support(forms["in"]) or []) == ["region", "sibling"]
    assert Audit(forms, ["region", "out"]).support(forms["in"]) is None
    assert Audit(forms, ["gross"]).support(forms["in"]) is None
    assert determined({"r": forms["rate"]}, [forms["in"], forms["out"]]) == [True, False]
    assert normalise({3: Fraction(2), 5: Fraction(-4)}) == ((3, 1), (5, -2))
    assert normalise({0: Fraction(1000, 766)}) == normalise({0: 1})
