"""One rule for which values are never shown as a number: the readout's points (page, print,
PDF, static site) and the published tables behind the API hide the same statuses."""

from __future__ import annotations

from typing import get_args

import pandas as pd

from api.datapackage import STATUSES
from readout.build import point_from_row
from readout.model import HIDDEN_STATUSES, ValueStatus
from readout.publication import COLUMNS, _tidy

#: Not enough coverage, suppressed by the source, hidden by disclosure control.
HIDDEN = {"insufficient", "suppressed", "too_few"}


def _published(status: str) -> pd.Series:
    row = {c: None for c in COLUMNS} | {"metric_id": "m", "area_code": "208", "period": "2020", "gender": "total",
                                         "value": 12.5, "status": status, "suppressed": False}
    return _tidy(pd.DataFrame([row]), ["m"]).iloc[0]


def test_the_readout_and_the_published_table_hide_the_same_statuses() -> None:
    assert set(HIDDEN_STATUSES) == HIDDEN
    for status in get_args(ValueStatus):
        point, row = point_from_row({"period": "2020", "year": 2020, "value": 12.5, "status": status}), _published(status)
        hidden = status in HIDDEN
        assert (point.value is None) is hidden, status
        assert pd.isna(row["value"]) is hidden, status
        assert point.status == row["status"] == status
    # a cell hidden by disclosure control reads 'too_few' on both, without its number
    flagged = point_from_row({"period": "2020", "year": 2020, "value": 12.5, "status": "ok", "suppressed": True})
    assert (flagged.status, flagged.value) == ("too_few", None)


def test_the_data_package_declares_the_readout_statuses() -> None:
    assert STATUSES == ["ok", "partial", "insufficient", "provisional", "suppressed", "too_few", "missing"]
