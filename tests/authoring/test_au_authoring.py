"""Form -> metric building, plain-language messages, save/approve/restore through the store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kuntamittari.i18n import t
from metrics.authoring import (
    AuthoringContext,
    AuthoringError,
    MetricForm,
    approve_metric,
    build_metric,
    copy_form,
    form_from_metric,
    parse_yaml,
    render_yaml,
    restore_version,
    save_metric,
    search_series,
    slugify,
)
from metrics.authoring_store import ConflictError, MetricStore
from metrics.model import MetricStatus, RatioMetric

SERIES = ("sotkanet:3196", "sotkanet:127", "sotkanet:181")

GOOD = MetricForm(
    metric_id="tulomuutto_1000",
    name_fi="Tulomuuttajat tuhatta asukasta kohti",
    description_fi="Kuntaan muuttaneet suhteessa väestöön.",
    unit_fi="/ 1000 asukasta",
    theme="living_environment_safety",
    kind="ratio",
    numerator="sotkanet:3196",
    denominator="sotkanet:127",
    scale="1000",
    decimals="1",
    direction="higher_is_better",
    compare_with=("region", "pilot"),
    owner="Hyvinvointikoordinaattori",
    min_count="5",
)
CTX = AuthoringContext(series_codes=SERIES, metric_ids=("kuolleisuus",))


def test_good_form_builds_a_ratio_metric_with_only_translation_warnings() -> None:
    result = build_metric(GOOD, CTX)
    assert result.ok, [m.code for m in result.errors]
    metric = result.metric
    assert isinstance(metric, RatioMetric)
    assert (metric.numerator, metric.denominator, metric.scale) == ("sotkanet:3196", "sotkanet:127", 1000)
    assert metric.status is MetricStatus.DRAFT
    assert {m.code for m in result.warnings} == {"translation_missing"}
    assert {m.field for m in result.warnings} == {"name", "description", "unit"}


def test_yaml_roundtrips_exactly() -> None:
    metric = build_metric(GOOD, CTX).metric
    assert metric is not None
    text = render_yaml(metric)
    again = parse_yaml(text, metric.id)
    assert again == metric
    assert render_yaml(again) == text
    # The form made from the metric rebuilds the same metric (edit / copy and modify).
    assert build_metric(form_from_metric(metric), AuthoringContext(series_codes=SERIES, is_new=False)).metric == metric


# Twenty (and more) kinds of bad input, each with the code of the message it must produce: the
# form's own codes for what cannot be read at all (an empty box, a word for a number), the shared
# validation's message keys for everything else (the same rules as `kuntamittari validate`).
BAD_INPUTS: list[tuple[str, dict[str, object], str]] = [
    ("no id", {"metric_id": ""}, "id_missing"),
    ("id with capitals and space", {"metric_id": "Tulo muutto"}, "id_bad"),
    ("id taken", {"metric_id": "kuolleisuus"}, "id_taken"),
    ("no finnish name", {"name_fi": "  "}, "name_fi_missing"),
    ("name too long", {"name_fi": "x" * 200}, "name_too_long"),
    ("no description", {"description_fi": ""}, "description_fi_missing"),
    ("no unit", {"unit_fi": ""}, "unit_fi_missing"),
    ("no theme", {"theme": ""}, "theme_missing"),
    ("unknown theme", {"theme": "sports"}, "not_one_of"),
    ("unknown kind", {"kind": "average"}, "not_one_of"),
    ("no numerator", {"numerator": ""}, "series_missing"),
    ("not a series code", {"numerator": "muuttajat"}, "series_bad_code"),
    ("series not in db", {"denominator": "sotkanet:999999"}, "unknown_series"),
    ("same series twice", {"denominator": "sotkanet:3196"}, "same_series"),
    ("scale text", {"scale": "tuhat"}, "scale_bad"),
    ("scale negative", {"scale": "-100"}, "more_than"),
    ("decimals text", {"decimals": "kaksi"}, "decimals_bad"),
    ("decimals too many", {"decimals": "9"}, "at_most"),
    ("no direction", {"direction": ""}, "direction_missing"),
    ("target line garbage", {"targets": "2025: 12,5\nensi vuonna paljon"}, "target_bad_line"),
    ("target year far", {"targets": "3025: 12"}, "at_most"),
    ("target area bad", {"targets": "2025 Kalajoki: 12"}, "target_area_bad"),
    ("target twice", {"targets": "2025: 12\n2025: 13"}, "target_duplicate"),
    ("threshold text", {"threshold_good": "hyvä", "threshold_poor": "5"}, "threshold_bad"),
    ("threshold one only", {"threshold_good": "10"}, "threshold_incomplete"),
    ("threshold wrong way", {"threshold_good": "5", "threshold_poor": "10"}, "threshold_order_higher"),
    ("age band text", {"age_band": "nuoret"}, "bad_form"),
    ("age band reversed", {"age_band": "64-15"}, "age_band_order"),
    ("min_count text", {"min_count": "viisi"}, "min_count_bad"),
    ("min_count negative", {"min_count": "-1"}, "at_least"),
    ("percent unit with x1000", {"unit_fi": "%"}, "unit_percent_scale"),
    ("sum with one series", {"kind": "sum", "sum_series": ("sotkanet:3196",)}, "too_short"),
    ("simple mean without weight", {"kind": "simple", "series": "sotkanet:181"}, "weight_required"),
    ("derived bad expression", {"kind": "derived", "expression": "kuolleisuus +* 2"}, "bad_expression_at"),
    ("derived unknown metric", {"kind": "derived", "expression": "syntyvyys - kuolleisuus"}, "unknown_metric"),
    ("derived refers to itself", {"kind": "derived", "expression": "tulomuutto_1000 * 2"}, "expression_self"),
    ("derived empty", {"kind": "derived", "expression": ""}, "expression_missing"),
    ("derived python", {"kind": "derived", "expression": "__import__('os').system('x')"}, "bad_expression_part"),
]


@pytest.mark.parametrize(("label", "changes", "code"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_plain_message_and_nothing_is_written(
    tmp_path: Path, label: str, changes: dict[str, object], code: str
) -> None:
    form = replace(GOOD, **changes)  # type: ignore[arg-type]
    result = build_metric(form, CTX)
    assert not result.ok
    assert result.metric is None
    codes = [m.code for m in result.errors]
    assert code in codes, codes
    for lang in ("fi", "sv", "en"):
        for message in result.errors:
            text = message.render(lang)
            assert "authoring." not in text, text  # a real translated message, not a key
            assert "Traceback" not in text and "{" not in text, text
    store = MetricStore(tmp_path / "definitions")
    with pytest.raises(AuthoringError) as info:
        save_metric(store, form, store.new(form.metric_id or "tyhja"), CTX)
    assert code in [m.code for m in info.value.messages]
    assert not any(tmp_path.rglob("*.yaml")), "nothing may be written for an invalid form"


def test_message_is_translated() -> None:
    result = build_metric(replace(GOOD, decimals="kaksi"), CTX)
    (msg,) = [m for m in result.errors if m.code == "decimals_bad"]
    assert msg.render("fi").startswith(t("authoring.field.decimals", "fi"))
    assert msg.render("sv") != msg.render("fi")
    assert "kaksi" in msg.render("en")


def test_numbers_as_finns_type_them() -> None:
    form = replace(GOOD, targets="2025: 12,5\n2030 208: 1 234,5", threshold_good="15,5", threshold_poor="8", scale="1 000")
    metric = build_metric(form, CTX).metric
    assert metric is not None
    assert [(tg.year, tg.area, tg.value) for tg in metric.targets] == [(2025, None, 12.5), (2030, "208", 1234.5)]
    assert (metric.thresholds.good, metric.thresholds.poor) == (15.5, 8.0)  # type: ignore[union-attr]
    assert metric.scale == 1000


def test_slugify() -> None:
    assert slugify("Tulomuuttajat / 1000 as. (Kalajoki)") == "tulomuuttajat_1000_as_kalajoki"
    assert slugify("Yli 75-vuotiaat") == "yli_75_vuotiaat"
    assert slugify("2025 tavoite") == "m_2025_tavoite"


def _saved_catalogue(tmp_path: Path) -> tuple[MetricStore, Path]:
    store = MetricStore(tmp_path / "definitions")
    save_metric(store, GOOD, store.new(GOOD.metric_id), CTX)
    return store, tmp_path / "definitions" / "living_environment_safety" / "tulomuutto_1000.yaml"


def test_save_creates_a_draft_the_catalogue_loads(tmp_path: Path) -> None:
    store, path = _saved_catalogue(tmp_path)
    assert path.is_file()
    from metrics.catalog import load_catalog

    catalog = load_catalog(store.root)
    assert not catalog.errors, [i.render() for i in catalog.errors]
    metric = catalog.get("tulomuutto_1000")
    assert metric.status is MetricStatus.DRAFT
    assert metric not in catalog.approved()
    # load -> save -> identical
    assert render_yaml(metric) == path.read_text(encoding="utf-8")


def test_concurrent_form_edits_second_refused_nothing_lost(tmp_path: Path) -> None:
    store, path = _saved_catalogue(tmp_path)
    ctx = AuthoringContext(series_codes=SERIES, is_new=False)
    alice, bob = store.open("tulomuutto_1000"), store.open("tulomuutto_1000")
    save_metric(store, replace(GOOD, owner="Alice"), alice, ctx)
    with pytest.raises(ConflictError) as info:
        save_metric(store, replace(GOOD, owner="Bob"), bob, ctx)
    assert "owner: Alice" in path.read_text(encoding="utf-8")
    assert "owner: Bob" in info.value.conflict_copy.read_text(encoding="utf-8")
    assert t(info.value.key, "fi", **info.value.params) != info.value.key


def test_copy_and_modify_gets_a_free_id(tmp_path: Path) -> None:
    metric = build_metric(GOOD, CTX).metric
    assert metric is not None
    form = copy_form(metric, taken_ids={"tulomuutto_1000", "tulomuutto_1000_kopio"})
    assert form.metric_id == "tulomuutto_1000_kopio2"
    assert build_metric(form, AuthoringContext(series_codes=SERIES, metric_ids={"tulomuutto_1000"})).ok


def test_approve_needs_translations_then_sets_status(tmp_path: Path) -> None:
    store, path = _saved_catalogue(tmp_path)
    before = path.read_text(encoding="utf-8")
    with pytest.raises(AuthoringError) as info:
        approve_metric(store, "tulomuutto_1000", store.open("tulomuutto_1000").fingerprint, "reviewer")
    assert {m.code for m in info.value.messages} == {"approve_translations"}
    assert path.read_text(encoding="utf-8") == before
    full = replace(
        GOOD,
        name_sv="Inflyttare per 1000 invånare", name_en="In-migrants per 1,000 residents",
        description_sv="Inflyttare i relation till befolkningen.", description_en="In-migrants relative to the population.",
        unit_sv="/ 1000 invånare", unit_en="/ 1000 residents",
    )
    save_metric(store, full, store.open("tulomuutto_1000"), AuthoringContext(series_codes=SERIES, is_new=False))
    approve_metric(store, "tulomuutto_1000", store.open("tulomuutto_1000").fingerprint, "reviewer")
    from metrics.catalog import load_catalog

    catalog = load_catalog(store.root)
    assert catalog.get("tulomuutto_1000").status is MetricStatus.APPROVED
    assert not catalog.errors


def test_restore_old_version_as_draft(tmp_path: Path) -> None:
    store, path = _saved_catalogue(tmp_path)
    first_text = path.read_text(encoding="utf-8")
    save_metric(store, replace(GOOD, decimals="3"), store.open("tulomuutto_1000"), AuthoringContext(series_codes=SERIES, is_new=False))
    assert "decimals: 3" in path.read_text(encoding="utf-8")
    oldest = store.history("tulomuutto_1000")[-1]
    restore_version(store, "tulomuutto_1000", oldest.version, store.open("tulomuutto_1000").fingerprint)
    assert path.read_text(encoding="utf-8") == first_text
    assert len(store.history("tulomuutto_1000")) == 3


def test_search_series_by_name() -> None:
    import pandas as pd

    catalog = pd.DataFrame(
        {
            "code": ["sotkanet:127", "sotkanet:3196", "sotkanet:181"],
            "title_fi": ["Väestö 31.12.", "Tulomuuttajat, lkm", "Kuolleisuus"],
        }
    )
    assert list(search_series(catalog, "tulomuut")["code"]) == ["sotkanet:3196"]
    assert list(search_series(catalog, "VÄESTÖ")["code"]) == ["sotkanet:127"]
    assert list(search_series(catalog, "3196")["code"]) == ["sotkanet:3196"]
    assert len(search_series(catalog, "")) == 3


def test_authoring_texts_complete_in_all_languages() -> None:
    import re

    from kuntamittari.i18n import catalogue

    keys = {lang: {k for k in catalogue(lang) if k.startswith("authoring.")} for lang in ("fi", "sv", "en")}
    assert keys["fi"] and keys["fi"] == keys["sv"] == keys["en"]
    for key in keys["fi"]:
        fields = {lang: set(re.findall(r"{(\w+)}", catalogue(lang)[key])) for lang in ("fi", "sv", "en")}
        assert fields["fi"] == fields["sv"] == fields["en"], key


def test_every_catalogue_metric_survives_the_form_unchanged() -> None:
    """Editing any existing metric without changes gives the same metric and the same bytes
    (fields the form does not show, such as caveats and tags, are carried through)."""
    from metrics.catalog import load_catalog

    catalog = load_catalog()
    assert catalog.metrics
    ctx = AuthoringContext(metric_ids=set(catalog.metrics), is_new=False)
    for metric in catalog.metrics.values():
        result = build_metric(form_from_metric(metric), ctx)
        assert result.metric == metric, (metric.id, [m.code for m in result.errors])
        assert render_yaml(result.metric) == catalog.files[metric.id].read_text(encoding="utf-8"), metric.id


def test_saved_file_passes_kuntamittari_validate(tmp_path: Path) -> None:
    import json
    import shutil

    from typer.testing import CliRunner

    from cli.main import app
    from kuntamittari.settings import PROJECT_ROOT

    definitions = tmp_path / "definitions"
    shutil.copytree(PROJECT_ROOT / "metrics" / "definitions", definitions)
    store = MetricStore(definitions)
    save_metric(store, GOOD, store.new(GOOD.metric_id), CTX)
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "--dir", str(definitions), "--json"])
    assert ok.exit_code == 0, ok.output
    payload = json.loads(ok.stdout)
    assert payload["valid"] and payload["errors"] == 0
    assert payload["metrics"] == len(list(definitions.rglob("*.yaml")))
    # A broken file next to it is reported (the check can fail).
    (definitions / "health" / "rikki.yaml").write_text("id: rikki\nkind: ratio\n", encoding="utf-8")
    assert runner.invoke(app, ["validate", "--dir", str(definitions)]).exit_code == 1


def test_form_and_validate_apply_the_same_rules(tmp_path: Path) -> None:
    """Inverted thresholds and a lowered min_count: refused / warned alike by the form and by
    `kuntamittari validate`, with the same message in every language."""
    import json

    from typer.testing import CliRunner

    from cli.main import app
    from metrics.authoring_input import form_document
    from metrics.yaml_io import dump_document

    form = replace(GOOD, threshold_good="5", threshold_poor="10", min_count="2")  # higher is better
    result = build_metric(form, CTX)
    by_code = {m.code: m for m in result.messages}
    assert not result.ok and by_code["threshold_order_higher"].level == "error"
    assert by_code["min_count_low"].level == "warning"
    folder = tmp_path / "definitions" / "living_environment_safety"
    folder.mkdir(parents=True)
    (folder / "tulomuutto_1000.yaml").write_text(dump_document(form_document(form)[0]), encoding="utf-8")
    for lang in ("fi", "sv", "en"):
        out = CliRunner().invoke(app, ["validate", "--dir", str(tmp_path / "definitions"), "--json", "--lang", lang])
        assert out.exit_code == 1, out.output
        issues = {i["key"]: i for i in json.loads(out.stdout)["issues"]}
        assert issues["threshold_order_higher"]["level"] == "error" and issues["min_count_low"]["level"] == "warning"
        for key in ("threshold_order_higher", "min_count_low"):
            shown_in_form = by_code[key].render(lang).split(": ", 1)[1]
            assert shown_in_form in issues[key]["text"], (lang, shown_in_form, issues[key]["text"])
