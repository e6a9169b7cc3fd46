"""Which metrics are tied to which: linear terms per kind, families, and the declaration rule."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from metrics.catalog import load_catalog
from metrics.disclosure_links import TermKey, families, inherits_from, is_count, metric_terms

SHIPPED = Path(__file__).resolve().parents[2] / "metrics" / "definitions"
IN, OUT, POP = "sotkanet:3196", "sotkanet:3197", "sotkanet:127"


def test_terms_of_the_shipped_migration_metrics() -> None:
    catalog = load_catalog(SHIPPED)
    m = catalog.metrics
    assert metric_terms(m["gross_migration"], m) == {TermKey(IN): 1, TermKey(OUT): 1}
    assert metric_terms(m["in_migration_rate"], m) == {TermKey(IN, POP): Fraction(1000)}
    balance = {TermKey(IN, POP): Fraction(1000), TermKey(OUT, POP): Fraction(-1000)}
    assert metric_terms(m["migration_balance_rate"], m) == balance  # derived: expanded
    assert metric_terms(m["net_migration_rate"], m) == balance  # its own series, declared equal to the same
    assert inherits_from(m["net_migration_rate"]) == ("in_migration_rate", "out_migration_rate")
    assert is_count(m["in_migrants"]) and not is_count(m["in_migration_rate"]) and not is_count(m["net_migration_rate"])
    family = next(f for f in families(m) if "in_migrants" in f)
    assert family == {"in_migrants", "out_migrants", "gross_migration", "in_migration_rate", "out_migration_rate",
                      "migration_balance_rate", "net_migration_rate"}


def _write(directory: Path, mid: str, body: str) -> None:
    head = (f"schema_version: 1\nid: {mid}\nstatus: draft\ntheme: economy_services\n"
            "name: {fi: T}\ndescription: {fi: T.}\nunit: {fi: t}\ndirection: neutral\n")
    (directory / f"{mid}.yaml").write_text(head + body, encoding="utf-8")


def test_non_linear_formulas_and_declaration_errors(tmp_path: Path) -> None:
    directory = tmp_path / "economy_services"
    directory.mkdir()
    _write(directory, "count_a", "kind: simple\nseries: sotkanet:3196\naggregation: sum\n")
    _write(directory, "count_b", "kind: simple\nseries: sotkanet:3197\naggregation: sum\n")
    _write(directory, "product", "kind: derived\nexpression: count_a * count_b\n")
    _write(directory, "halved", "kind: derived\nexpression: (count_a - count_b) / 2\n")
    _write(directory, "linked", "kind: simple\nseries: sotkanet:178\nweight: sotkanet:127\ndisclosure:\n  linked_to: [count_a]\n")
    _write(directory, "self_ref", "kind: simple\nseries: sotkanet:181\nweight: sotkanet:127\ndisclosure:\n  relation: self_ref * 2\n")
    _write(directory, "loop_a", "kind: simple\nseries: sotkanet:180\nweight: sotkanet:127\ndisclosure:\n  linked_to: [loop_b]\n")
    _write(directory, "loop_b", "kind: simple\nseries: sotkanet:170\nweight: sotkanet:127\ndisclosure:\n  linked_to: [loop_a]\n")
    catalog = load_catalog(tmp_path)
    m = catalog.metrics
    assert metric_terms(m["product"], m) is None  # not linear: hidden whenever an input is
    assert metric_terms(m["halved"], m) == {TermKey(IN): Fraction(1, 2), TermKey(OUT): Fraction(-1, 2)}
    assert inherits_from(m["linked"]) == ("count_a",) and metric_terms(m["linked"], m) == {
        TermKey("sotkanet:178", None, "weighted", "sotkanet:127"): 1}
    codes = {(i.file.rsplit("/", 1)[-1], i.code) for i in catalog.errors}
    assert ("self_ref.yaml", "disclosure-self") in codes
    assert {("loop_a.yaml", "disclosure-cycle"), ("loop_b.yaml", "disclosure-cycle")} <= codes
    assert not {"self_ref", "loop_a", "loop_b"} & set(m)
    assert {b.file.rsplit("/", 1)[-1] for b in catalog.broken_files()} == {"self_ref.yaml", "loop_a.yaml", "loop_b.yaml"}
