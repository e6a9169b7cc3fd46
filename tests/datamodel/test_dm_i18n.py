"""The datamodel message catalogue is complete in fi/sv/en and every issue code has a message."""

from __future__ import annotations

import re
from pathlib import Path

from kuntamittari.i18n import catalogue

ROOT = Path(__file__).resolve().parents[2]


def test_datamodel_keys_complete_and_placeholders_agree() -> None:
    fi = {k: v for k, v in catalogue("fi").items() if k.startswith("datamodel.")}
    assert fi
    for lang in ("sv", "en"):
        other = {k: v for k, v in catalogue(lang).items() if k.startswith("datamodel.")}
        assert set(other) == set(fi), lang
        for key, text in fi.items():
            assert set(re.findall(r"{(\w+)}", other[key])) == set(re.findall(r"{(\w+)}", text)), (lang, key)
            if key.startswith("datamodel.issue.") and lang == "sv":
                assert other[key] != text  # really translated


def test_every_issue_code_has_a_message() -> None:
    source = (ROOT / "datamodel" / "loaders" / "own_data.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'\bIssue\(\s*"([a-z-]+)"', source)) | set(re.findall(r'\bIssue\("[a-z-]+" if .*? else "([a-z-]+)"', source))
    assert {"unknown-area", "bad-number", "bad-period", "duplicate", "choose-variable", "non-finite",
            "formula-without-value"} <= codes
    for code in codes:
        assert f"datamodel.issue.{code}" in catalogue("fi") or f"valuecheck.{code}" in catalogue("fi"), code
