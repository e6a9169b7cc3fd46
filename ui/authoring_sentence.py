"""The authoring page's quick path: a metric from a sentence, in a handful of choices.

The participant chooses a sentence (`metrics.templates`), picks each series from one searchable
list whose titles are in the page's language (Finnish with a marker where there is no
translation: `readout.formula.series_label`) — for "change since a year", a catalogue metric by
its name and a base year among the years it has data for — types the name, and says in plain
words which direction is better. The id is suggested from the name once there is one and used as it is
unless the participant types another. Everything else (kind, multiplier, unit, decimals,
description) comes from the sentence; the result is an ordinary form for the shared validator.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from kuntamittari.i18n import t
from metrics.authoring import render_yaml
from metrics.authoring_input import LANGS, FormMessage
from metrics.model import AnyMetric, CompareKind, Direction, MetricStatus, Theme
from metrics.templates import DEFAULT_COMPARE, DEFAULT_TEMPLATE, TEMPLATES, Sentence, metric_labeller, slot_of, suggest_id
from readout.formula import describe_formula
from readout.text import escape_markdown

K = "au_fp_"  # widget key prefix of the quick path
FIELDS = ("template", "x", "whole", "metric", "base_year", "name_fi", "name_sv", "name_en", "metric_id", "theme",
          "direction", "compare_with")
Label = Callable[[str, str], str]
Years = Callable[[str], Sequence[int]]  # metric id -> the years it has data for, newest first


def _tr(key: str, lang: str, **params: Any) -> str:
    return t(f"workshop.{key}", lang, **params)


def reset() -> None:
    """Forget the quick path's choices (after a save); call before its widgets are drawn."""
    for name in FIELDS:
        st.session_state.pop(f"{K}{name}", None)


def _series_select(slot: str, field: str, template: str, codes: list[str], label: Label, lang: str) -> str:
    """One searchable list of every series, titled in the page's language (type to filter)."""
    if st.session_state.get(f"{K}{field}") not in (None, *codes):
        st.session_state.pop(f"{K}{field}", None)
    chosen = st.selectbox(
        TEMPLATES[template].slot_label(slot, lang), codes, index=None, key=f"{K}{field}",
        format_func=lambda code: f"{label(code, lang)} ({code})", placeholder=t("authoring.choose", lang),
        help=_tr("sentence.series_help", lang),
    )
    return chosen or ""


def _change_inputs(template: str, metrics: Mapping[str, AnyMetric], years: Years, lang: str) -> tuple[str, int | None]:
    """A change since a year: the catalogue metric (by its name in the page's language) and the
    base year, among the years that metric has data for."""
    name = metric_labeller(metrics)
    ids = sorted((m for m, metric in metrics.items() if metric.status is not MetricStatus.RETIRED),
                 key=lambda m: name(m, lang).casefold())
    if st.session_state.get(f"{K}metric") not in (None, *ids):
        st.session_state.pop(f"{K}metric", None)
    chosen = st.selectbox(
        TEMPLATES[template].slot_label("x", lang), ids, index=None, key=f"{K}metric",
        format_func=lambda m: f"{name(m, lang)} ({m})", placeholder=t("authoring.choose", lang),
        help=t("change.metric_help", lang),
    )
    options = list(years(chosen)) if chosen else []
    if st.session_state.get(f"{K}base_year") not in (None, *options):
        st.session_state.pop(f"{K}base_year", None)
    year = st.selectbox(
        TEMPLATES[template].slot_label("base_year", lang), options, index=None, key=f"{K}base_year",
        placeholder=t("authoring.choose", lang) if chosen else t("change.choose_metric_first", lang),
        disabled=not chosen, help=t("change.year_help", lang),
    )
    return chosen or "", (int(year) if year is not None else None)


def _names(lang: str, taken: Collection[str]) -> tuple[dict[str, str], str]:
    """The name in three languages and the id (typed, else suggested from the Finnish name)."""
    names = {}
    for code in LANGS:
        language = t(f"authoring.lang.{code}", lang)
        names[code] = st.text_input(_tr("sentence.name", lang, language=language), key=f"{K}name_{code}")
    suggestion = suggest_id(names["fi"], taken)
    typed = st.text_input(_tr("sentence.id", lang), key=f"{K}metric_id", placeholder=suggestion or None,
                          help=_tr("sentence.id_help", lang))
    if typed.strip():
        st.caption(_tr("sentence.id_own", lang, metric_id=typed.strip()))
    elif suggestion:
        st.caption(_tr("sentence.id_used", lang, metric_id=suggestion))
    return names, typed


