"""A draft with a 1000-term formula (19 KB) costs one file: the catalogue, `validate` and the public page go on."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.i18n import t
from metrics.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
DRAFT = """\
schema_version: 1
id: {id}
status: draft
theme: economy_services
name: {{fi: Valtava kaava}}
description: {{fi: Tuhannen termin kaava.}}
kind: derived
expression: {expression}
unit: {{fi: henkilöä}}
direction: neutral
"""
TERMS = " + ".join(["in_migration_rate", "out_migration_rate"] * 500)


def _folded(expression: str) -> str:
    """The formula as a '>-' block of short lines (so only the formula limit can catch it)."""
    words = expression.split(" ")
    lines = [" ".join(words[i:i + 15]) for i in range(0, len(words), 15)]
    return ">-\n" + "\n".join("  " + line for line in lines)


@pytest.fixture
def with_huge_drafts(star_metrics_dir: Path) -> Path:
    folder = star_metrics_dir / "economy_services"
    (folder / "huge_one_line.yaml").write_text(DRAFT.format(id="huge_one_line", expression=TERMS), encoding="utf-8")
    (folder / "huge_folded.yaml").write_text(DRAFT.format(id="huge_folded", expression=_folded(TERMS)), encoding="utf-8")
    (folder / "broken_yaml.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    assert len(TERMS) > 18_000  # 1000 terms, 19 KB as in the report
    return star_metrics_dir


def test_the_catalogue_loads_the_rest_and_lists_the_broken_files(with_huge_drafts: Path) -> None:
    catalog = load_catalog(with_huge_drafts)
    assert len(catalog.approved()) == 8
    broken = {b.file.rsplit("/", 1)[-1]: b for b in catalog.broken_files()}
    assert set(broken) == {"huge_one_line.yaml", "huge_folded.yaml", "broken_yaml.yaml"}
    assert broken["huge_one_line.yaml"].codes == ("line-too-long",)
    assert broken["huge_folded.yaml"].codes == ("formula-too-long",)
    assert "huge_folded.yaml:8: expression: the formula has" in broken["huge_folded.yaml"].message


def test_validate_reports_every_file_and_keeps_going(with_huge_drafts: Path) -> None:
    result = CliRunner().invoke(app, ["validate", "--dir", str(with_huge_drafts), "--lang", "en"])
    assert result.exit_code == 1
    assert "RecursionError" not in result.output and "Traceback" not in result.output
    for name, code_text in (("huge_one_line.yaml:8", "over 4000 characters"), ("huge_folded.yaml:8", "characters, at most 2000"),
                            ("broken_yaml.yaml", "not valid YAML")):
        assert name in result.output and code_text in result.output, result.output
    assert "8 " in result.output.splitlines()[-1]  # the summary line counts the eight good metrics


def test_the_public_page_works_beside_a_huge_draft(star_env: None, with_huge_drafts: Path) -> None:
    at = AppTest.from_file(str(ROOT / "public_app.py"), default_timeout=TIMEOUT)
    at.query_params["area"] = "766"
    at.query_params["lang"] = "fi"
    at.query_params["theme"] = "economy_services"
    at.run()
    assert not at.exception
    assert at.title[0].value == t("public.title", "fi")
    text = "\n".join([str(e.value) for e in at.get("markdown")] + [e.proto.body for e in at.get("html")])
    assert "Sottunga" in text and "Valtava" not in text
    assert t("readout.status.too_few", "fi") in text
    assert not any("catalog" in str(e.value).lower() or "luettelo" in str(e.value).lower() for e in at.error)
