"""The data status page lists the load-time data-quality findings (its own self-contained block)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from kuntamittari.i18n import t

ROOT = Path(__file__).resolve().parents[2]


def test_data_status_lists_implausible_zeros(app_env: dict[str, str]) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "data_status.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert t("quality.title", "en") in [h.value for h in at.header]
    frames = [f.value for f in at.dataframe if t("quality.col.kind", "en") in f.value.columns]
    assert len(frames) == 1
    notes = frames[0]
    zeros = notes[notes[t("quality.col.kind", "en")] == t("quality.kind.implausible_zero", "en")]
    # Kainuu 2005: 8 of 9 municipalities reported 0 EUR of social assistance per inhabitant.
    kainuu = zeros[(zeros[t("quality.col.series", "en")] == "sotkanet:451") & (zeros[t("quality.col.periods", "en")] == "2005")]
    assert len(kainuu) == 1 and "Kajaani" in kainuu.iloc[0][t("quality.col.areas", "en")]
