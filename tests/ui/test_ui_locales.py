"""The dashboard's message domains are complete in fi/sv/en and every literal key used exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kuntamittari.i18n import catalogue, has, missing_keys, plural_forms, plural_problems
from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("app", "overview", "compare", "detail", "status", "readout", "public", "api_problems")
FILES = [ROOT / p for p in ("pages/overview.py", "pages/compare.py", "pages/metric_detail.py", "pages/data_status.py",
                            "ui/frame.py", "ui/cards.py", "ui/views.py", "ui/public.py", "readout/tables.py",
                            "readout/localise.py", "readout/export.py")]
KEY = re.compile(r"""\bt\(\s*f?["']([a-z_]+\.[a-z_.]+)["']""")


def test_domains_complete_in_every_language() -> None:
    for lang, missing in missing_keys().items():
        ours = sorted(k for k in missing if k.split(".")[0] in DOMAINS)
        assert not ours, f"{lang} lacks {ours}"
    for lang in ("sv", "en"):
        extra = [k for k in catalogue(lang) if k.split(".")[0] in DOMAINS and k not in catalogue("fi")]
        assert not extra, f"{lang} has keys Finnish lacks: {extra}"


def test_every_domain_has_one_key_set_and_well_formed_plurals() -> None:
    """All domains: a plural mapping is one key (see test_ui_plurals), every language has the same keys,
    and every plural message has `other`, only its language's CLDR categories and one placeholder set."""
    assert all(not missing for missing in missing_keys().values()), missing_keys()
    for lang in ("sv", "en"):
        assert set(catalogue(lang)) == set(catalogue("fi")), lang
    for lang in ("fi", "sv", "en"):
        assert "site.index_count" in plural_forms(lang)
    assert plural_problems() == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_literal_keys_exist(path: Path) -> None:
    keys = [k for k in KEY.findall(path.read_text(encoding="utf-8")) if not k.endswith(".")]
    assert keys
    missing = [k for k in keys if not has(k, "fi")]
    assert not missing, missing


def test_registry_titles_and_sections_translated() -> None:
    for spec in PAGES:
        for lang in ("fi", "sv", "en"):
            assert has(spec.title_key, lang) and has(spec.section_key, lang), (spec.id, lang)
