"""The transparency page (Tietoa palvelusta ja datasta) in AppTest, fi/sv/en, on the bundled data.

Its content is generated: the sources' names, licences and load dates must be the warehouse's,
the metrics the catalogue's approved ones, the thresholds the settings' and the code's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.catalog import load_catalog
from readout.about import build_about
from readout.about_words import about_text
from readout.forecast import model_label
from readout.formatting import format_date
from readout.text import escape_markdown
from ui.navigation import get_page

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "pages" / "about_data.py")
PUBLIC_APP = str(ROOT / "public_app.py")


@pytest.fixture
def bundled_env(bundled_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", bundled_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("KUNTAMITTARI_AUTH_MODE", "local")
    monkeypatch.setenv("KUNTAMITTARI_USERS_FILE", str(tmp_path / "no-users.toml"))
    monkeypatch.setenv("KUNTAMITTARI_FEEDBACK_EMAIL", "palaute@example.fi")
    monkeypatch.delenv("KUNTAMITTARI_PUBLIC_ONLY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_model_comes_from_the_warehouse_and_catalogue(bundled_env: None, bundled_engine: Engine) -> None:
    catalog = load_catalog()
    model = build_about(bundled_engine, catalog)
    sotkanet = next(s for s in model.sources if s.key == "sotkanet")
    assert sotkanet.name == "THL, Sotkanet" and sotkanet.licence == "CC BY 4.0" and sotkanet.series > 30
    assert set(sotkanet.metrics) == {m.id for m in catalog.approved()}
    assert sotkanet.retrieved is not None and sotkanet.retrieved.date().isoformat() == "2013-09-08"
    assert {m.metric_id for m in model.metrics} == {m.id for m in catalog.approved()}
    assert model.min_counts == tuple(sorted({m.min_count for m in catalog.approved()})) and 5 in model.min_counts
    assert model.min_coverage == get_settings().min_coverage
    assert model.feedback_email == "palaute@example.fi"
    assert all(m.sources == ("sotkanet",) for m in model.metrics)  # the bundled data is Sotkanet's alone


def test_the_model_reads_each_warehouse_table_once(bundled_env: None, bundled_engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The sources' rows and the metrics' rows share one read of the data status and the series."""
    from metrics import service

    calls: dict[str, int] = {}
    for name in ("data_status", "list_series", "load_batches"):
        def counted(*args, _name=name, _real=getattr(service, name), **kwargs):  # type: ignore[no-untyped-def]
            calls[_name] = calls.get(_name, 0) + 1
            return _real(*args, **kwargs)
        monkeypatch.setattr(service, name, counted)
    build_about(bundled_engine, load_catalog())
    assert calls == {"data_status": 1, "list_series": 1, "load_batches": 1}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_page_in_each_language(bundled_env: None, bundled_engine: Engine, lang: str) -> None:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    assert at.title[0].value == t("about.title", lang)
    headers = [h.value for h in at.header]
    assert headers == [t(f"about.{k}.heading", lang) for k in ("sources", "metrics", "algorithms", "not_done", "contact")]
    html = "".join(e.proto.body for e in at.get("html"))
    text = html + "\n".join(m.value for m in at.markdown)
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert "THL, Sotkanet" in html and "CC BY 4.0" in html and format_date("2013-09-08", lang) in html
    metric = load_catalog().get("unemployment_rate").name.as_dict()[lang]
    assert metric in html
    assert t("about.algorithms.disclosure", lang, n="5") in text
    # values put into the Markdown paragraphs are escaped (the address is shown as written)
    assert escape_markdown("palaute@example.fi") == "palaute@example\\.fi"
    assert escape_markdown("palaute@example.fi") in text and t("about.not_done.body", lang) in text
    assert model_label("ets", lang) in text and model_label("theta", lang) in text  # the models in use now
    words = about_text(build_about(bundled_engine, load_catalog()), lang)
    assert [s.heading for s in words.sections] == headers


