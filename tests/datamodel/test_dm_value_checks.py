"""Values that cannot be real are refused at load, naming file, row and field, on every loader and
both backends; nothing is written (every table's fingerprint unchanged), or with a partial load
only the offending rows are left out and reported."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner
from warehouse_state import REL1, STATFIN_POP, fingerprint, sotkanet_rows, write_json

from datamodel.areas import sync_areas
from datamodel.errors import SourceFormatError, ValidationFailed, ValuesRefused
from datamodel.loaders.own_data import import_own_data, parse_own_data
from datamodel.loaders.sotkanet import load_data_files, parse_data_records
from datamodel.loaders.values import YEAR_RANGES, check_observations, text_problem
from datamodel.schema import area, fact, group, period, series
from datamodel.sources.statfin import load_jsonstat_file

runner = CliRunner()


@pytest.fixture
def engine(db_engine):
    """Areas and one real Sotkanet release (indicator 181): values that a bad release must not touch."""
    with db_engine.begin() as conn:
        sync_areas(conn)
    load_data_files(db_engine, [REL1])
    return db_engine


def stored(engine, series_code: str, area_code: str, period_code: str, group_code: str = "total"):
    stmt = (select(fact.c.value).join(series, series.c.series_id == fact.c.series_id)
            .join(area, area.c.area_id == fact.c.area_id).join(period, period.c.period_id == fact.c.period_id)
            .join(group, group.c.group_id == fact.c.group_id)
            .where(series.c.code == series_code, area.c.code == area_code, period.c.code == period_code,
                   group.c.code == group_code))
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(stmt).all()]


# ------------------------------------------------------------------ Sotkanet (files, REST, bundled)

def test_sotkanet_nan_and_infinity_refused_then_left_out(engine, tmp_path) -> None:
    before = fingerprint(engine)
    bad = write_json(tmp_path / "nan.json", sotkanet_rows(i3={"value": float("nan")}, i4={"absValue": float("inf")},
                                                          i5={"value": 99.9}))
    assert "NaN" in bad.read_text() and "Infinity" in bad.read_text()  # the literals, as json.loads accepts them
    with pytest.raises(ValuesRefused) as exc:
        load_data_files(engine, [bad])
    found = [(i.file, i.row, i.column, i.code) for i in exc.value.issues]
    assert found == [(str(bad), "item 3", "value", "non-finite"), (str(bad), "item 4", "absValue", "non-finite")]
    assert f"{bad}:item 3 value='nan'" in str(exc.value) and "--accept-partial" in str(exc.value)
    assert fingerprint(engine) == before

    partial = load_data_files(engine, [bad], accept_partial=True)
    assert [i.row for i in partial.refused] == ["item 3", "item 4"] and partial.rows_rejected == 2
    assert partial.rows_updated == 1  # item 5: 8.9 -> 99.9, the only real change
    # Items 3 and 4 (region 95 = Kalajoki 208, 2012, total and male) keep their stored values.
    assert stored(engine, "sotkanet:181", "208", "2012") == [9.9]
    assert stored(engine, "sotkanet:181", "208", "2012", "male") == [10.9]
    assert stored(engine, "sotkanet:181", "208", "2012", "female") == [99.9]


def test_sotkanet_negative_count_and_implausible_years(engine, tmp_path) -> None:
    before = fingerprint(engine)
    rows = sotkanet_rows(i0={"year": 2150}, i1={"year": 1985}, i2={"value": -12.0})
    counts = [dict(r, indicator=127) for r in rows]  # 127: population, a count
    bad = write_json(tmp_path / "count.json", counts)
    with pytest.raises(ValuesRefused) as exc:
        load_data_files(engine, [bad])
    found = [(i.row, i.column, i.value, i.code) for i in exc.value.issues]
    last = date.today().year + 1
    assert found == [("item 0", "year", "2150", "year-range"), ("item 1", "year", "1985", "year-range"),
                     ("item 2", "value", "-12", "negative-count")]
    assert exc.value.issues[0].params == {"first": 1990, "last": last, "source": "sotkanet"}
    assert "1990" in exc.value.issues[0].message("fi") and str(last) in exc.value.issues[0].message("sv")
    assert fingerprint(engine) == before
    # A negative value of a rate (181 is not a count) is not refused: only counts cannot be negative.
    rate = write_json(tmp_path / "rate.json", sotkanet_rows(i2={"value": -1.5}))
    assert load_data_files(engine, [rate]).rows_updated == 1


def test_sotkanet_release_missing_throughout_never_replaces_values(engine, tmp_path) -> None:
    before = fingerprint(engine)
    empty = write_json(tmp_path / "empty.json", [dict(r, value=None, absValue=None) for r in sotkanet_rows()])
    with pytest.raises(ValuesRefused) as exc:
        load_data_files(engine, [empty])
    (issue,) = exc.value.issues
    assert (issue.code, issue.row, issue.params["series"], issue.params["stored"]) == (
        "missing-replaces", "item 0", "sotkanet:181", 18)
    rows = issue.params["count"]  # the release's rows of the series, counted with CLDR's plural rule
    assert f"sotkanet:181 ({rows} {'row' if rows == 1 else 'rows'}) while the number of stored values is 18:" in issue.message("en")
    assert fingerprint(engine) == before
    partial = load_data_files(engine, [empty], accept_partial=True)
    assert partial.skipped and partial.batch_id is None and len(partial.refused) == 1
    assert fingerprint(engine) == before
    # A release that withdraws one value among real ones is a revision (kept in the history).
    one = write_json(tmp_path / "one.json", sotkanet_rows(i5={"value": None, "absValue": None}))
    assert load_data_files(engine, [one]).rows_updated == 1


def test_cli_prints_one_line_per_problem_and_loads_anyway(bundled_engine, tmp_path) -> None:
    from datamodel.engine import make_engine
    from cli.main import app

    copy = tmp_path / "cli.sqlite"  # the CLI makes sure the bundled data is there: start from a copy
    shutil.copyfile(bundled_engine.url.database, copy)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)
    bad = write_json(tmp_path / "bad.json", sotkanet_rows(i2={"year": 2150}))
    before = fingerprint(engine)
    refused = runner.invoke(app, ["load-sotkanet", str(bad), "--db", url])
    assert refused.exit_code == 1
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "bad.json:item 2 year='2150'" in lines[0] and "Traceback" not in refused.output
    assert fingerprint(engine) == before
    anyway = runner.invoke(app, ["load-sotkanet", str(bad), "--db", url, "--accept-partial"])
    assert anyway.exit_code == 0, anyway.output
    assert "item 2 year='2150'" in anyway.output
    engine.dispose()


def test_bundled_snapshot_passes_every_check() -> None:
    """The real 2013 snapshot (224 431 records) has no value the checks refuse."""
    from datamodel.areas import AreaIndex
    from datamodel.loaders.sotkanet import bundled_files, default_meta, read_json_file

    index = AreaIndex.bundled()
    regions = {rid: index.code_of[aid] for rid, aid in index.by_sotkanet.items()}
    frames = [parse_data_records(read_json_file(p)[0], regions).observations for p in bundled_files()]
    import pandas as pd

    obs = pd.concat(frames, ignore_index=True)
    metas = [default_meta(int(c.split(":")[1])) for c in obs["series_code"].unique()]
    assert len(obs) > 200_000 and check_observations(obs, metas) == []


# ------------------------------------------------------------------ StatFin json-stat2

def test_statfin_all_x_release_refused(engine, tmp_path) -> None:
    first = load_jsonstat_file(engine, STATFIN_POP)
    assert first.rows_inserted == 308 and stored(engine, "statfin:11s5:vaesto_kuukausi", "208", "2024M12") == [12271]
    before = fingerprint(engine)
    doc = json.loads(STATFIN_POP.read_text())
    doc["value"] = ["x"] * len(doc["value"])
    bad = write_json(tmp_path / "all_x.json", doc)
    with pytest.raises(ValuesRefused) as exc:
        load_jsonstat_file(engine, bad)
    (issue,) = exc.value.issues
    assert issue.code == "missing-replaces" and issue.file == str(bad) and issue.row.startswith("cell 0 (")
    assert issue.params["stored"] == 308 and "statfin:11s5:vaesto_kuukausi" in issue.message("en")
    assert fingerprint(engine) == before
    assert load_jsonstat_file(engine, bad, accept_partial=True).skipped
    assert fingerprint(engine) == before


def test_statfin_infinity_and_negative_population(engine, tmp_path) -> None:
    before = fingerprint(engine)
    doc = json.loads(STATFIN_POP.read_text())
    doc["value"][1] = float("inf")
    doc["value"][2] = -5
    bad = write_json(tmp_path / "bad.json", doc)
    with pytest.raises(ValuesRefused) as exc:
        load_jsonstat_file(engine, bad)
    found = [(i.row, i.column, i.code) for i in exc.value.issues]
    areas = doc["dimension"]["alue"]["category"]["index"]  # the cells' codes name the area and month
    assert found == [(f"cell 1 ({areas[1]}/2024M12/vaesto_kuukausi)", "value", "non-finite"),
                     (f"cell 2 ({areas[2]}/2024M12/vaesto_kuukausi)", "value", "negative-count")]
    assert fingerprint(engine) == before
    partial = load_jsonstat_file(engine, bad, accept_partial=True)
    assert partial.rows_inserted == 306 and partial.rows_rejected == 2


def test_statfin_year_outside_range(engine, tmp_path) -> None:
    doc = json.loads(STATFIN_POP.read_text())
    assert doc["dimension"]["kuukausi"]["category"]["index"] == ["2024M12"]
    doc["dimension"]["kuukausi"]["category"] = {"index": ["2150M12"], "label": {"2150M12": "2150M12"}}
    bad = write_json(tmp_path / "future.json", doc)
    before = fingerprint(engine)
    with pytest.raises(ValuesRefused) as exc:
        load_jsonstat_file(engine, bad)
    assert {(i.column, i.value, i.code) for i in exc.value.issues} == {("kuukausi", "2150M12", "year-range")}
    assert len(exc.value.issues) == 308 and exc.value.issues[0].params["last"] == YEAR_RANGES["statfin"].last
    assert fingerprint(engine) == before


# ------------------------------------------------------------------ own CSV / Excel

def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


def test_every_row_counted_with_encoding_separator_and_decimal_mark() -> None:
    data = _csv("Kunta;Vuosi;Arvo\nKalajoki;2022;12,5\nRaahe;2022;..\nNivala;2022;3,25\n\nOulainen;2022;7\nHämeenlinna;2022;1\n",
                "cp1252")
    report = parse_own_data(data, filename="k.csv", series_code="own:208:k")
    assert (report.encoding, report.delimiter, report.decimal_mark) == ("iso-8859-1", ";", ",")
    assert report.row_counts == {"valid": 4, "missing": 1, "refused": 0, "title": 0, "header": 1, "empty": 1,
                                 "other-variable": 0}
    assert [(o.line, o.status) for o in report.outcomes] == [
        (1, "header"), (2, "valid"), (3, "missing"), (4, "valid"), (5, "empty"), (6, "valid"), (7, "valid")]
    assert sum(report.row_counts.values()) == len(data.splitlines())  # every row of the file
    summary = report.summary("en")
    assert "7 rows" in summary and "4 valid" in summary and "1 without a value" in summary
    assert "iso-8859-1" in summary and "';'" in summary and "decimal mark ','" in summary
    assert "erotin ';'" in report.summary("fi") and "decimaltecken ','" in report.summary("sv")
    assert "2 titles, headers or empty rows" in summary and "(4 values)" in summary


def test_the_summary_of_a_one_row_file_counts_in_the_singular() -> None:
    report = parse_own_data(_csv("Kunta;Vuosi;Arvo\nKalajoki;2022;12,5\n"), filename="k.csv", series_code="own:208:k")
    assert report.summary("en").startswith(
        "The file has 2 rows: 1 valid (1 value), 0 without a value, 0 refused, 1 title, header or empty row;")
    assert report.summary("sv").startswith(
        "Filen har 2 rader: 1 giltig (1 värde), 0 utan värde, 0 avvisade, 1 rubrik- eller tom rad;")
    assert report.summary("fi").startswith(
        "Tiedostossa on 2 riviä: 1 kelvollinen (1 arvo), 0 ilman arvoa, 0 hylättyä, 1 otsikko- tai tyhjä rivi;")


def test_own_csv_nonfinite_negative_count_and_year(engine) -> None:
    before = fingerprint(engine)
    data = _csv("Kunta;Vuosi;Arvo\nKalajoki;2022;1e999\nRaahe;2022;NaN\nNivala;2022;-4\nOulainen;2150;7\nSiikajoki;2022;1\n")
    with pytest.raises(ValidationFailed) as exc:
        import_own_data(engine, data, filename="k.csv", series_code="own:208:k", is_count=True)
    report = exc.value.report
    found = [(i.row, i.column, i.value, i.code) for i in report.issues]
    assert found == [(3, "Arvo", "NaN", "non-finite"), (2, "Arvo", "inf", "non-finite"),
                     (4, "Arvo", "-4", "negative-count"), (5, "Vuosi", "2150", "year-range")]
    assert report.row_counts["refused"] == 4 and report.row_counts["valid"] == 1
    assert report.issues[1].render("k.csv", "en").startswith("k.csv:2 Arvo='inf': not a finite number")
    assert fingerprint(engine) == before
    # Not a count: a negative value is fine; the other three stay refused.
    report, result = import_own_data(engine, data, filename="k.csv", series_code="own:208:k", accept_partial=True)
    assert result.rows_inserted == 2 and result.rows_rejected == 3
    assert stored(engine, "own:208:k", "535", "2022") == [-4.0]  # Nivala


def test_replacement_characters_refused_for_the_right_reason(engine) -> None:
    # Letters destroyed into U+FFFD (a Windows-1252 file once decoded as UTF-8 and saved again).
    text = "Kunta;Vuosi;Arvo\nH\ufffdmeenlinna;2022;5\nJyv\ufffdskyl\ufffd;2022;6\nRaahe;2022;7\n"
    data = _csv(text)
    report = parse_own_data(data, filename="broken.csv", series_code="own:208:k")
    assert [(i.row, i.column, i.code) for i in report.issues] == [
        (2, "Kunta", "replacement-character"), (3, "Kunta", "replacement-character")]
    assert not report.unknown_areas  # not "unknown area": the file is damaged
    assert "UTF-8" in report.issues[0].message("en") and "\ufffd" in report.issues[0].message("fi")
    before = fingerprint(engine)
    with pytest.raises(ValidationFailed):
        import_own_data(engine, data, filename="broken.csv", series_code="own:208:k")
    assert fingerprint(engine) == before
    _, result = import_own_data(engine, data, filename="broken.csv", series_code="own:208:k", accept_partial=True)
    assert (result.rows_inserted, result.rows_rejected) == (1, 2)
    # A damaged header is a problem of the whole file.
    header = parse_own_data(_csv("Kunta;Vuosi;Arvo;Nimitt\ufffdj\ufffd\nRaahe;2022;7;1\n"), series_code="own:208:k")
    assert [(i.row, i.code) for i in header.file_errors] == [(None, "replacement-character")]


def test_undecodable_text(engine) -> None:
    # 0x81 is undefined in Windows-1252: decoded as Latin-1 it is a control character.
    data = b"Kunta;Vuosi;Arvo\r\nRaahe\x81;2022;7\r\nNivala;2022;\xe4\x81\r\nSiikajoki;2022;3\r\n"
    report = parse_own_data(data, filename="u.csv", series_code="own:208:k")
    assert [(i.row, i.column, i.code) for i in report.issues] == [(2, "Kunta", "undecodable"), (3, "Arvo", "undecodable")]
    assert text_problem("Hämeenlinna") is None and text_problem("a\x00b") == "undecodable"
    utf16 = "Kunta;Vuosi;Arvo\r\nRaahe;2022;7\r\n".encode("utf-16-le")  # no BOM
    with pytest.raises(SourceFormatError, match="not text in a known encoding"):
        parse_own_data(utf16, filename="w.csv", series_code="own:208:k")
    before = fingerprint(engine)
    with pytest.raises(ValidationFailed):
        import_own_data(engine, data, filename="u.csv", series_code="own:208:k")
    assert fingerprint(engine) == before


def test_excel_formula_without_saved_value(engine) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Kunta", "Vuosi", "Arvo"])
    sheet.append(["Kalajoki", 2021, "=2*3"])  # written by a program: no cached value
    sheet.append(["Raahe", 2021, 4.5])
    buf = io.BytesIO()
    book.save(buf)
    report = parse_own_data(buf.getvalue(), filename="k.xlsx", series_code="own:208:k")
    assert [(i.row, i.column, i.value, i.code) for i in report.issues] == [(2, "Arvo", "=2*3", "formula-without-value")]
    assert report.row_counts["valid"] == 1 and report.row_counts["refused"] == 1 and not report.ok
    before = fingerprint(engine)
    with pytest.raises(ValidationFailed):
        import_own_data(engine, buf.getvalue(), filename="k.xlsx", series_code="own:208:k")
    assert fingerprint(engine) == before


def test_damaged_series_title_refused(engine) -> None:
    before = fingerprint(engine)
    with pytest.raises(ValuesRefused) as exc:
        import_own_data(engine, _csv("Kunta;Vuosi;Arvo\nRaahe;2022;7\n"), filename="t.csv", series_code="own:208:t",
                        title="Kotihoidon asiakkaat \ufffd")
    (issue,) = exc.value.issues
    assert (issue.code, issue.column, issue.row) == ("replacement-character", "title_fi", None)
    assert fingerprint(engine) == before