def sentence_inputs(series: pd.DataFrame, label: Label, lang: str, taken: Collection[str],
                    metrics: Mapping[str, AnyMetric] | None = None, years: Years | None = None) -> Sentence:
    """Draw the quick path's widgets and return what they say (`metrics` and `years`: the
    catalogue and its metrics' data years, for a change since a year)."""
    st.caption(_tr("sentence.intro", lang))
    template = st.radio(_tr("sentence.template", lang), list(TEMPLATES), key=f"{K}template",
                        index=list(TEMPLATES).index(DEFAULT_TEMPLATE),
                        format_func=lambda k: TEMPLATES[k].sentence(lang))
    codes = sorted(series["code"], key=lambda c: label(c, lang).casefold()) if not series.empty else []
    slots = TEMPLATES[template].slots
    base_year: int | None = None
    whole = ""
    if TEMPLATES[template].change:
        x, base_year = _change_inputs(template, metrics or {}, years or (lambda _m: ()), lang)
    else:
        x = _series_select(slots[0], "x", template, codes, label, lang)
        whole = _series_select("whole", "whole", template, codes, label, lang) if "whole" in slots else ""
    names, typed = _names(lang, taken)
    theme = st.selectbox(t("authoring.field.theme", lang), [th.value for th in Theme], index=None, key=f"{K}theme",
                         format_func=lambda v: t(f"metrics.theme.{v}", lang), placeholder=t("authoring.choose", lang))
    direction = st.radio(_tr("sentence.direction", lang), [d.value for d in Direction], index=None, key=f"{K}direction",
                         format_func=lambda d: _tr(f"sentence.direction_options.{d}", lang))
    st.session_state.setdefault(f"{K}compare_with", list(DEFAULT_COMPARE))
    compare = st.multiselect(t("authoring.field.compare_with", lang), [c.value for c in CompareKind],
                             key=f"{K}compare_with", format_func=lambda c: t(f"authoring.compare.{c}", lang))
    return Sentence(template=template, x=x, whole=whole, base_year=base_year, name_fi=names["fi"], name_sv=names["sv"], name_en=names["en"],
                    metric_id=typed, theme=theme or "", direction=direction or "", compare_with=tuple(compare))


def message_text(message: FormMessage, template: str, lang: str, sentence: Sentence | None = None) -> str:
    """A validation message labelled the way the quick path names its fields (the sentence's
    slots instead of "numerator"/"denominator", the quick path's id label)."""
    slot = slot_of(template, message.field, sentence or Sentence(template=template))
    if slot and template in TEMPLATES:
        label = TEMPLATES[template].slot_label(slot, lang)
    elif message.field == "metric_id":
        label = _tr("sentence.id", lang)
    else:
        label = t(f"authoring.field.{message.field.split('.')[0]}", lang)
    # A message quotes what was typed: shown as literal text, never as Markdown.
    return escape_markdown(f"{label}: {t(f'{message.domain}.{message.code}', lang, **dict(message.params))}")


def checks_panel(result: Any, chosen: Sentence, lang: str, titles: Mapping[str, Mapping[str, str]],
                 names: Mapping[str, str] | None = None) -> str | None:
    """The shared validation's messages, the formula in words (`names`: metric names for a
    formula over metrics), the file to be saved and the two buttons; returns "save", "to_full"
    (continue in the full form) or None."""
    st.header(t("authoring.checks_heading", lang))
    if untouched(chosen):
        st.info(_tr("sentence.start_hint", lang))
    else:
        if result.ok:
            st.success(t("authoring.all_ok", lang))
        for message in result.messages:
            (st.error if message.level == "error" else st.warning)(message_text(message, chosen.template, lang, chosen))
    if result.metric is None:
        return None
    st.caption(_tr("sentence.formula", lang, formula=describe_formula(result.metric, lang, titles, names)))
    st.header(t("authoring.yaml_heading", lang))
    st.code(render_yaml(result.metric), language="yaml", wrap_lines=True)
    left, right = st.columns(2)
    if left.button(t("authoring.save_button", lang), key=f"{K}save", type="primary"):
        return "save"
    if right.button(_tr("sentence.to_full_form", lang), key=f"{K}to_full"):
        return "to_full"
    return None


def untouched(sentence: Sentence) -> bool:
    """Nothing chosen or typed yet (the page shows guidance instead of a list of errors)."""
    return not (sentence.x or sentence.whole or sentence.base_year or sentence.name_fi.strip() or sentence.theme
                or sentence.direction)


__all__ = ["K", "checks_panel", "message_text", "reset", "sentence_inputs", "untouched"]
