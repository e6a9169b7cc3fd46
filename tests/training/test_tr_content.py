"""The training material itself: structure, fi/en parity, metric snippets, exercise files.

No database and no Streamlit: these read the Markdown files and run the metric layer's validator.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kuntamittari.i18n import catalogue
from kuntamittari.settings import LANGUAGES, PROJECT_ROOT
import workshop as tc

MODULES = {lang: tc.load_modules(lang) for lang in tc.MATERIAL_LANGUAGES}
ALL = [m for lang in tc.MATERIAL_LANGUAGES for m in MODULES[lang]]
IDS = [f"{m.lang}-{m.number}" for m in ALL]


def test_four_modules_in_both_languages() -> None:
    for lang in tc.MATERIAL_LANGUAGES:
        assert [m.number for m in MODULES[lang]] == [1, 2, 3, 4]
        assert all(m.lang == lang for m in MODULES[lang])
        assert all(m.path.parent.name == lang for m in MODULES[lang])
    assert [m.slug for m in MODULES["fi"]] == [m.slug for m in MODULES["en"]]
    # file names follow module_<n>_<slug>.md
    for module in ALL:
        assert module.path.name == f"module_{module.number}_{module.slug}.md"


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_fi_and_en_have_the_same_structure(number: int) -> None:
    fi = MODULES["fi"][number - 1]
    en = MODULES["en"][number - 1]
    assert tc.structure_differences(fi, en) == []
    # spelled out for the issue's criteria
    assert [lvl for lvl, _ in fi.headings()].count(2) == [lvl for lvl, _ in en.headings()].count(2)
    assert [lvl for lvl, _ in fi.headings()].count(3) == [lvl for lvl, _ in en.headings()].count(3)
    assert [e.id for e in fi.exercises] == [e.id for e in en.exercises]
    assert len(fi.quiz_questions()) == len(en.quiz_questions())


@pytest.mark.parametrize("module", ALL, ids=IDS)
def test_module_has_every_part(module: tc.Module) -> None:
    levels = [lvl for lvl, _ in module.headings()]
    assert levels.count(1) == 1, "one title"
    assert 45 <= module.duration_minutes <= 90
    assert module.exercises, "hands-on exercises"
    # every exercise is placed in the body exactly once, in front-matter order
    assert module.markers() == [e.id for e in module.exercises]
    assert len({e.id for e in module.exercises}) == len(module.exercises)
    assert all(e.id.startswith(f"m{module.number}-") for e in module.exercises)
    # quiz with one facilitator's answer per question
    questions, answers = module.quiz_questions(), module.quiz_answers()
    assert len(questions) >= 4
    assert len(answers) == len(questions)
    # learning goals and the facilitator's plan are the first two sections
    h2 = [text for lvl, text in module.headings() if lvl == 2]
    assert h2[0] in ("Oppimistavoitteet", "Learning goals")
    assert h2[1].startswith(("Ohjaajan suunnitelma", "Facilitator's plan"))
    assert f"{module.duration_minutes} min" in h2[1]
    # every exercise is checkable against the metric layer
    assert all(e.expected is not None and e.answer for e in module.exercises)


def test_material_is_where_the_page_reads_it() -> None:
    assert tc.TRAINING_DIR == PROJECT_ROOT / "training_material"
    assert len(tc.module_paths("fi")) == 4 and len(tc.module_paths("en")) == 4


def test_swedish_readers_get_the_finnish_original_or_english_by_choice() -> None:
    assert tc.material_language("fi") == "fi"
    assert tc.material_language("en") == "en"
    assert tc.material_language("sv") == "fi"
    assert tc.material_language("sv", "en") == "en"
    assert tc.material_language("sv", "sv") == "fi"  # no Swedish version: not a valid choice
    with pytest.raises(tc.TrainingError):
        tc.load_modules("sv")


# --------------------------------------------------------------------------- yaml snippets


BLOCKS = [(m, b) for m in ALL for b in m.yaml_blocks()]


@pytest.mark.parametrize("module,block", BLOCKS, ids=[f"{m.lang}-{m.number}-L{b.line}" for m, b in BLOCKS])
def test_every_yaml_snippet_validates(module: tc.Module, block: tc.YamlBlock) -> None:
    assert block.is_metric or block.is_governance_card
    assert tc.snippet_issues(block, module) == []
    # the line number points at the snippet's first line in the file
    lines = module.path.read_text(encoding="utf-8").splitlines()
    assert lines[block.line - 2].strip() == "```yaml"
    assert lines[block.line - 1] == block.text.splitlines()[0]


def test_the_material_has_metric_snippets_that_the_metric_layer_accepts() -> None:
    from metrics.yaml_io import load_metric_text

    metric_blocks = [(m, b) for m, b in BLOCKS if b.is_metric]
    assert len(metric_blocks) >= 4
    for _, block in metric_blocks:
        metric, issues = load_metric_text(block.text, f"{block.data['id']}.yaml")
        assert metric is not None, issues
        assert metric.id == block.data["id"]
    found = tc.snippet_metrics(ALL)
    assert {"workshop_in_migration", "library_loans", "library_loans_per_resident"} <= set(found)
    assert found["workshop_in_migration"].kind == "ratio"
    assert found["workshop_in_migration"].scale == 1000


@pytest.mark.parametrize(
    "change,code",
    [
        (("scale: 1000", "scale: 100"), "unit-mismatch"),
        (("kind: ratio", "kind: ratoi"), "invalid-kind"),
        (("numerator: sotkanet:3196", "numerator: thl:3196"), "invalid-value"),
        (("direction: higher_is_better", "direction: up"), "invalid-value"),
    ],
)
def test_a_broken_snippet_is_reported(change: tuple[str, str], code: str) -> None:
    module = MODULES["fi"][0]
    block = next(b for b in module.yaml_blocks() if b.is_metric)
    assert change[0] in block.text
    text = block.text.replace(*change)
    broken = tc.YamlBlock(block.line, text, yaml.safe_load(text))
    problems = tc.snippet_issues(broken, module)
    assert problems and any(code in p for p in problems)
    assert all(p.startswith(f"{module.path.name}:") for p in problems)
    lines = [int(p.split(":")[1]) for p in problems]
    assert all(block.line <= n < block.line + len(block.text.splitlines()) for n in lines)


def test_governance_card_shape_is_checked() -> None:
    module = MODULES["en"][3]
    card = next(b for b in module.yaml_blocks() if b.is_governance_card)
    assert tc.snippet_issues(card, module) == []
    data = {"governance_card": {k: v for k, v in card.data["governance_card"].items() if k != "owner"}}
    assert "owner" in " ".join(tc.snippet_issues(tc.YamlBlock(card.line, "", data), module))
    other = tc.YamlBlock(card.line, "x: 1\n", {"x": 1})
    assert tc.snippet_issues(other, module)


# --------------------------------------------------------------------------- parsing


def test_deep_link_parsing_and_url() -> None:
    link = tc.DeepLink.parse("compare?metric=unemployment_rate&area=208")
    assert link.page == "compare"
    assert link.page_file == "pages/compare.py"
    assert link.get("area") == "208"
    assert link.query_params("sv") == {"metric": "unemployment_rate", "area": "208", "lang": "sv"}
    assert link.url("fi") == "compare?metric=unemployment_rate&area=208&lang=fi"
    assert tc.DeepLink.parse("/pages/data_status.py").url() == "data_status"
    with pytest.raises(tc.TrainingError):
        tc.DeepLink.parse("../etc/passwd")


def test_front_matter_errors_are_reported(tmp_path: Path) -> None:
    with pytest.raises(tc.TrainingError, match="front matter"):
        tc.parse_module("# no front matter\n", tmp_path / "module_9_x.md")
    text = "---\nmodule: 9\nslug: x\nlang: fi\ntitle: X\nduration_minutes: 45\nexercises:\n  - id: a\n---\nbody\n"
    with pytest.raises(tc.TrainingError, match="title|deep_link|answer"):
        tc.parse_module(text, tmp_path / "module_9_x.md")
    bad = text.replace("  - id: a\n", "  - {id: a, title: A, deep_link: compare, answer: '1', expected: {metric: m}}\n")
    with pytest.raises(tc.TrainingError, match="area"):
        tc.parse_module(bad, tmp_path / "module_9_x.md")


def test_quiz_split_and_parts() -> None:
    body = (
        "# T\n\n## Material\n\ntext\n\n<!-- exercise: m9-e1 -->\n\nafter\n\n```yaml\n## Quiz\n```\n\n"
        "## Quiz\n\n1. one?\n2. two?\n   continued\n\n## Answers for the facilitator\n\n1. a\n2. b\n"
    )
    material, quiz, answers = tc.split_quiz(body, "en")
    assert "## Quiz" not in material.split("```yaml")[0]
    assert tc.numbered_items(quiz) == ["one?", "two? continued"]
    assert tc.numbered_items(answers) == ["a", "b"]
    exercise = tc.Exercise("m9-e1", "E", tc.DeepLink.parse("compare"), "1")
    parts = tc.split_parts(material, (exercise,))
    assert [p.exercise.id if p.exercise else "md" for p in parts] == ["md", "m9-e1", "md"]
    assert "after" in parts[2].markdown
    assert tc.headings(body)[-1] == (2, "Answers for the facilitator")
    assert (2, "Quiz") in tc.headings(body) and tc.headings(body).count((2, "Quiz")) == 1  # not the fenced one


def test_answer_normalisation_treats_all_spaces_alike() -> None:
    assert tc.normalise_answer("12\u00a0616") == tc.normalise_answer("12 616") == "12 616"
    assert tc.normalise_answer("8,0\u202f%") == "8,0 %"
    assert tc.normalise_answer("8,0 %") != tc.normalise_answer("8.0%")


# --------------------------------------------------------------------------- example data


def test_own_data_example_is_a_finnish_excel_csv_the_importer_reads() -> None:
    from datamodel.loaders.own_data import parse_own_data

    path = tc.DATA_DIR / "kalajoki_kirjasto_2007_2011.csv"
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # Windows-1252, as Excel saves "CSV (semicolon delimited)"
    text = data.decode("cp1252")
    assert "Käyntikerrat" in text and ";" in text and re.search(r";\d+,\d\r\n", text) and ";..;" in text
    loans = parse_own_data(
        data, filename=path.name, series_code="own:208:kirjastolainat",
        mapping={"area": "Kuntakoodi", "period": "Vuosi", "value": "Kirjastolainat"},
    )
    assert loans.ok and loans.delimiter == ";" and len(loans.observations) == 5
    assert set(loans.observations["area_code"]) == {"208"}
    visits = parse_own_data(
        data, filename=path.name, series_code="own:208:kayntikerrat",
        mapping={"area": "Kuntakoodi", "period": "Vuosi", "value": "Käyntikerrat"},
    )
    assert visits.rows_missing == 1 and len(visits.observations) == 4
    hours = parse_own_data(
        data, filename=path.name, series_code="own:208:aukiolo",
        mapping={"area": "Kuntakoodi", "period": "Vuosi", "value": "Aukiolotunnit viikossa"},
    )
    assert sorted(hours.observations["value"]) == [48.0, 48.0, 50.5, 52.5, 52.5]


def test_every_own_data_reference_exists() -> None:
    refs = [e.expected.own_data for m in ALL for e in m.exercises if e.expected and e.expected.own_data]
    assert refs
    for ref in refs:
        assert (tc.DATA_DIR / ref).is_file()


# --------------------------------------------------------------------------- translations


def test_training_texts_are_complete_in_three_languages() -> None:
    keys = {lang: {k for k in catalogue(lang) if k.startswith("training.")} for lang in LANGUAGES}
    assert keys["fi"] and keys["fi"] == keys["sv"] == keys["en"]
    for lang in LANGUAGES:
        assert all(catalogue(lang)[k].strip() for k in keys[lang]), lang
