"""Plural forms in the translation layer: CLDR categories through Babel, checked catalogues."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kuntamittari import i18n
from kuntamittari.i18n import plural_forms, plural_problems, t

CATALOGUE = {
    "fi": 'rows:\n  one: "{count} rivi"\n  other: "{count} riviä"\nplain: "Rivejä: {count}"\n',
    "sv": 'rows:\n  one: "{count} rad"\n  other: "{count} rader"\nplain: "Rader: {count}"\n',
    "en": 'rows:\n  one: "{count} row"\n  other: "{count} rows"\nplain: "Rows: {count}"\n',
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for lang, text in files.items():
        (root / lang).mkdir(parents=True, exist_ok=True)
        (root / lang / "demo.yaml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The translation layer reading a small catalogue of our own instead of the product's."""
    monkeypatch.setattr(i18n, "LOCALES_DIR", _write(tmp_path, CATALOGUE))
    i18n._book.cache_clear()
    yield tmp_path
    i18n._book.cache_clear()


@pytest.mark.parametrize(("lang", "expected"), [
    ("fi", ["0 riviä", "1 rivi", "2 riviä", "21 riviä"]),
    ("sv", ["0 rader", "1 rad", "2 rader", "21 rader"]),
    ("en", ["0 rows", "1 row", "2 rows", "21 rows"]),
])
def test_count_chooses_the_cldr_form(demo: Path, lang: str, expected: list[str]) -> None:
    # CLDR: in fi, sv and en only the integer 1 is 'one'; 21 is 'other' (unlike e.g. Russian).
    assert [t("demo.rows", lang, count=n) for n in (0, 1, 2, 21)] == expected


def test_formatted_numerals_choose_by_what_the_reader_sees(demo: Path) -> None:
    assert t("demo.rows", "fi", count="1") == "1 rivi"
    assert t("demo.rows", "fi", count="1\u202f001") == "1\u202f001 riviä"  # readout.formatting's group space
    assert t("demo.rows", "en", count="1,000") == "1,000 rows"
    assert t("demo.rows", "sv", count="1,0") == "1,0 rader"  # visible decimals: CLDR says 'other'
    assert t("demo.rows", "en", count="–") == "– rows"  # a missing count reads as the general form


def test_a_plural_message_is_one_key(demo: Path) -> None:
    assert i18n.catalogue("sv")["demo.rows"] == "{count} rader"  # its 'other' form
    assert "demo.rows.one" not in i18n.catalogue("sv")
    assert plural_forms("en")["demo.rows"] == {"one": "{count} row", "other": "{count} rows"}
    assert not i18n.missing_keys()["sv"]
    assert t("demo.plain", "en", count=1) == "Rows: 1"  # a plain string ignores the category
    assert t("demo.rows", "en") == "{count} rows"  # no count: the general form, logged


def test_bad_plural_shapes_are_reported(tmp_path: Path) -> None:
    bad = dict(CATALOGUE)
    bad["sv"] = 'rows:\n  one: "{count} rad"\nplain: "Rader: {count}"\n'  # no 'other'
    bad["en"] = 'rows:\n  one: "one row"\n  other: "{count} rows"\n  few: "{count} rows"\nplain: "x"\n'
    problems = plural_problems(_write(tmp_path, bad))
    assert any(p.startswith("sv: demo.rows has no 'other'") for p in problems), problems
    assert any(p.startswith("en: demo.rows forms use different placeholders") for p in problems), problems
    assert any(p.startswith("en: demo.rows has forms ['few']") for p in problems), problems
    assert not any(p.startswith("fi:") for p in problems), problems


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("fi", "1 kunta", "2 kuntaa"), ("sv", "1 kommun", "2 kommuner"), ("en", "1 municipality", "2 municipalities"),
])
def test_site_index_line(lang: str, one: str, many: str) -> None:
    assert t("site.index_count", lang, count=1) == one
    assert t("site.index_count", lang, count=2) == many
