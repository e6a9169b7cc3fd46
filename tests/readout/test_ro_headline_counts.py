"""The summary's headline counts read right for one metric as well as for many (plural forms)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from readout.localise import _headline


def _item(trend: str, verdict: str | None) -> SimpleNamespace:
    versus = None if verdict is None else SimpleNamespace(verdict=verdict)
    return SimpleNamespace(trend=trend, comparison=lambda _scope: versus)


@pytest.mark.parametrize(("lang", "one", "many"), [
    ("en", ["Kalajoki: in 2006–2011 1 metric has improved and 0 have worsened (of 1 metric).",
            "In the newest figures (2011), compared with the whole of Finland 1 metric is at a better level and 0 at a worse level."],
     ["Kalajoki: in 2006–2011 2 metrics have improved and 1 has worsened (of 3 metrics).",
      "In the newest figures (2011), compared with the whole of Finland 2 metrics are at a better level and 1 at a worse level."]),
    ("fi", ["Kalajoki: vuosina 2006–2011 parantuneita mittareita on 1 ja heikentyneitä 0 (yhteensä 1 mittari).",
            "Uusimmissa luvuissa (2011) koko Suomeen verrattuna paremmalla tasolla on 1 mittari ja heikommalla tasolla 0 mittaria."],
     ["Kalajoki: vuosina 2006–2011 parantuneita mittareita on 2 ja heikentyneitä 1 (yhteensä 3 mittaria).",
      "Uusimmissa luvuissa (2011) koko Suomeen verrattuna paremmalla tasolla on 2 mittaria ja heikommalla tasolla 1 mittari."]),
    ("sv", ["Kalajoki: under åren 2006–2011 har 1 indikator förbättrats och 0 försämrats (av 1 indikator).",
            "I de nyaste siffrorna (2011) jämfört med hela Finland ligger 1 indikator på en bättre nivå och 0 på en sämre nivå."],
     ["Kalajoki: under åren 2006–2011 har 2 indikatorer förbättrats och 1 försämrats (av 3 indikatorer).",
      "I de nyaste siffrorna (2011) jämfört med hela Finland ligger 2 indikatorer på en bättre nivå och 1 på en sämre nivå."]),
])
def test_headline_counts(lang: str, one: list[str], many: list[str]) -> None:
    single = [_item("improving", "better")]
    several = [_item("improving", "better"), _item("improving", "better"), _item("worsening", "worse")]
    assert list(_headline(single, "Kalajoki", "2011", lang)) == one
    assert list(_headline(several, "Kalajoki", "2011", lang)) == many
