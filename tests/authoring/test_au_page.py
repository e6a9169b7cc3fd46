"""AppTest walk of the authoring page: define a ratio metric, check its preview against a hand
computation from the raw Sotkanet files, save it as a draft, find it on the overview as a draft;
a refused concurrent save; bad input that writes nothing; own-data upload messages."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kuntamittari.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "datamodel" / "data" / "sotkanet-2013"
PAGE = str(ROOT / "pages" / "authoring.py")
PILOT = ("009", "208", "244", "425", "436", "494", "535", "563", "678", "691")


def _raw(indicator: int) -> dict[tuple[int, int], float]:
    with gzip.open(DATA / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        rows = json.load(handle)
    return {(r["region"], r["year"]): r["value"] for r in rows if r["gender"] == "total" and r["value"] is not None}


def _region_ids() -> dict[str, int]:
    import csv

    with open(DATA / "areas.csv", encoding="utf-8") as handle:
        return {row["municipality_code"]: int(row["sotkanet_region_id"]) for row in csv.DictReader(handle)}


def _fill_ratio(at: AppTest) -> None:
    """Fill the form as a participant would: names, then search each input series by name."""
    at.text_input(key="au_name_fi").input("Tulomuuttajat tuhatta asukasta kohti")
    at.text_input(key="au_metric_id").input("tulomuutto_1000")
    at.text_area(key="au_description_fi").input("Kuntaan muuttaneet suhteessa väestöön.")
    at.selectbox(key="au_theme").set_value("living_environment_safety")
    at.radio(key="au_kind").set_value("ratio")
    at.run()
    at.text_input(key="au_numerator_q").input("tulomuut")
    at.text_input(key="au_denominator_q").input("väestö 31")
    at.run()
    numerators = at.selectbox(key="au_numerator").options
    assert len(numerators) == 2 and "3196" in numerators[1], numerators  # '(choose)' + the one match
    at.selectbox(key="au_numerator").set_value("sotkanet:3196")
    at.selectbox(key="au_denominator").set_value("sotkanet:127")
    at.text_input(key="au_scale").input("1000")
    at.text_input(key="au_unit_fi").input("/ 1000 asukasta")
    at.selectbox(key="au_direction").set_value("higher_is_better")
    at.multiselect(key="au_compare_with").set_value(["region"])
    at.text_input(key="au_owner").input("Hyvinvointikoordinaattori")
    at.run()


def test_whole_path_define_preview_save_find_as_draft(env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    _fill_ratio(at)
    assert not at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    # Live YAML
    code = [c.value for c in at.code if "kind: ratio" in c.value]
    assert code and "numerator: sotkanet:3196" in code[0] and "status: draft" in code[0]
    # Preview equals the hand computation from the raw files, formatted as the app formats numbers
    from readout.formatting import format_number

    at.selectbox(key="au_pv_year").set_value(2011).run()
    table = at.table[0].value
    ids = _region_ids()
    num, den = _raw(3196), _raw(127)
    expected = num[(ids["208"], 2011)] / den[(ids["208"], 2011)] * 1000
    assert table.index.name == "Alue" and list(table.columns) == ["2011 (/ 1000 asukasta)"]
    assert table.loc["Kalajoki"].iloc[0] == format_number(expected, "fi", 1) == "41,5"
    assert table.index[0].startswith("Pohjois-Pohjanmaa") and len(table) == 11  # region first, ten pilots
    # Save
    at.button(key="au_save").click().run()
    assert not at.exception
    saved = env / "living_environment_safety" / "tulomuutto_1000.yaml"
    assert saved.is_file()
    assert [s.value for s in at.success if "tulomuutto_1000" in s.value]
    from metrics.catalog import load_catalog

    catalog = load_catalog(env)
    assert catalog.get("tulomuutto_1000").status.value == "draft"
    assert not [i for i in catalog.errors if "tulomuutto_1000" in i.file]


def _own_rows(db_url: str) -> tuple[int, int]:
    """(facts of own series, load batches of source 'own') in the test's database copy."""
    from sqlalchemy import create_engine, func, select

    from datamodel.schema import fact, load_batch, series

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            facts = conn.execute(
                select(func.count()).select_from(fact.join(series, fact.c.series_id == series.c.series_id))
                .where(series.c.source == "own")
            ).scalar_one()
            batches = conn.execute(select(func.count()).select_from(load_batch).where(load_batch.c.source == "own")).scalar_one()
    finally:
        engine.dispose()
    return int(facts), int(batches)


