"""Own CSV/Excel import: the real Finnish files, row-numbered errors, nothing loaded without consent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from datamodel.areas import sync_areas
from datamodel.errors import ConfigError, InputTooLarge, ValidationFailed
from datamodel.loaders.core import count_rows
from datamodel.loaders.own_data import detect_encoding, import_own_data, parse_number, parse_own_data
from datamodel.schema import area, fact, period

FIX = Path(__file__).parent / "fixtures"
STATFIN = FIX / "statfin_alueaikasarjat_taloudenpito_2000_2019_latin1_semicolon.csv"
SORVI = FIX / "sorvi_kunnat_2002_utf8_nfd_crlf_semicolon.csv"
SOTE = "Sosiaali- ja terveystoiminta yhteensä, nettokäyttökustannukset, euroa/asukas"


@pytest.fixture
def engine(db_engine):
    with db_engine.begin() as conn:
        sync_areas(conn)
    return db_engine


def test_fixtures_are_the_original_bytes() -> None:
    assert b"\r\n" in SORVI.read_bytes() and STATFIN.read_bytes().startswith(b'"Alueaikasarjat')
    assert detect_encoding(STATFIN.read_bytes())[0] == "iso-8859-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12,5", 12.5), ("12 271", 12271.0), ("12\u00a0271", 12271.0), ("12\u202f271,5", 12271.5),
     ("1.234,5", 1234.5), ("-3", -3.0), ("\u22123,2", -3.2), ("..", None), (".", None), ("-", None), ("", None)],
)
def test_finnish_numbers(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


def test_statfin_export_latin1_title_lines_years_as_columns() -> None:
    report = parse_own_data(STATFIN.read_bytes(), filename=STATFIN.name, series_code="own:208:sote", variable=SOTE)
    assert (report.encoding, report.delimiter, report.header_line) == ("iso-8859-1", ";", 3)
    assert report.mapping["area"] == "Alue 2021" and report.year_columns[0] == "2000"
    obs = report.observations
    kalajoki = obs[(obs.area_code == "208") & (obs.period_code == "2015")]
    assert kalajoki["value"].tolist() == [2647.0]
    assert (obs.area_code == "SSS").any() and (obs.area_code == "MK17").any()
    # `..` cells (2000-2007) are missing values, not errors.
    assert report.rows_missing > 0 and not (obs.period_code == "2000").any()
    # Sub-regions of 2021 that are not in the 2013 area list are reported by name, with their line.
    assert report.unknown_areas and all(i.code == "unknown-area" for i in report.issues)
    first = report.issues[0]
    assert first.row is not None and first.row > 3 and first.column == "Alue 2021"


def test_statfin_export_needs_a_variable_choice() -> None:
    report = parse_own_data(STATFIN.read_bytes(), filename=STATFIN.name, series_code="own:208:sote")
    assert [i.code for i in report.issues] == ["choose-variable"]
    assert SOTE in report.issues[0].params["choices"] or "Lainakanta" in report.issues[0].params["choices"]
    assert report.observations.empty


def test_nfd_names_and_trailing_separator() -> None:
    report = parse_own_data(
        SORVI.read_bytes(), filename=SORVI.name, series_code="own:208:vaesto", period="2001",
        mapping={"area": "municipality_name_fi", "value": "population_2001_12_31"},
    )
    assert report.encoding == "utf-8" and report.header_line == 1
    obs = report.observations.set_index("area_code")
    assert obs.loc["091", "value"] == 559718  # Helsinki
    # "Hämeenkyrö" etc. are stored decomposed (NFD) in the file and still match after NFC.
    assert "Hämeenkyrö" not in report.unknown_areas and "108" in obs.index
    # Municipalities merged before 2013 match nothing and are listed by name.
    assert "Nummi-Pusula" in report.unknown_areas
    issue = next(i for i in report.issues if i.value == "Nummi-Pusula")
    lines = SORVI.read_bytes().decode("utf-8").splitlines()
    assert "Nummi-Pusula" in lines[issue.row - 1]
    assert "Nummi-Pusula" in issue.render(SORVI.name, "en") and f"{SORVI.name}:{issue.row}" in issue.render(SORVI.name)


def _csv(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


BROKEN = (
    "Kotihoidon asiakkaat 2023\n"
    "\n"
    "Kunta;Vuosi;Sukupuoli;Arvo\n"
    "Kalajoki;2022;naiset;12,5\n"
    "Brahestad;2022;yhteensä;1\u00a0234,5\n"
    "Kalajoki2;2022;yhteensä;3\n"
    "Raahe;20x2;yhteensä;4\n"
    "Oulainen;2022;yhteensä;abc\n"
    "Honkajoki;2019;yhteensä;..\n"
    "Honkajoki;2018;yhteensä;7\n"
)


def test_broken_csv_row_numbers_and_nothing_loaded(engine) -> None:
    data = _csv(BROKEN, "cp1252")
    report = parse_own_data(data, filename="kotihoito.csv", series_code="own:208:kotihoito")
    assert report.header_line == 3 and report.encoding in ("iso-8859-1", "windows-1252")
    found = [(i.row, i.column, i.value, i.code) for i in report.issues]
    assert found == [
        (6, "Kunta", "Kalajoki2", "unknown-area"),
        (7, "Vuosi", "20x2", "bad-period"),
        (8, "Arvo", "abc", "bad-number"),
    ]
    assert report.unknown_areas == ("Kalajoki2",)
    assert "rivillä" not in report.issues[0].message("fi") and "Kalajoki2" in report.issues[0].message("fi")
    with pytest.raises(ValidationFailed) as exc:
        import_own_data(engine, data, filename="kotihoito.csv", series_code="own:208:kotihoito")
    assert exc.value.report.rejected_rows == 3
    with engine.connect() as conn:
        counts = count_rows(conn)
    assert counts["fact_observation"] == 0 and counts["dim_series"] == 0 and counts["load_batch"] == 0

    report, result = import_own_data(engine, data, filename="kotihoito.csv", series_code="own:208:kotihoito",
                                      accept_partial=True)
    assert (result.rows_inserted, result.rows_rejected) == (3, 3)
    with engine.connect() as conn:
        rows = conn.execute(
            select(area.c.code, period.c.code, fact.c.value).join(area, area.c.area_id == fact.c.area_id)
            .join(period, period.c.period_id == fact.c.period_id).order_by(area.c.code)
        ).all()
    # Old name of a merged municipality (Honkajoki, merged 2021) and a Swedish name both resolve.
    assert [tuple(r) for r in rows] == [("099", "2018", 7.0), ("208", "2022", 12.5), ("678", "2022", 1234.5)]
    again = import_own_data(engine, data, filename="kotihoito.csv", series_code="own:208:kotihoito",
                            accept_partial=True)[1]
    assert again.skipped


def test_clean_file_with_bom_codes_and_numerators(engine) -> None:
    text = "alue;vuosi;osoittaja;nimittäjä;arvo\nKU208;2023;12;1\u202f000;1,2\n425;2023;3;500;0,6\n"
    report, result = import_own_data(engine, _csv(text), series_code="own:208:x", filename="x.csv")
    assert report.ok and result.rows_inserted == 2
    with engine.connect() as conn:
        row = conn.execute(select(fact.c.value, fact.c.numerator, fact.c.denominator).order_by(fact.c.value)).first()
    assert tuple(row) == (0.6, 3.0, 500.0)


def test_excel_import(engine) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Otsikko: kotihoito"])
    sheet.append([])
    sheet.append(["Kunta", "Vuosi", "Arvo"])
    sheet.append(["Kalajoki", 2021, 5.5])
    sheet.append(["Nivala", 2021, "x y"])
    buf = io.BytesIO()
    book.save(buf)
    report = parse_own_data(buf.getvalue(), filename="k.xlsx", series_code="own:208:k")
    assert report.header_line == 3
    assert [(i.row, i.column, i.code) for i in report.issues] == [(5, "Arvo", "bad-number")]
    assert report.observations["value"].tolist() == [5.5]


def test_limits_and_bad_options() -> None:
    with pytest.raises(InputTooLarge, match="over the limit"):
        parse_own_data(b"x" * 2000, filename="big.csv", series_code="own:208:x", max_bytes=1000)
    with pytest.raises(ConfigError, match="own:<municipality code>"):
        parse_own_data(b"a;b\n1;2\n", series_code="sotkanet:181")
    report = parse_own_data(b"kunta;arvo\n208;1\n", series_code="own:208:x", mapping={"period": "aika"})
    assert [i.code for i in report.issues][:1] == ["unknown-column"]
