"""Done-when: `refresh` against recorded Sotkanet and PxWeb answers on a local server, two releases.

Release 1 is loaded first (a first load is not news: no digest, no mail); release 2 publishes
2010-2011 (real bundled values), 2025M01 and a few revised values: the digest lists exactly those
changes, one e-mail arrives, and a third refresh with nothing new sends nothing.
"""

from __future__ import annotations

import email
from email import policy

import pandas as pd
import pytest
from rf_releases import CODES, R1_LAST_YEAR, REVISIONS, release
from sqlalchemy import func, select

from alerts.subscriptions import add_subscription
from datamodel.schema import digest_item, fact, fact_revision, load_batch
from digest import digest_for_area
from readout.digest import item_sentence
from refresh import refresh_status, run_refresh

METRIC_OF = {181: "unemployment_rate", 127: "population"}


def _values(n: int) -> dict[tuple[int, str], dict[int, float]]:
    """(indicator, municipality) -> {year: value} of a release, straight from its records."""
    out: dict[tuple[int, str], dict[int, float]] = {}
    for ind, rows in release(n).sotkanet.items():
        for r in rows:
            code = CODES.get(r["region"])
            if code is not None and r["value"] is not None and r["gender"] == "total":
                out.setdefault((ind, code), {})[r["year"]] = r["value"]
    return out


def _items(engine, kind: str, metric: str | None = None) -> set[tuple]:  # type: ignore[no-untyped-def]
    stmt = select(digest_item.c.metric_id, digest_item.c.area_code, digest_item.c.period).where(digest_item.c.kind == kind)
    with engine.connect() as conn:
        rows = {tuple(r) for r in conn.execute(stmt)}
    return {r for r in rows if metric is None or r[0] == metric}


def _band(v: float) -> str:  # unemployment_rate: good <= 8, poor >= 12, lower is better
    return "good" if v <= 8 else "poor" if v >= 12 else "watch"


