"""Hand-built readouts: tidy frames as the metric layer returns them, judged without a database."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from metrics.model import Direction, Selection  # noqa: F401 - re-exported for the tests
from metrics.yaml_io import texts
from metrics.model import RatioMetric, SimpleMetric, Theme
from readout.build import readout_from_collected
from readout.collect import Collected

AREAS = pd.DataFrame([
    {"code": "208", "area_type": "kunta", "name_fi": "Kalajoki", "name_sv": "Kalajoki", "name_en": "Kalajoki"},
    {"code": "MK17", "area_type": "maakunta", "name_fi": "Pohjois-Pohjanmaa", "name_sv": "Norra Österbotten",
     "name_en": "North Ostrobothnia"},
    {"code": "SSS", "area_type": "maa", "name_fi": "Koko maa", "name_sv": "Hela landet", "name_en": "Finland"},
])


def rate_metric(direction: str = "lower_is_better", **extra: object) -> RatioMetric:
    return RatioMetric(
        id="unemployment", kind="ratio", status="approved", theme=Theme.WORKING_AGE,
        name=texts("Työttömyysaste", "Arbetslöshetsgrad", "Unemployment rate"), description=texts("d", "d", "d"),
        unit=texts("%", "%", "%"), numerator="sotkanet:1", denominator="sotkanet:2", scale=100, decimals=1,
        direction=Direction(direction), **extra,
    )


def count_metric(metric_id: str = "in_migrants") -> SimpleMetric:
    return SimpleMetric(
        id=metric_id, kind="simple", status="approved", theme=Theme.ECONOMY_SERVICES,
        name=texts("Tulomuuttajat", "Inflyttade", "In-migrants"), description=texts("d", "d", "d"),
        unit=texts("henkilöä", "personer", "persons"), series="sotkanet:3196", aggregation="sum", decimals=0,
        direction=Direction.HIGHER_IS_BETTER,
    )


def frame(metric_id: str, rows: Sequence[tuple], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Rows (area_code, year, value, status, basis, *extra) as a tidy frame with RESULT_COLUMNS."""
    records = []
    for row in rows:
        code, year, value, status, basis, *more = row
        records.append({
            "metric_id": metric_id, "area_code": code, "area_type": "", "area_name_fi": code, "area_name_sv": code,
            "period": str(year), "year": year, "gender": "total", "age_band": "all", "value": value,
            "numerator": None, "denominator": None, "status": status, "basis": basis, "batch_id": 1,
            **dict(zip(extra, more, strict=True)),
        })
    return pd.DataFrame(records)


def collected(frames: dict[str, pd.DataFrame], roles: Sequence[tuple[str, str]] = (("area", "208"), ("region", "MK17")),
              population: pd.DataFrame | None = None, audience: str = "internal") -> Collected:
    role_of = {code: role for role, code in roles}
    tagged = {k: f.assign(role=f["area_code"].map(role_of)) for k, f in frames.items()}
    batches = pd.DataFrame([{"batch_id": 1, "source": "sotkanet", "attribution": "Lähde: THL, Sotkanet",
                             "licence": "CC BY 4.0", "fetched_at": "2013-09-08", "loaded_at": "2026-11-01"}])
    return Collected("208", audience, tuple(roles), AREAS, tagged, population, batches)  # type: ignore[arg-type]


def build(metric, rows, **kwargs):  # type: ignore[no-untyped-def]
    """The readout of one metric from `rows` (see `frame`); `extra` names extra columns."""
    extra = kwargs.pop("extra", ())
    data = collected({metric.id: frame(metric.id, rows, extra)}, **kwargs)
    return readout_from_collected(data, [metric])
