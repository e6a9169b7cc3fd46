"""The words of the change digest ("Mitä uutta"): one sentence per stored item, in fi, sv or en.

Every digest sentence is made here and only here (the overview and data-status pages, the
e-mail, the webhook and `kuntamittari digest` call `item_sentence`), from the templates in
`locales/<lang>/digest.yaml` and the readout's number and period formats, so the same change
reads the same everywhere. The readout sits below the `digest` package and never imports it: an
item is any record with the fields of `digest.compute.DigestEntry` (`metric_id`, `kind`,
`period`, `payload`), worded from those fields alone. Band words are the metric layer's
(`metrics.band.*`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from readout.formatting import format_date, format_number, format_period
from kuntamittari.i18n import t
from metrics.catalog import Catalog
from readout.text import text_plain


class DigestItem(Protocol):
    """What the words need of a digest item (a stored `DigestRecord` or a computed `DigestEntry`)."""

    metric_id: str
    kind: str
    period: str
    payload: Mapping[str, Any] | None


def _metric_words(catalog: Catalog, metric_id: str, lang: str) -> tuple[str, str, int]:
    metric = catalog.metrics.get(metric_id)
    if metric is None:
        return metric_id, "", 1
    return text_plain(metric.name, lang), text_plain(metric.unit, lang), metric.decimals


def _periods(periods: Any, lang: str) -> str:
    return ", ".join(format_period(str(p), lang) for p in (periods or []))


def item_sentence(item: DigestItem, catalog: Catalog, lang: str) -> str:
    """The sentence of one digest item (a `DigestRecord` or `DigestEntry`) in `lang`."""
    name, unit, decimals = _metric_words(catalog, item.metric_id, lang)
    p: Mapping[str, Any] = item.payload or {}

    def num(key: str) -> str:
        return format_number(p.get(key), lang, decimals)

    words: dict[str, Any] = {"metric": name, "unit": unit, "period": format_period(item.period, lang),
                             "previous_period": format_period(p.get("previous_period"), lang)}
    kind = item.kind
    if kind == "new_period":
        return t("digest.item.new_period", lang, **words, periods=_periods(p.get("periods"), lang),
                 value=num("value"), previous_value=num("previous_value"))
    if kind == "revised":
        return t("digest.item.revised", lang, **words, old=num("old"), new=num("new"))
    if kind == "threshold":
        return t("digest.item.threshold", lang, **words, value=num("value"),
                 from_band=t(f"metrics.band.{p.get('from_band')}", lang), to_band=t(f"metrics.band.{p.get('to_band')}", lang))
    if kind == "target":
        key = "digest.item.target_reached" if p.get("reached") else "digest.item.target_missed"
        return t(key, lang, **words, value=num("value"), target=num("target"), target_year=p.get("target_year", ""))
    if kind == "outside_forecast":
        key = "digest.item.outside_above" if p.get("side") == "above" else "digest.item.outside_below"
        return t(key, lang, **words, value=num("value"), lower=num("lower"), upper=num("upper"),
                 trained_until=format_period(p.get("trained_until"), lang))
    if kind == "rank":
        group = t(f"digest.group.{p.get('group', 'similar')}", lang)
        return t("digest.item.rank", lang, **words, rank=p.get("rank"), of=p.get("of"),
                 previous_rank=p.get("previous_rank"), previous_of=p.get("previous_of"), group=group)
    return f"{name}: {kind} {words['period']}"


def kind_label(kind: str, lang: str) -> str:
    """Short label of an item kind (a filter or a column heading)."""
    return t(f"digest.kind.{kind}", lang)


def digest_title(lang: str) -> str:
    """"Mitä uutta" / "Nytt" / "What's new"."""
    return t("digest.title", lang)


def batch_heading(loaded_at: datetime | None, lang: str) -> str:
    """The heading over one refresh's items: "Päivitetty 3.11.2026" / "Updated 3 Nov 2026"."""
    return t("digest.loaded", lang, date=format_date(loaded_at, lang))


def empty_text(lang: str) -> str:
    """What the digest says when no refresh has changed anything yet."""
    return t("digest.none_yet", lang)