def test_registered_as_a_public_page_of_the_public_app(bundled_env: None) -> None:
    spec = get_page("about_data")
    assert spec is not None and spec.audience == "public" and spec.required_role is None and spec.exists
    at = AppTest.from_file(PUBLIC_APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert not at.exception and at.title[0].value == t("about.title", "en")


def test_settings_values_reach_the_page_as_literal_text(bundled_env: None, bundled_engine: Engine) -> None:
    """A maintainer, owner or address is shown as written: never a link, image or markup."""
    from dataclasses import replace

    from readout.text import render_markdown

    model = replace(build_about(bundled_engine, load_catalog()), maintainer="![x](http://evil.example/x.png) **Team**",
                    feedback_url="javascript:alert(1)", owners=("<b>Unit</b>",))
    contact = next(s for s in about_text(model, "en").sections if s.anchor == "contact")
    rendered = render_markdown("\n\n".join(contact.paragraphs))
    assert "![x](" not in rendered and "](javascript" not in rendered and "<b>" not in rendered
    assert "evil\\.example" in rendered and "\\*\\*Team\\*\\*" in rendered


def _stored_summary():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from forecasting.accuracy import AccuracySummary, ModelAccuracy

    return AccuracySummary(datetime(2026, 11, 30, 12, tzinfo=UTC), ("208", "091", "005"), ("population", "unemployment_rate"),
                           6, 2011, 3, 0.8, (ModelAccuracy("theta", 6, 0.913, 6, 41, 50),
                                             ModelAccuracy("naive", 6, 1.0, 6, 38, 50),
                                             ModelAccuracy("prophet", 0, None, 0, 0, 0)))


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_measured_accuracy_with_and_without_a_stored_summary(bundled_env: None, bundled_engine: Engine, lang: str,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No summary: one plain sentence. A stored one (on another replica's database): per model its
    error relative to naive and measured coverage, when and over how many series."""
    import shutil
    from html import escape

    from datamodel.engine import make_engine
    from forecasting.accuracy_store import save_summary

    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    assert t("accuracy.about.none", lang) in [m.value for m in at.markdown]
    assert escape(t("accuracy.about.caption", lang)) not in "".join(e.proto.body for e in at.get("html"))

    path = tmp_path / "measured.sqlite"
    shutil.copyfile(str(bundled_engine.url.database), path)
    engine = make_engine(f"sqlite:///{path}")
    save_summary(engine, _stored_summary())
    engine.dispose()
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    paragraphs = [m.value for m in at.markdown]
    assert t("accuracy.about.none", lang) not in paragraphs
    measured = next(p for p in paragraphs if p.startswith(t("accuracy.about.measured", lang)[:8]))
    assert format_date("2026-11-30", lang) in measured and " 6 " in measured and "2011" in measured
    html = "".join(e.proto.body for e in at.get("html"))
    caption = escape(t("accuracy.about.caption", lang))
    assert caption in html
    theta = {"fi": "0,91", "sv": "0,91", "en": "0.91"}[lang]
    coverage = {"fi": "82\u202f%", "sv": "82\u202f%", "en": "82%"}[lang]  # 41 of 50 held-out values inside
    row = (f'<th scope="row">{escape(model_label("theta", lang))}</th><td>{theta}</td>'
           f"<td>{coverage} (41/50)</td><td>6</td>")
    assert row in html
    assert escape(model_label("prophet", lang)) not in html.split(caption)[1]  # no series: no row


def test_a_summary_measured_before_the_newest_data_says_so(bundled_engine: Engine, tmp_path: Path) -> None:
    """Data loaded after the measurement: the page says the table describes earlier data; a summary
    of the newest batch does not."""
    import dataclasses
    import shutil

    from sqlalchemy import text

    from datamodel.engine import make_engine
    from forecasting.accuracy_store import save_summary
    path = tmp_path / "refreshed.sqlite"
    shutil.copyfile(str(bundled_engine.url.database), path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        newest = conn.execute(text("SELECT max(batch_id) FROM load_batch")).scalar_one()
    for batch, outdated in ((newest - 1, True), (newest, False)):
        save_summary(engine, dataclasses.replace(_stored_summary(), data_batch=batch))
        for lang in ("fi", "sv", "en"):
            paragraphs = [p for s in about_text(build_about(engine, load_catalog()), lang).sections for p in s.paragraphs]
            assert (t("accuracy.about.outdated", lang) in paragraphs) is outdated
    engine.dispose()
