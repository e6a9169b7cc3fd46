"""Refreshing from the data-status page and the change digest on the pages, against the recorded
Sotkanet and PxWeb answers served on 127.0.0.1 (tests/refresh: two releases in the sources' real
formats). The app runs on a copy of the bundled database (THL Sotkanet up to 2011) with the
refresh tests' small catalogue; the button runs the production refresh (`refresh.run_refresh`)
with the production clients.

Independently known values: release 2 revises Kalajoki's (208) unemployment for 2008 by +1.0
(the bundled file says 8,1 %) and Kalajoki's December 2024 population by +5, and publishes
January 2025 (tests/refresh/rf_releases.py).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from datamodel.schema import refresh_run
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics import service
from metrics.warehouse import open_database
from readout.formatting import format_number, format_period

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "refresh"))
from ui_text import shown  # noqa: E402
from rf_releases import release, source_env, write_catalog  # noqa: E402
from sources_server import SourceServer, start_source_server  # noqa: E402

TIMEOUT = 240
STATUS_PAGE = str(ROOT / "pages" / "data_status.py")
pytestmark = pytest.mark.xdist_group("ui_refresh")


def _fail_or_skip(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(monkeypatch: pytest.MonkeyPatch, db: Path, metrics: Path, sotkanet: str, statfin: str) -> None:
    env = {
        **source_env(sotkanet, statfin),
        "KUNTAMITTARI_DATABASE_URL": f"sqlite:///{db}",
        "KUNTAMITTARI_METRICS_DIR": str(metrics),
        "KUNTAMITTARI_AUTH_MODE": "none",
        "KUNTAMITTARI_SMTP_HOST": "",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def app_copy(tmp_path: Path, bundled_engine) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    """A private copy of the bundled database and the small catalogue."""
    db = tmp_path / "app.sqlite"
    shutil.copyfile(bundled_engine.url.database, db)
    return db, write_catalog(tmp_path / "metrics")


@pytest.fixture
def served(app_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SourceServer, Path]]:
    """The recorded sources (release 1) on 127.0.0.1 and the app configured to use them."""
    try:
        state, httpd = start_source_server(release(1))
    except OSError as exc:  # pragma: no cover - a machine without loopback sockets
        _fail_or_skip(f"cannot start the local source server: {exc}")
    _environment(monkeypatch, *app_copy, state.sotkanet_url, state.statfin_url)
    yield state, app_copy[0]
    httpd.shutdown()
    httpd.server_close()
    monkeypatch.undo()
    get_settings.cache_clear()


def _status_page(lang: str) -> AppTest:
    at = AppTest.from_file(STATUS_PAGE, default_timeout=TIMEOUT)
    at.query_params["lang"] = lang
    return at.run()


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def page_links(at: AppTest) -> list[tuple[str, str]]:
    """(label, query string) of every link to the metric page: `st.page_link`, or the plain link
    `ui.render.page_link` draws when Streamlit runs the page alone."""
    links = [(el.proto.label, el.proto.query_string) for el in at.get("page_link")]
    for m in at.markdown:
        links += re.findall(r"\[(.+?)\]\(\./metric_detail\?([^)]*)\)", m.value)
    return links


def _refresh(at: AppTest) -> None:
    at.button(key="refresh_run").click().run()


def test_the_admin_button_refreshes_and_the_overview_shows_what_is_new(served: tuple[SourceServer, Path]) -> None:
    state, db = served
    at = _status_page("fi")
    assert not at.exception, [e.value for e in at.exception]
    # before the first load the StatFin draft reads a series the database does not have yet
    assert [e.value for e in at.error if "population_monthly.yaml" in shown(e.value)], [e.value for e in at.error]
    _refresh(at)
    _clean(at)  # now it has: the catalogue is read again and the draft joins it
    # the progress bar went through every stage and ended full, with the run's result below it
    assert at.progress[-1].value == 100 and at.progress[-1].text == t("vintage.refresh.progress.done", "fi")
    steps = at.session_state["refresh_progress"]
    assert ("sotkanet", 2, 2) in steps and ("statfin", 1, 1) in steps  # 181 and 127; table 11s5
    assert [s[0] for s in steps].index("sotkanet") < [s[0] for s in steps].index("load")
    assert at.success[0].value == t("vintage.refresh.result.ok", "fi")
    assert t("status.catalogue_ok", "fi", count=3) in [s.value for s in at.success]  # the draft joined
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any(line.startswith(f"- {t('refresh.source.statfin', 'fi')}: ") for line in lines), lines
    series = next(d.value for d in at.dataframe if t("vintage.refresh.col.series", "fi") in d.value.columns)
    assert set(series[t("vintage.refresh.col.series", "fi")]) == {"sotkanet:181", "sotkanet:127", "statfin:11s5:vaesto_kuukausi"}

    state.release = release(2)
    _refresh(at)
    _clean(at)
    report = at.session_state["refresh_report"]
    assert report.status == "ok" and report.digest_items > 0
    assert any(t("refresh.cli.digest", "fi", count=report.digest_items) in m.value for m in at.markdown)
    # the data-status page lists the digest: Kalajoki's, then every municipality's
    own = next(d.value for d in at.dataframe if t("digest.col.change", "fi") in d.value.columns)
    assert set(own[t("digest.col.area", "fi")]) == {"Kalajoki"}
    at.segmented_control(key="km_w_digest").set_value("all").run()
    _clean(at)
    everyone = next(d.value for d in at.dataframe if t("digest.col.change", "fi") in d.value.columns)
    areas = set(everyone[t("digest.col.area", "fi")])
    assert {"Kalajoki", "Kempele"} <= areas and len(areas) > 100  # 244's population revised; January 2025 for all
    _check_overview_digest(db)


def _check_overview_digest(db: Path) -> None:
    """The overview of Kalajoki in Swedish lists the revisions with links to the metric pages."""
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=TIMEOUT)
    at.query_params.update({"lang": "sv", "area": "208"})
    at.run()
    _clean(at)
    assert t("digest.title", "sv") in [s.value for s in at.header]
    links = [(label, dict(parse_qsl(query))) for label, query in page_links(at)
             if "metric=" in query and "cmp=" not in query]  # not the cards' own links (they carry cmp)
    by_metric: dict[str, list[str]] = {}
    for label, params in links:
        assert params["area"] == "208" and params["lang"] == "sv", params
        by_metric.setdefault(params["metric"], []).append(label)
    # unemployment 2008: 8,1 % in the bundled file, +1,0 in release 2
    assert any("2008" in label and "8,1 → 9,1" in label for label in by_metric["unemployment_rate"]), by_metric
    cube = release(1).cube
    december = cube.values[("KU208", "2024M12", cube.dims["tiedot"][0])]
    revised = f"{format_number(december, 'sv', 0)} → {format_number(december + 5, 'sv', 0)}"
    assert any(revised in label for label in by_metric["population_monthly"]), by_metric
    assert any(format_period("2025M01", "sv") in label for label in by_metric["population_monthly"]), by_metric
    # a link opens the metric page of that municipality in that language
    page = AppTest.from_file(str(ROOT / "pages" / "metric_detail.py"), default_timeout=TIMEOUT)
    page.query_params.update({"metric": "unemployment_rate", "area": "208", "lang": "sv"})
    page.run()
    _clean(page)
    assert page.title[0].value == "Arbetslöshetsgrad" and page.sidebar.selectbox(key="km_w_area").value == "208"


def test_offline_sources_give_one_line_each_and_store_nothing(app_copy: tuple[Path, Path],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    _environment(monkeypatch, *app_copy, f"http://127.0.0.1:{port}/sotkanet/rest/1.1",
                 f"http://127.0.0.1:{port}/PxWeb/api/v1")
    engine = open_database(f"sqlite:///{app_copy[0]}")
    before = len(service.load_batches(engine))
    at = _status_page("en")
    _refresh(at)
    assert not at.exception, [e.value for e in at.exception]
    failed = [e.value for e in at.error if ".yaml" not in e.value]  # not the draft's catalogue error
    prefix = {source: t("refresh.cli.source_failed", "en", source=t(f"refresh.source.{source}", "en"), message="")
              for source in ("sotkanet", "statfin")}
    assert failed[0] == t("vintage.refresh.result.failed", "en")
    assert sorted(line.split(":")[0] for line in failed[1:]) == sorted(p.split(":")[0] for p in prefix.values())
    assert len(service.load_batches(engine)) == before


def test_a_second_refresh_at_the_same_time_is_refused_with_a_message(app_copy: tuple[Path, Path],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    _environment(monkeypatch, *app_copy, f"http://127.0.0.1:{port}/s", f"http://127.0.0.1:{port}/p")
    engine = open_database(f"sqlite:///{app_copy[0]}")
    with engine.begin() as conn:  # another administrator's refresh is running
        conn.execute(insert(refresh_run).values(started_at=datetime.now(UTC), trigger="cli", status="running"))
    at = _status_page("sv")
    assert any(t("vintage.refresh.status.running", "sv") in m.value for m in at.markdown)
    _refresh(at)
    assert not at.exception, [e.value for e in at.exception]
    assert t("vintage.refresh.busy", "sv") in [w.value for w in at.warning]
    assert "refresh_report" not in at.session_state
