"""Load-time checks on small frames: implausible zeros and the division a release is on."""

from __future__ import annotations

import pandas as pd
import pytest

from datamodel.areas import AreaIndex, bundled_area_rows
from datamodel.divisions import decide, detect, merges_of
from datamodel.errors import DataError
from datamodel.quality import declared_zero_implausible, flag_implausible_zeros

KAINUU = ["105", "205", "290", "578", "620", "697", "765", "777", "785"]


def _obs(values: dict[str, float | None], series: str = "sotkanet:451", period: str = "2005") -> pd.DataFrame:
    return pd.DataFrame({"series_code": series, "area_code": list(values), "period_code": period, "group_code": "total",
                         "value": list(values.values()), "status": "ok"})


def test_majority_zeros_become_missing_but_a_lone_zero_stays() -> None:
    areas = AreaIndex.bundled()
    assert all(areas.rows[c]["region_code"] == "MK18" for c in KAINUU)
    obs = _obs({**{c: 0.0 for c in KAINUU[1:]}, KAINUU[0]: 55.0, "MK18": 0.0})
    flagged = flag_implausible_zeros(obs, areas, {"sotkanet:451"})
    assert sorted(flagged["area_code"]) == sorted([*KAINUU[1:], "MK18"])
    assert set(flagged["detail"]) == {"0 reported by 8 of 9 municipalities of MK18"}
    assert obs.set_index("area_code").loc["205", ["status"]].item() == "missing" and pd.isna(obs.set_index("area_code").loc["205", "value"])
    assert obs.set_index("area_code").loc["105", "value"] == 55.0
    lone = _obs({**{c: 50.0 for c in KAINUU[1:]}, KAINUU[0]: 0.0})
    assert flag_implausible_zeros(lone, areas, {"sotkanet:451"}).empty and lone["value"].min() == 0.0
    # Series without the declaration are never touched: a 0 may be real (a debt-free municipality).
    assert flag_implausible_zeros(_obs({c: 0.0 for c in KAINUU}, "sotkanet:3180"), areas, {"sotkanet:451"}).empty
    assert "sotkanet:451" in declared_zero_implausible() and "sotkanet:3180" not in declared_zero_implausible()


def test_division_detection_from_codes() -> None:
    merges = merges_of(bundled_area_rows())
    frame = pd.DataFrame({"area_code": ["297", "174", "476"], "year": [2011, 2011, 2011]})
    assert detect(frame, merges)[:2] == (None, 2014)  # Maaninka (merged 2015) still has rows: 2014 borders or older
    newer = pd.DataFrame({"area_code": ["297", "609", "413"], "year": [2011, 2011, 2011]})
    lo, hi, evidence = detect(newer, merges)
    assert (lo, hi) == (2017, 2014) and any("297" in e for e in evidence)
    with pytest.raises(DataError, match="mixes municipal divisions"):
        decide("sotkanet:127", newer, merges, 2013, None)
    # A new series without evidence either way stays on the base division.
    assert decide("own:208:x", pd.DataFrame({"area_code": ["208"], "year": [2023]}), merges, None, None) == 2013