@pytest.mark.slow
def test_two_releases_digest_and_one_mail(warehouse, catalog, sources, smtp, configured):
    inbox, _port = smtp
    add_subscription(warehouse, "email", "hyvinvointi@kalajoki.example", areas=["208", "244"], language="sv")

    first = run_refresh(warehouse, catalog)
    assert first.status == "ok"
    assert {s.source: s.status for s in first.sources} == {"sotkanet": "ok", "statfin": "ok"}
    assert first.digest_items == 0 and inbox.messages == []  # a first load is not news
    with warehouse.connect() as conn:
        batches = conn.execute(select(load_batch.c.source, load_batch.c.loader, load_batch.c.location, load_batch.c.checksum,
                                      load_batch.c.licence, load_batch.c.fetched_at)).all()
    assert {(b.source, b.loader) for b in batches} == {("sotkanet", "sotkanet-refresh"), ("statfin", "statfin-refresh")}
    assert all(b.checksum and b.licence == "CC BY 4.0" and b.fetched_at and "127.0.0.1" in b.location for b in batches)

    sources.release = release(2)
    second = run_refresh(warehouse, catalog)
    assert second.status == "ok"
    by_code = {s.code: s for src in second.sources for s in src.series}
    assert by_code["sotkanet:181"].status == "revised" and by_code["sotkanet:181"].revised_values == 1
    assert by_code["sotkanet:181"].new_periods == ["2010", "2011"]
    assert by_code["sotkanet:127"].revised_values == 1
    assert by_code["statfin:11s5:vaesto_kuukausi"].new_periods == ["2025M01"]
    assert by_code["statfin:11s5:vaesto_kuukausi"].revised_values == 1
    with warehouse.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fact_revision)).scalar_one() == 3

    old, new = _values(1), _values(2)
    # New periods: every municipality that had values and got 2010/2011 (first loads are not news).
    for ind, metric in METRIC_OF.items():
        expected = {(metric, code, str(max(y for y in new[(ind, code)] if y > R1_LAST_YEAR)))
                    for (i, code) in new if i == ind and old.get((ind, code))
                    and any(y > R1_LAST_YEAR for y in new[(ind, code)])}
        assert _items(warehouse, "new_period", metric) == expected
    # Revised: exactly the published revisions, old -> new.
    assert _items(warehouse, "revised") == {
        ("unemployment_rate", "208", "2008"), ("population", "244", "2009"), ("population_monthly", "208", "2024M12"),
    }
    rev = next(r for r in digest_for_area(warehouse, "208") if r.kind == "revised" and r.metric_id == "unemployment_rate")
    assert rev.payload["new"] == pytest.approx(old[(181, "208")][2008] + REVISIONS[(181, "208", 2008)])
    assert rev.payload["old"] == pytest.approx(old[(181, "208")][2008])
    # Thresholds: the band of the newest value before against the newest now.
    def latest(years: dict[int, float]) -> float:
        return years[max(years)]

    crossed = {("unemployment_rate", code, str(max(years))) for (i, code), years in new.items()
               if i == 181 and old.get((i, code)) and max(years) > R1_LAST_YEAR
               and _band(latest(old[(i, code)])) != _band(latest(years))}
    assert _items(warehouse, "threshold") == crossed and crossed
    # Rank among the pilot municipalities (lower unemployment is better), 2009 before vs 2011 now.
    pilots = ["009", "208", "244", "425", "436", "494", "535", "563", "678", "691"]
    r0 = pd.Series({c: old[(181, c)][2009] for c in pilots}).rank(method="min")
    r1 = pd.Series({c: new[(181, c)][2011] for c in pilots}).rank(method="min")
    moved = {("unemployment_rate", c, "2011") for c in pilots if r0[c] != r1[c]}
    assert _items(warehouse, "rank") == moved and moved
    # Target 8 % (for 2015): reached when at or below it (within half of the shown precision).
    reached = {("unemployment_rate", code, str(max(years))) for (i, code), years in new.items()
               if i == 181 and old.get((i, code)) and max(years) > R1_LAST_YEAR
               and (latest(old[(i, code)]) < 8.05) != (latest(years) < 8.05)}
    assert _items(warehouse, "target") == reached and reached
    # Outside the forecast: only new periods, and really outside the stored interval.
    assert _items(warehouse, "outside_forecast")
    for rec in (r for code in pilots for r in digest_for_area(warehouse, code) if r.kind == "outside_forecast"):
        p = rec.payload
        assert rec.period in ("2010", "2011") and p["trained_until"] == "2009"
        assert p["value"] < p["lower"] or p["value"] > p["upper"]
    # Monthly StatFin series: 2025M01 for every municipality in both the table and the warehouse.
    monthly = _items(warehouse, "new_period", "population_monthly")
    assert ("population_monthly", "208", "2025M01") in monthly and len(monthly) > 250

    # Exactly one mail, in Swedish, with the items of Kalajoki and Kempele and links back.
    assert len(inbox.messages) == 1
    sender, rcpt, raw = inbox.messages[0]
    assert rcpt == ["hyvinvointi@kalajoki.example"] and sender == "kuntamittari@kunta.example"
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"].startswith("Kuntamittari – Nytt")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    mine = [r for code in ("208", "244") for r in digest_for_area(warehouse, code, limit=None)]
    assert mine and all(item_sentence(r, catalog, "sv") in text for r in mine)
    assert "källan korrigerade värdet för 2008" in text
    assert "https://mittari.kunta.example/metric_detail?metric=unemployment_rate&amp;area=208&amp;lang=sv" in html
    assert "Alavieska" not in text  # not subscribed

    # Nothing new: no batch, no digest, no mail; the run still counts as a refresh.
    third = run_refresh(warehouse, catalog)
    assert third.batch_ids == [] and third.digest_items == 0 and len(inbox.messages) == 1
    assert {s.status for src in third.sources for s in src.series} <= {"skipped", "unchanged"}
    status = refresh_status(warehouse)
    assert status.last_refreshed is not None and not status.due
    with warehouse.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fact)).scalar_one() > 0
