"""Every message the metric validator can give exists in Finnish, Swedish and English.

Two walks: the source of `metrics/` is read for every message key an issue, a model rule, a
formula error or a hint is made with (so a key in a branch no fixture reaches is checked too), and
the broken-file fixtures are validated and every issue is rendered in fi/sv/en, which must be a
sentence of that language, not the English text or a bare placeholder.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kuntamittari.i18n import catalogue
from metrics.catalog import load_catalog
from metrics.errors import RuleViolation
from metrics.expr import MAX_EXPRESSION_CHARS, ExpressionError, parse_expression
from metrics.yaml_io import load_metric_text

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).resolve().parent / "broken"
LANGS = ("fi", "sv", "en")
#: Issue helpers of the metric layer and where their message key is (positional argument index).
KEY_ARGUMENT = {"issue": 5, "make_issue": 5, "_err": 4, "add": 3, "RuleViolation": 1, "ExpressionError": 1}
#: yaml_io's tables of pydantic error types -> message key.
KEY_TABLES = ("_TYPES", "_SHAPES", "_BOUNDS")


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _keys_in(tree: ast.AST) -> set[str]:
    keys: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            position = KEY_ARGUMENT.get(name or "")
            if position is not None and len(node.args) > position and _literal(node.args[position]):
                keys.add(_literal(node.args[position]))  # type: ignore[arg-type]
            if name == "hint" and node.args and _literal(node.args[0]):
                keys.add(f"hint.{_literal(node.args[0])}")
            for kw in node.keywords:  # RuleViolation(..., hint="split_formula")
                if kw.arg == "hint" and _literal(kw.value):
                    keys.add(f"hint.{_literal(kw.value)}")
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 5:
            key = _literal(node.value.elts[2])  # yaml_io._translate: (code, loc, key, params, hint)
            if key:
                keys.add(key)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in KEY_TABLES for t in node.targets):
            keys.update(v.value for v in getattr(node.value, "values", []) if _literal(v))
    return keys


def test_every_message_key_in_the_validator_source_exists_in_every_language() -> None:
    keys: set[str] = set()
    for path in sorted((ROOT / "metrics").glob("*.py")):
        keys |= _keys_in(ast.parse(path.read_text(encoding="utf-8")))
    # the walk finds the validator's messages (a walk that finds nothing cannot fail)
    assert {"formula_too_long_chars", "formula_too_deep", "bad_expression_part", "empty_disclosure", "disclosure_self",
            "disclosure_cycle", "unknown_metric", "weight_required", "not_whole_number", "hint.split_formula"} <= keys
    assert len(keys) > 80, len(keys)
    for lang in LANGS:
        messages = catalogue(lang)
        missing = sorted(k for k in keys if f"validation.{k}" not in messages)
        assert not missing, (lang, missing)
        bare = sorted(k for k in keys if messages[f"validation.{k}"].strip() in ("{detail}", ""))
        assert not bare, (lang, bare)  # a message is a sentence, never only the English detail passed through


@pytest.fixture(scope="module")
def broken_issues(bundled_engine):  # type: ignore[no-untyped-def]
    return load_catalog(BROKEN, engine=bundled_engine).issues


def test_every_issue_of_the_broken_files_is_worded_in_every_language(broken_issues) -> None:  # type: ignore[no-untyped-def]
    codes = {i.code for i in broken_issues}
    assert {"formula-too-long", "formula-too-deep", "bad-expression", "empty-disclosure", "unknown-metric"} <= codes
    for found in broken_issues:
        assert found.key is not None, found.render()
        texts = {lang: found.text(lang) for lang in LANGS}
        for lang in LANGS:
            assert f"validation.{found.key}" in catalogue(lang), (lang, found.key)
        assert texts["en"] == found.message
        if found.code not in ("yaml-syntax", "unreadable", "unparseable"):  # these carry the parser's own detail
            assert texts["fi"] != texts["en"] and texts["sv"] != texts["en"], (found.code, texts)


def test_formula_limits_give_a_code_and_parameters_not_a_sentence() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(" + ".join(["a"] * 1200))
    error = caught.value
    assert (error.code, error.key, error.params) == ("formula-too-long", "formula_too_long_chars",
                                                       {"count": 4797, "max": MAX_EXPRESSION_CHARS})
    assert isinstance(error, RuleViolation) and str(error).startswith("formula-too-long: the formula has 4797 characters")
    with pytest.raises(ExpressionError) as caught:
        parse_expression("a + open(b)")
    assert (caught.value.code, caught.value.key, caught.value.params) == ("bad-expression", "bad_expression_part",
                                                                           {"part": "open(b)"})


@pytest.mark.parametrize(("expression", "code", "fi", "sv"), [
    ("(" * 25 + "a" + ")" * 25, "formula-too-deep", "kaavan sulkeet ovat 25 tasoa sisäkkäin, enintään 20 sallitaan",
     "formelns parenteser ligger 25 nivåer inuti varandra, högst 20 är tillåtna"),
    ("a +* b", "bad-expression", "kaavaa 'a +* b' ei voi lukea (merkki 4)", "formeln 'a +* b' kan inte läsas (tecken 4)"),
])
def test_a_formula_error_in_a_metric_file_reads_in_the_readers_language(expression: str, code: str, fi: str, sv: str) -> None:
    text = (
        "schema_version: 1\nid: kaava\nstatus: draft\ntheme: economy_services\n"
        "name: {fi: Kaava}\ndescription: {fi: Kaava.}\nkind: derived\n"
        f"expression: '{expression}'\nunit: {{fi: '%'}}\n"
    )
    metric, issues = load_metric_text(text, "kaava.yaml")
    assert metric is None
    found = next(i for i in issues if i.code == code)
    assert (found.field, found.line) == ("expression", 8)
    assert found.text("fi") == fi and found.text("sv") == sv
    assert found.render("fi").endswith("; " + catalogue("fi")[f"validation.hint.{'split_formula' if code == 'formula-too-deep' else 'expression_form'}"])
