"""The static public site goes through the same attacker as the public pages: published from the
migration star (`dc_star`), its CSVs, HTML tables and JSON are read back as a visitor would save
them, and nothing hidden in the publication is a number in any of them; the cells the static site
shows as numbers are exactly the publication's shown cells, so the attacker of `test_dc_attacker`
(every sum, difference, rate x population and region-minus-siblings at once) recovers nothing.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from dc_star import TOWNS
from kuntamittari.i18n import t
from metrics.catalog import load_catalog
from publish.site import Options, publish_site
from readout.build import build_public_readout, collect_public
from readout.formatting import format_number
from readout.localise import value_notes
from readout.text import text_plain
from test_dc_attacker import _attack, _cells, _split

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "publish"))
from site_html import read_page  # noqa: E402

LANG = "fi"
_SPACES = {ord(c): None for c in " \u00a0\u202f"}


def _number(text: str) -> float | None:
    """The figure a spreadsheet reads from a cell ('1 234,5' -> 1234.5), None for words."""
    try:
        return float(text.translate(_SPACES).replace("\u2212", "-").replace(",", "."))
    except ValueError:
        return None


def _csv_cells(root: Path, star_engine: Engine, catalog) -> dict[tuple[str, str, str, str], str]:  # type: ignore[no-untyped-def]
    """(metric, area, period, gender) -> the CSV's value text, over every town's CSV. The rows come
    in the readout's order (metric, its areas, then the parts), which names the cells: area names
    alone do not (the star's county is called Helsinki, like the town)."""
    cells: dict[tuple[str, str, str, str], str] = {}
    for town in TOWNS:
        readout = build_public_readout(star_engine, catalog, town)
        keys = [(item.metric_id, s.area.code, p.period, s.gender, text_plain(item.info.name, LANG))
                for item in readout.metrics for s in (*item.series, *item.parts) for p in s.points]
        text = (root / LANG / town / f"kuntakatsaus_{town}_{LANG}.csv").read_text(encoding="utf-8-sig")
        body = "\n".join(line for line in text.splitlines() if not line.startswith("# "))
        rows = pd.read_csv(io.StringIO(body), sep=";", dtype=str, keep_default_na=False).to_dict("records")
        assert len(rows) == len(keys)
        for (metric, area, period, gender, name), row in zip(keys, rows):
            assert row[t("public.col_period", LANG)] == period and row[t("public.col_metric", LANG)].startswith(name)
            value = row[t("public.col_value", LANG)]
            assert cells.setdefault((metric, area, period, gender), value) == value, (town, metric, area, period)
    return cells


@pytest.fixture
def static_site(star_env: None, star_engine: Engine, star_metrics_dir: Path, tmp_path: Path) -> Path:
    catalog = load_catalog(star_metrics_dir)
    result = publish_site(star_engine, catalog, tmp_path / "site", Options(areas=tuple(TOWNS), langs=(LANG,), pdf=False, jobs=1))
    assert result.path is not None, [a.error for a in result.failed]
    return result.path


def test_no_hidden_cell_is_a_number_or_recoverable_from_the_static_site(static_site: Path, star_engine: Engine,
                                                                          star_metrics_dir: Path) -> None:
    catalog = load_catalog(star_metrics_dir)
    publication = _cells(f for town in TOWNS for f in collect_public(star_engine, catalog, town).frames.values())
    shown, hidden = _split(publication)
    static = _csv_cells(static_site, star_engine, catalog)
    key = ("in_migrants", "766", "2000", "total")  # the report's case is in the CSV, in words
    assert key in static and _number(static[key]) is None
    for cell in hidden.itertuples(index=False):
        found = static.get((cell.metric_id, cell.area_code, cell.period, cell.gender))
        assert found is None or _number(found) is None, (cell, found)
    numbers = {k for k, v in static.items() if _number(v) is not None}
    shown_keys = set(zip(shown["metric_id"], shown["area_code"], shown["period"], shown["gender"]))
    assert numbers <= shown_keys
    for cell in shown.itertuples(index=False):  # a shown cell is the publication's figure, rounded
        k = (cell.metric_id, cell.area_code, cell.period, cell.gender)
        if k in static:
            assert static[k] == format_number(cell.value, LANG, catalog.get(cell.metric_id).decimals), k
    published = shown[[k in numbers for k in zip(shown["metric_id"], shown["area_code"], shown["period"], shown["gender"])]]
    assert len(published) > 2 * len(hidden)
    assert _attack(published, hidden) == {}


def test_html_tables_and_json_say_what_the_csv_says(static_site: Path, star_engine: Engine, star_metrics_dir: Path) -> None:
    """Every figure in a page's tables is the CSV's (with its notes); the JSON has no value where a point is hidden."""
    catalog = load_catalog(star_metrics_dir)
    static = _csv_cells(static_site, star_engine, catalog)
    seen = 0
    for town in TOWNS:
        readout = build_public_readout(star_engine, catalog, town)
        page = read_page(static_site / LANG / town / "index.html")
        tables = {table["caption"]: table["rows"] for table in page.tables}
        for item in readout.metrics:
            rows = tables[t("public.table_caption", LANG, metric=text_plain(item.info.name, LANG))]
            for series, column in zip(item.series, range(1, len(item.series) + 1)):
                by_period = {p.period: p for p in series.points}
                for row in rows[1:]:
                    point = by_period.get(row[0])
                    if point is None:
                        continue
                    text = static[(item.metric_id, series.area.code, point.period, "total")]
                    notes = value_notes(point, LANG, item.info.approximation_note)
                    assert row[column] == (f"{text} ({notes})" if notes and point.value is not None else text)
                    seen += 1
        data = json.loads((static_site / LANG / town / f"kuntakatsaus_{town}_{LANG}.json").read_text(encoding="utf-8"))
        for metric in data["readout"]["metrics"]:
            for series in metric["series"] + metric["parts"]:
                for point in series["points"]:
                    if point["status"] in ("suppressed", "too_few", "insufficient"):
                        assert point["value"] is None, (town, metric["metric_id"], point)
    assert seen > 100
