"""Every digest item kind reads as a full sentence in fi, sv and en, with the project's formats."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from digest.compute import KINDS, DigestEntry
from readout.digest import item_sentence, kind_label
from readout.refresh_report import progress_text, run_lines
from refresh.report import Progress

PAYLOADS = {
    "new_period": {"periods": ["2012", "2013"], "value": 9.44, "previous_period": "2011", "previous_value": 10.0},
    "revised": {"old": 9.4, "new": 10.4},
    "threshold": {"from_band": "watch", "to_band": "poor", "value": 12.3, "previous_value": 11.0, "previous_period": "2011"},
    "target": {"reached": True, "value": 7.9, "target": 8.0, "target_year": 2015, "previous_period": "2011"},
    "outside_forecast": {"value": 14.2, "yhat": 10.1, "lower": 9.0, "upper": 11.2, "side": "above", "trained_until": "2011"},
    "rank": {"rank": 2, "of": 10, "previous_rank": 5, "previous_of": 10, "previous_period": "2011", "group": "pilot"},
}


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_sentences_complete(kind, lang, catalog):
    item = DigestEntry(1, "208", "unemployment_rate", "working_age", kind, "2013", PAYLOADS[kind])
    text = item_sentence(item, catalog, lang)
    name = catalog.get("unemployment_rate").name.as_dict()[lang]
    assert text.startswith(f"{name}: ") and "{" not in text and "None" not in text
    assert kind_label(kind, lang) and not kind_label(kind, lang).startswith("digest.")


def test_numbers_follow_the_language(catalog):
    item = DigestEntry(1, "208", "unemployment_rate", "working_age", "revised", "2008", PAYLOADS["revised"])
    assert "9,4 → 10,4 %" in item_sentence(item, catalog, "fi")
    assert "9.4 → 10.4 %" in item_sentence(item, catalog, "en")
    rank = DigestEntry(1, "208", "unemployment_rate", "working_age", "rank", "2013", PAYLOADS["rank"])
    assert "5./10 (2011) → 2./10 (2013)" in item_sentence(rank, catalog, "fi")
    assert "bland pilotkommunerna" in item_sentence(rank, catalog, "sv")


def test_counted_refresh_lines_follow_the_count() -> None:
    assert run_lines(SimpleNamespace(digest_items=1, alerts={}), "en") == ["What's new: 1 change stored."]
    assert run_lines(SimpleNamespace(digest_items=21, alerts={}), "sv") == ["Nytt: 21 förändringar sparade."]
    assert progress_text(Progress("sotkanet", 0, 1), "sv") == "Hämtar från THL Sotkanet: 0/1 serie"
    assert progress_text(Progress("statfin", 1, 2), "fi") == "Haetaan Tilastokeskuksesta: 1/2 sarjaa"
