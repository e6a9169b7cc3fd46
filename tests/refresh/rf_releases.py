"""Two releases of the sources in their real formats, built from real data (shared by the refresh
tests and the dashboard's refresh and digest tests): release 1 publishes up to 2009 and
2024M11-M12, release 2 up to 2011 and 2025M01 with the revisions in `REVISIONS` and
`STATFIN_REVISION`. Served by `sources_server.start_source_server`."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from datamodel.areas import SOTKANET_DIR
from kuntamittari.settings import PROJECT_ROOT
from sources_server import FIXTURES, Cube, Release, bundled_records, indicator_doc

INDICATORS = {127: "Väestö 31.12.", 181: "Työttömät, % työvoimasta"}
R1_LAST_YEAR = 2009
STATFIN_METRIC = """\
schema_version: 1
id: population_monthly
status: draft
theme: economy_services
name: {fi: Väkiluku kuukauden lopussa, sv: Folkmängd vid månadens slut, en: Population at the end of the month}
description: {fi: Väestö kuukauden lopussa., sv: Befolkningen vid månadens slut., en: Population at the end of the month.}
kind: simple
series: statfin:11s5:vaesto_kuukausi
aggregation: sum
unit: {fi: henkilöä, sv: personer, en: persons}
decimals: 0
direction: neutral
update_frequency: monthly
min_count: 0
"""


def region_to_code() -> dict[int, str]:
    """Sotkanet region id -> municipality code, from the bundled area list (independent of the loaders)."""
    with (SOTKANET_DIR / "areas.csv").open(encoding="utf-8") as handle:
        return {int(r["sotkanet_region_id"]): r["municipality_code"] for r in csv.DictReader(handle)}


CODES = region_to_code()
REGION_OF = {code: rid for rid, code in CODES.items()}
# Revisions published in release 2: (indicator, municipality code, year) -> added amount.
REVISIONS = {(181, "208", 2008): 1.0, (127, "244", 2009): 37.0}
STATFIN_REVISION = ("KU208", 5.0)


def _sotkanet(last_year: int, revise: bool) -> dict[int, list[dict]]:
    out = {}
    for ind in INDICATORS:
        rows = []
        for rec in bundled_records(ind):
            if rec["year"] > last_year:
                continue
            rec = dict(rec)
            code = CODES.get(rec["region"])
            bump = REVISIONS.get((ind, code, rec["year"])) if revise else None
            if bump is not None and rec["value"] is not None:
                rec["value"] = round(rec["value"] + bump, 1)
            rows.append(rec)
        out[ind] = rows
    return out


def _cube(months: list[str], revise: bool, updated: str) -> Cube:
    doc = json.loads((FIXTURES / "statfin_11s5_kunta_population_2024M12_en.json").read_text(encoding="utf-8"))
    base = Cube.from_jsonstat(doc, "11s5")
    areas, metric = base.dims["alue"], base.dims["tiedot"][0]
    dec = {a: base.values[(a, "2024M12", metric)] for a in areas}
    values: dict[tuple[str, ...], float | None] = {}
    for a in areas:
        for m in months:
            v = dec[a]
            if v is not None:
                v = {"2024M11": v - 3, "2024M12": v, "2025M01": v + 2}[m]
                if revise and a == STATFIN_REVISION[0] and m == "2024M12":
                    v += STATFIN_REVISION[1]
            values[(a, m, metric)] = v
    return Cube("11s5", doc, {"alue": areas, "kuukausi": months, "tiedot": [metric]}, values, updated)


def release(n: int) -> Release:
    """Release 1: up to 2009 and 2024M11-M12. Release 2: up to 2011 (real bundled values),
    2025M01, and the revisions in `REVISIONS`/`STATFIN_REVISION`."""
    last = R1_LAST_YEAR if n == 1 else 2011
    stamp = "2013-01-15" if n == 1 else "2013-09-08"
    meta = {ind: indicator_doc(ind, title, stamp, 1990, last) for ind, title in INDICATORS.items()}
    months = ["2024M11", "2024M12"] + (["2025M01"] if n == 2 else [])
    return Release(_sotkanet(last, revise=n == 2), meta,
                   _cube(months, revise=n == 2, updated=f"2025-0{n}-28T08:00:00"))


def write_catalog(directory: Path) -> Path:
    """A small catalogue in `directory`: unemployment (thresholds, target, weighted by population),
    population, and a StatFin draft (monthly population)."""
    directory.mkdir(parents=True, exist_ok=True)
    defs = PROJECT_ROOT / "metrics" / "definitions"
    shutil.copy(defs / "working_age" / "unemployment_rate.yaml", directory)
    shutil.copy(defs / "economy_services" / "population.yaml", directory)
    (directory / "population_monthly.yaml").write_text(STATFIN_METRIC, encoding="utf-8")
    return directory


def source_env(sotkanet_url: str, statfin_url: str) -> dict[str, str]:
    """Settings that point the production clients at the local sources, with quick retries and the
    pilot group as the digest's rank group (fast)."""
    return {
        "KUNTAMITTARI_SOTKANET_BASE_URL": sotkanet_url,
        "KUNTAMITTARI_STATFIN_BASE_URL": statfin_url,
        "KUNTAMITTARI_REFRESH_RETRIES": "2",
        "KUNTAMITTARI_REFRESH_RETRY_WAIT_SECONDS": "0.01",
        "KUNTAMITTARI_SOTKANET_MAX_CALLS": "100",
        "KUNTAMITTARI_DIGEST_RANK_GROUP": "pilot",
    }