GOOD_CSV = "\ufeffKunta;Vuosi;Arvo\n208;2020;12,5\nKalajoki;2021;1 013,0\n".encode("utf-8")
LATIN1_CSV = '"Omat luvut 2021"\n\n"Alue";"Vuosi";"Arvo"\n"Kalajoki";"2020";"12,5"\n"Reisjärvi";"2020";".."\n'.encode("latin-1")
MIXED_CSV = "Kunta;Vuosi;Arvo\n208;2020;12,5\nEikunta;2021;5\n244;vuosi;3\n691;2020;abc\n".encode("latin-1")
ALL_BAD_CSV = "Kunta;Vuosi;Arvo\nEikunta;2021;5\nMuukunta;2020;3\n".encode("utf-8")


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader(key="au_own_file").upload(name, data, "text/csv").run()


def _messages(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]


def test_own_data_upload_loads_finnish_file_with_provenance(env_own_db: Path) -> None:
    import os

    url = os.environ["KUNTAMITTARI_DATABASE_URL"]
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _upload(at, "omat.csv", LATIN1_CSV)
    assert not at.exception
    # Every row of the 5-row file is counted: title, empty, header, one loaded, one '..' not loaded.
    from kuntamittari.i18n import t

    counts = t("workshop.upload.counts", "fi", lines=5, loaded=1, missing=1, refused=0, other=3)
    assert counts in [i.value for i in at.info], [i.value for i in at.info]
    assert any("merkistö Latin-1 / Windows-1252 (Excelin CSV), erotin puolipiste (;), desimaalimerkki pilkku (,)" in m.value
               for m in at.markdown), [m.value for m in at.markdown]
    assert any(c.value.endswith("rivi 5.") for c in at.caption), [c.value for c in at.caption]
    assert not [s.value for s in at.success if "Kaikki" in s.value]  # no "all rows valid" for a dropped row
    at.text_input(key="au_own_name").input("Kotihoidon asiakkaat")
    at.text_input(key="au_own_slug").input("kotihoito")
    at.run()
    at.button(key="au_own_load").click().run()
    assert not at.exception
    assert [s.value for s in at.success if "own:208:kotihoito" in s.value], _messages(at)
    assert _own_rows(url) == (1, 1)


# Bad uploads: (file name, bytes, extra setup, i18n key of the expected message).
BAD_UPLOADS = [
    ("empty", "tyhja.csv", b"", {}, "authoring.own.empty"),
    ("whitespace only", "tyhja.csv", b" \r\n\r\n", {}, "authoring.own.empty"),
    ("too big", "iso.csv", GOOD_CSV * 400, {"KUNTAMITTARI_UPLOAD_MAX_MB": "0.01"}, "authoring.own.too_big"),
    ("no area column", "x.csv", "Vuosi;Arvo\n2020;5\n".encode(), {}, "authoring.own.mapping_incomplete"),
    ("rows rejected, no partial", "x.csv", MIXED_CSV, {"load": True}, "authoring.own.load_refused"),
    ("no valid rows", "x.csv", ALL_BAD_CSV, {"load": True, "partial": True}, "authoring.own.nothing_to_load"),
    ("no series name", "x.csv", GOOD_CSV, {"load": True, "name": ""}, "authoring.own.name_missing"),
    ("bad series id", "x.csv", GOOD_CSV, {"load": True, "slug": "Kotihoito ja muut!"}, "authoring.own.slug_bad"),
    ("same column twice", "x.csv", GOOD_CSV, {"map": ("value", "Vuosi")}, "authoring.own.mapping_duplicate"),
]


@pytest.mark.parametrize(("label", "name", "data", "setup", "key"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_bad_upload_gets_plain_message_and_nothing_is_written(
    env: Path, monkeypatch: pytest.MonkeyPatch, label: str, name: str, data: bytes, setup: dict, key: str
) -> None:
    import os

    from kuntamittari.i18n import t

    for var, value in setup.items():
        if var.startswith("KUNTAMITTARI_"):
            monkeypatch.setenv(var, value)
    get_settings.cache_clear()
    url = os.environ["KUNTAMITTARI_DATABASE_URL"]
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _upload(at, name, data)
    if "map" in setup:
        role, column = setup["map"]
        at.selectbox(key=f"au_own_map_{role}").set_value(column).run()
    if setup.get("load"):
        at.text_input(key="au_own_name").input(setup.get("name", "Omat luvut"))
        if "slug" in setup:
            at.text_input(key="au_own_slug").input(setup["slug"])
        at.run()
        if setup.get("partial"):
            at.checkbox(key="au_own_accept_partial").check().run()
        at.button(key="au_own_load").click().run()
    assert not at.exception
    expected = t(key, "fi").split("{")[0].strip()
    assert any(expected in m for m in _messages(at)), (expected, _messages(at))
    assert _own_rows(url) == (0, 0)


def test_rejected_rows_are_listed_with_row_numbers_and_reasons(env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _upload(at, "x.csv", MIXED_CSV)
    report = next(d.value for d in at.dataframe if "Rivi" in d.value.columns)
    assert list(report["Rivi"]) == [3, 4, 5]
    assert list(report["Arvo"]) == ["Eikunta", "vuosi", "abc"]
    assert all(str(reason).strip() for reason in report["Syy"])


def _seed_metric(metrics_dir: Path) -> Path:
    from metrics.authoring import AuthoringContext, MetricForm, save_metric
    from metrics.authoring_store import MetricStore

    form = MetricForm(
        metric_id="tulomuutto_1000", name_fi="Tulomuuttajat / 1000 asukasta", description_fi="Kuntaan muuttaneet.",
        unit_fi="/ 1000 asukasta", theme="living_environment_safety", kind="ratio", numerator="sotkanet:3196",
        denominator="sotkanet:127", scale="1000", direction="higher_is_better", owner="Alku",
    )
    store = MetricStore(metrics_dir)
    return save_metric(store, form, store.new(form.metric_id), AuthoringContext()).path


def _open_for_edit(at: AppTest, metric_id: str) -> None:
    at.radio(key="au_start_mode").set_value("edit").run()
    at.selectbox(key="au_start_metric").set_value(metric_id).run()
    at.button(key="au_start_button").click().run()


def test_two_concurrent_edits_second_refused_nothing_lost(env: Path) -> None:
    path = _seed_metric(env)
    alice = AppTest.from_file(PAGE, default_timeout=60)
    bob = AppTest.from_file(PAGE, default_timeout=60)
    for at in (alice, bob):
        at.run()
        _open_for_edit(at, "tulomuutto_1000")
        assert at.text_input(key="au_owner").value == "Alku"
    alice.text_input(key="au_owner").input("Alice").run()
    assert any("-owner: Alku" in c.value and "+owner: Alice" in c.value for c in alice.code)  # diff before saving
    bob.text_input(key="au_owner").input("Bob").run()
    alice.button(key="au_save").click().run()
    assert not alice.exception
    assert "owner: Alice" in path.read_text(encoding="utf-8")
    bob.button(key="au_save").click().run()
    assert not bob.exception
    assert any("tulomuutto_1000" in e.value for e in bob.error), [e.value for e in bob.error]
    # Alice's save is live; Bob's refused version is kept in the history as a conflict copy.
    assert "owner: Alice" in path.read_text(encoding="utf-8")
    conflicts = list((env.parent / ".history" / "tulomuutto_1000").glob("*.conflict.yaml"))
    assert len(conflicts) == 1 and "owner: Bob" in conflicts[0].read_text(encoding="utf-8")


def test_bad_form_input_on_page_writes_nothing(env: Path) -> None:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _fill_ratio(at)
    at.text_input(key="au_decimals").input("kaksi").run()
    assert any("kaksi" in e.value for e in at.error)
    at.button(key="au_save").click().run()
    assert not at.exception
    assert not list(env.rglob("tulomuutto_1000.yaml"))


def test_copy_and_modify_starts_a_new_draft(env: Path) -> None:
    _seed_metric(env)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.radio(key="au_start_mode").set_value("copy").run()
    at.selectbox(key="au_start_metric").set_value("tulomuutto_1000").run()
    at.button(key="au_start_button").click().run()
    assert at.text_input(key="au_metric_id").value == "tulomuutto_1000_kopio"
    at.text_input(key="au_name_fi").input("Tulomuuttajat / 1000 asukasta, kopio").run()
    at.button(key="au_save").click().run()
    assert not at.exception
    assert (env / "living_environment_safety" / "tulomuutto_1000_kopio.yaml").is_file()


def test_saved_draft_is_in_the_draft_view_not_in_the_default_one(env: Path, shared_db: Path) -> None:
    """A saved draft shows at once among the overview's cards with drafts, never without them."""
    from metrics.catalog import load_catalog
    from readout.build import build_area_readout

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _fill_ratio(at)
    at.button(key="au_save").click().run()
    assert not at.exception
    from datamodel.engine import make_engine

    engine = make_engine(f"sqlite:///{shared_db}")
    try:
        catalog = load_catalog(env, engine=engine)
        with_drafts = {c.metric_id for c in build_area_readout(engine, catalog, "208", include_drafts=True).metrics}
        default = {c.metric_id for c in build_area_readout(engine, catalog, "208").metrics}
    finally:
        engine.dispose()
    assert "tulomuutto_1000" in with_drafts
    assert "tulomuutto_1000" not in default

    overview = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60)
    overview.run()
    assert not overview.exception
    shown = " ".join(m.value for m in overview.markdown)
    assert "Tulomuuttajat tuhatta asukasta kohti" not in shown
    toggles = [w for w in list(overview.toggle) + list(overview.checkbox) if "luonno" in str(w.label).lower()]
    if not toggles:
        pytest.skip("the overview page has no draft view control yet (ui engineer)")
    toggles[0].set_value(True).run()
    assert not overview.exception
    assert "Tulomuuttajat tuhatta asukasta kohti" in " ".join(m.value for m in overview.markdown)


def test_reviewer_approves_then_restores_an_old_version(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reviewer signed in for real approves (with sign-in off nobody does: test_au_quickpath)."""
    from dataclasses import replace

    from metrics.authoring import AuthoringContext, MetricForm, save_metric
    from metrics.authoring_store import MetricStore

    form = MetricForm(
        metric_id="tulomuutto_1000", name_fi="Tulomuuttajat / 1000 asukasta", name_sv="Inflyttare / 1000 invånare",
        name_en="In-migrants / 1,000 residents", description_fi="Kuntaan muuttaneet.", description_sv="Inflyttade.",
        description_en="In-migrants.", unit_fi="/ 1000 asukasta", unit_sv="/ 1000 invånare", unit_en="/ 1,000 residents",
        theme="living_environment_safety", kind="ratio", numerator="sotkanet:3196", denominator="sotkanet:127",
        scale="1000", direction="higher_is_better", owner="Alku",
    )
    store = MetricStore(env)
    first = save_metric(store, form, store.new(form.metric_id), AuthoringContext())
    save_metric(store, replace(form, decimals="2"), store.open(form.metric_id), AuthoringContext(is_new=False))

    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    get_settings.cache_clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["auth_user"] = {"email": "tarkastaja@kunta.fi", "roles": ["reviewer"]}
    at.run()
    _open_for_edit(at, "tulomuutto_1000")
    at.button(key="au_approve").click().run()
    assert not at.exception
    assert "status: approved" in first.path.read_text(encoding="utf-8")
    assert [s.value for s in at.success if "tulomuutto_1000" in s.value]

    versions = at.selectbox(key="au_history_version")
    oldest = [v for v in versions.options if "conflict" not in v][-1]
    versions.set_value(oldest).run()
    at.button(key="au_restore").click().run()
    assert not at.exception
    text = first.path.read_text(encoding="utf-8")
    assert "status: draft" in text and "decimals: 1" in text
    assert at.text_input(key="au_decimals").value == "1"
    assert len(store.history("tulomuutto_1000")) == 4


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_page_in_every_language(env: Path, lang: str, caplog: pytest.LogCaptureFixture) -> None:
    from kuntamittari.i18n import t

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    assert at.title[0].value == t("authoring.title", lang)
    assert [tab.label for tab in at.tabs] == [t("workshop.tab_sentence", lang), t("workshop.tab_full", lang),
                                              t("authoring.tab_own_data", lang)]
    _fill_ratio(at)
    assert not at.exception
    assert not [r for r in caplog.records if "missing translation authoring." in r.getMessage()]


def test_real_statfin_latin1_export_loads_as_it_comes(env_own_db: Path) -> None:
    """Statistics Finland's Latin-1, ';'-separated export with a title line, '..' for missing values,
    years as columns and several variables: pick one variable, accept the one unknown area, load."""
    import os

    from sqlalchemy import create_engine, select

    from datamodel.schema import area, fact, load_batch, period, series

    data = (ROOT / "tests" / "datamodel" / "fixtures" / "statfin_alueaikasarjat_taloudenpito_2000_2019_latin1_semicolon.csv").read_bytes()
    variable = "Sosiaali- ja terveystoiminta yhteensä, nettokäyttökustannukset, euroa/asukas"
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.file_uploader(key="au_own_file").upload("taloudenpito.csv", data, "text/csv").run()
    assert not at.exception
    at.selectbox(key="au_own_variable").set_value(variable).run()
    assert not at.exception
    report = next(d.value for d in at.dataframe if "Rivi" in d.value.columns)
    assert list(report["Rivi"]) == [3773] and list(report["Arvo"]) == ["Sydösterbotten"]
    at.text_input(key="au_own_name").input("Sote-nettokustannukset, euroa/asukas")
    at.text_input(key="au_own_slug").input("sote-kustannukset")
    at.checkbox(key="au_own_accept_partial").check()
    at.run()
    at.button(key="au_own_load").click().run()
    assert not at.exception
    assert [s.value for s in at.success if "own:208:sote-kustannukset" in s.value], _messages(at)
    engine = create_engine(os.environ["KUNTAMITTARI_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            value = conn.execute(
                select(fact.c.value)
                .join(series, fact.c.series_id == series.c.series_id)
                .join(area, fact.c.area_id == area.c.area_id)
                .join(period, fact.c.period_id == period.c.period_id)
                .where(series.c.code == "own:208:sote-kustannukset", area.c.code == "208", period.c.code == "2015")
            ).scalar_one()
            batch = conn.execute(select(load_batch.c.location, load_batch.c.rows_rejected).where(load_batch.c.source == "own")).one()
    finally:
        engine.dispose()
    assert value == 2647.0
    assert batch == ("taloudenpito.csv", 1)


def test_excel_upload_is_read(env: Path) -> None:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Kotihoidon asiakkaat 2020–2021"])
    sheet.append([])
    sheet.append(["Kunta", "Vuosi", "Arvo"])
    sheet.append(["Kalajoki", 2020, 12.5])
    sheet.append(["Raahe", 2021, "13,5"])
    buffer = io.BytesIO()
    book.save(buffer)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.file_uploader(key="au_own_file").upload(
        "kotihoito.xlsx", buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ).run()
    assert not at.exception
    from kuntamittari.i18n import t

    assert t("authoring.own.report_all_ok", "fi", count=2) in [s.value for s in at.success], _messages(at)
    preview = next(d.value for d in at.dataframe if "area_code" in d.value.columns)
    assert sorted(preview["area_code"]) == ["208", "678"]


@pytest.mark.parametrize(("roles", "sees_form", "may_approve"), [(["viewer"], False, False), (["author"], True, False), (["reviewer"], True, True)])
def test_roles(env: Path, monkeypatch: pytest.MonkeyPatch, roles: list[str], sees_form: bool, may_approve: bool) -> None:
    """Authors define metrics; only reviewers approve; a viewer does not get the form at all."""
    _seed_metric(env)
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    get_settings.cache_clear()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["auth_user"] = {"email": "osallistuja@kunta.fi", "roles": roles}
    at.run()
    assert not at.exception
    has_form = any(w.key == "au_name_fi" for w in at.text_input)
    assert has_form is sees_form
    if sees_form:
        _open_for_edit(at, "tulomuutto_1000")
        assert any(b.key == "au_approve" for b in at.button) is may_approve
