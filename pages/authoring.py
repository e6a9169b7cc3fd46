"""Uusi mittari / Ny indikator / Define a metric: a guided form that writes a correct metric file.

Workshop participants (role `author`) never edit YAML. The first tab defines a metric from a
sentence ("X per 1 000 residents": `metrics.templates`, drawn by `ui.authoring_sentence`); the
second has every field for advanced use. As they type, the page shows every problem in plain
language, the exact file that will be saved and a preview computed by the same metric layer as
the dashboard (`ui.authoring_preview`). Saving writes a draft atomically and refuses to overwrite
someone else's newer save (`metrics.authoring`, `metrics.authoring_store`); who may approve is
`metrics.approval`'s rule. The third tab loads a municipality's own figures (CSV/Excel) through
`ui.authoring_support`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, fields, replace
from typing import Any

import pandas as pd
import streamlit as st

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.authoring import (
    KINDS,
    AuthoringError,
    MetricForm,
    OpenedMetric,
    build_metric,
    copy_form,
    form_from_metric,
    parse_yaml,
    render_yaml,
    restore_version,
    save_metric,
    search_series,
    unified_diff,
)
from metrics.authoring_store import StoreError
from metrics.errors import MetricsError
from metrics.model import Aggregation, CompareKind, Direction, MetricStatus, Theme
from metrics.templates import population_series, sentence_form, suggest_id
from readout.text import escape_markdown, text_plain
from ui import authoring_sentence as sentence
from ui import authoring_support as support
from ui.authoring_preview import preview_block
from ui.authoring_review import history_label, review_block
from ui.frame import guarded, page_frame

logger = logging.getLogger(__name__)

PAGE_ID = "authoring"
P = "au_"  # widget key prefix
FORM_FIELDS = tuple(f.name for f in fields(MetricForm))
DEFAULTS = asdict(MetricForm())

ctx = page_frame(PAGE_ID)
lang: str = ctx.lang
user = ctx.user


def tr(key: str, **params: Any) -> str:
    return t(f"authoring.{key}", lang, **params)


# ---------------------------------------------------------------------------- state helpers


def _opened() -> OpenedMetric | None:
    raw = st.session_state.get(f"{P}opened")
    return OpenedMetric(**raw) if raw else None


def _set_opened(opened: OpenedMetric | None) -> None:
    st.session_state[f"{P}opened"] = None if opened is None else {
        "metric_id": opened.metric_id,
        "path": opened.path,
        "text": opened.text,
        "fingerprint": opened.fingerprint,
    }


def _fill_form(form: MetricForm) -> None:
    for name, value in asdict(form).items():
        st.session_state[f"{P}{name}"] = list(value) if isinstance(value, tuple) else value


def _form_from_state() -> MetricForm:
    values: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = st.session_state.get(f"{P}{name}", DEFAULTS[name])
        if isinstance(DEFAULTS[name], tuple):
            value = tuple(value or ())
        elif value is None:
            value = ""
        values[name] = value
    return MetricForm(**values)


def _start(mode: str, metric_id: str | None) -> None:
    """Callback of the 'open in the form' button: fill the widgets before they are drawn."""
    st.session_state.pop(f"{P}flash", None)
    try:
        _start_unchecked(mode, metric_id)
    except (StoreError, MetricsError, OSError, ValueError) as exc:  # e.g. the file was removed meanwhile
        logger.warning("could not open %s: %s", metric_id, exc)
        key = exc.key if isinstance(exc, StoreError) else "authoring.error.not_found"
        params = exc.params if isinstance(exc, StoreError) else {"metric_id": metric_id or ""}
        st.session_state[f"{P}flash"] = ("error", t(key, lang, **params))


def _start_unchecked(mode: str, metric_id: str | None) -> None:
    store = support.metric_store()
    if mode == "new" or not metric_id:
        _fill_form(MetricForm())
        _set_opened(None)
        return
    catalog = support.current_catalogue()
    metric = catalog.get(metric_id)
    if mode == "copy":
        _fill_form(copy_form(metric, taken_ids=set(catalog.metrics)))
        _set_opened(None)
    else:
        opened = store.open(metric_id)  # the form is built from exactly the text whose fingerprint we keep
        _fill_form(form_from_metric(parse_yaml(opened.text, metric_id)))
        _set_opened(opened)
    st.session_state[f"{P}flash"] = ("info", tr("start.opened", metric_id=metric_id))


def _flash(kind: str, text: str) -> None:
    st.session_state[f"{P}flash"] = (kind, text)


_pending = st.session_state.pop(f"{P}pending_form", None)
if _pending is not None:  # a form chosen after the widgets were drawn (restore): fill it now
    _fill_form(MetricForm(**_pending))
for _name in FORM_FIELDS:
    _default = DEFAULTS[_name]
    st.session_state.setdefault(f"{P}{_name}", list(_default) if isinstance(_default, tuple) else _default)
st.session_state.setdefault(f"{P}opened", None)


# ---------------------------------------------------------------------------- widgets


def series_picker(field_name: str, series: pd.DataFrame, titles: dict[str, str]) -> None:
    """A name search and a choice of the matching series (the current choice always stays listed)."""
    label = tr(f"field.{field_name}")
    query = st.text_input(f"{tr('search.label')}: {label}", key=f"{P}{field_name}_q", help=tr("search.help"))
    matches = search_series(series, query, lang) if not series.empty else series
    options = [""] + [c for c in matches["code"]] if not matches.empty else [""]
    current = st.session_state.get(f"{P}{field_name}") or ""
    if current and current not in options:
        options.insert(1, current)
    if query and len(options) == 1:
        st.caption(tr("search.none"))
    st.selectbox(
        label,
        options,
        key=f"{P}{field_name}",
        format_func=lambda code: f"{titles.get(code, code)} ({code})" if code else tr("choose"),
    )


def text_triplet(field_name: str, area: bool = False) -> None:
    for code in ("fi", "sv", "en"):
        label = f"{tr(f'field.{field_name}')} ({tr(f'lang.{code}')})"
        if area:
            st.text_area(label, key=f"{P}{field_name}_{code}", height=80)
        else:
            st.text_input(label, key=f"{P}{field_name}_{code}")


def enum_select(field_name: str, values: list[str], label_prefix: str, allow_empty: str | None = "choose") -> None:
    options = ([""] if allow_empty else []) + values
    st.selectbox(
        tr(f"field.{field_name}"),
        options,
        key=f"{P}{field_name}",
        format_func=lambda v: (t(f"{label_prefix}.{v}", lang) if "." in label_prefix else tr(f"{label_prefix}.{v}"))
        if v else tr(allow_empty or "choose"),
    )


def render_messages(messages: Any) -> None:
    for message in messages:
        text = escape_markdown(message.render(lang))  # a message quotes what was typed: never markup
        if message.level == "error":
            st.error(text, icon=":material/error:")
        else:
            st.warning(text, icon=":material/info:")


def _series_titles(series: Any) -> dict[str, str]:
    """Series code -> title in the page language (Finnish with a marker where there is none)."""
    if series.empty:
        st.warning(tr("search.unavailable"))
        return {}
    label = support.series_labeller(series)
    return {code: label(code, lang) for code in series["code"]}


def start_block(catalog: Any) -> None:
    """How to start: a new metric, a copy of one, or editing one."""
    with st.expander(tr("start.label"), expanded=_opened() is None):
        mode = st.radio(tr("start.label"), ["new", "copy", "edit"], key=f"{P}start_mode",
                        format_func=lambda m: tr(f"start.{m}"), horizontal=True)
        chosen = None
        if mode != "new":
            ids = sorted(catalog.metrics)
            if not ids:
                st.info(tr("start.none"))
            else:
                chosen = st.selectbox(tr("start.metric"), ids, key=f"{P}start_metric",
                                      format_func=lambda i: f"{text_plain(catalog.metrics[i].name, lang)} ({i})")
        st.button(tr("start.button"), key=f"{P}start_button", on_click=_start, args=(mode, chosen))


def texts_section(opened: OpenedMetric | None) -> None:
    st.header(tr("section.texts"))
    st.caption(tr("draft_translations"))
    text_triplet("name")
    suggestion = suggest_id(st.session_state.get(f"{P}name_fi", ""), set(ctx.catalog.metrics))
    # The help text stays constant: a changing `help` would give the widget a new identity on
    # every keystroke in the name field, and the browser would briefly show two id inputs.
    st.text_input(tr("field.metric_id"), key=f"{P}metric_id", help=tr("id_help"), disabled=opened is not None)
    if opened is None and suggestion and suggestion != st.session_state.get(f"{P}metric_id"):
        st.caption(tr("id_suggestion", suggestion=suggestion))  # only once there is a name to suggest from
        st.button(t("workshop.sentence.use_suggestion", lang), key=f"{P}use_id",
                  on_click=lambda: st.session_state.update({f"{P}metric_id": suggestion}))
    text_triplet("description", area=True)
    enum_select("theme", [th.value for th in Theme], "metrics.theme")  # the one name of each theme


def inputs_section(series: Any, titles: dict[str, str]) -> None:
    st.header(tr("section.inputs"))
    st.radio(tr("field.kind"), list(KINDS), key=f"{P}kind", format_func=lambda k: tr(f"kind.{k}"))
    kind = st.session_state.get(f"{P}kind")
    if kind == "simple":
        series_picker("series", series, titles)
    elif kind == "ratio":
        series_picker("numerator", series, titles)
        series_picker("denominator", series, titles)
        st.text_input(tr("field.scale"), key=f"{P}scale", help=tr("scale_help"))
    elif kind == "sum":
        st.multiselect(tr("field.sum_series"), list(series["code"]) if not series.empty else [], key=f"{P}sum_series",
                       format_func=lambda code: f"{titles.get(code, code)} ({code})")
    elif kind == "derived":
        st.text_input(tr("field.expression"), key=f"{P}expression", help=tr("expression_help"))
    if kind in ("simple", "sum"):
        enum_select("aggregation", [a.value for a in Aggregation], "aggregation", allow_empty="default")
        series_picker("weight", series, titles)
    cols = st.columns(2)
    with cols[0]:
        enum_select("gender", ["total", "male", "female"], "gender", allow_empty="any")
    with cols[1]:
        st.text_input(tr("field.age_band"), key=f"{P}age_band", placeholder="15-64")


def _pair(first: tuple[str, str], second: tuple[str, str]) -> None:
    """Two text inputs side by side: (label, field) each."""
    cols = st.columns(2)
    for col, (label, name) in zip(cols, (first, second), strict=True):
        with col:
            st.text_input(label, key=f"{P}{name}")


def presentation_section() -> None:
    st.header(tr("section.presentation"))
    text_triplet("unit")
    cols = st.columns(2)
    with cols[0]:
        st.text_input(tr("field.decimals"), key=f"{P}decimals")
    with cols[1]:
        enum_select("direction", [d.value for d in Direction], "direction")
    st.text_area(tr("field.targets"), key=f"{P}targets", help=tr("targets_help"), height=80)
    _pair((tr("threshold_good"), "threshold_good"), (tr("threshold_poor"), "threshold_poor"))
    st.multiselect(tr("field.compare_with"), [c.value for c in CompareKind], key=f"{P}compare_with",
                   format_func=lambda c: tr(f"compare.{c}"))
    _pair((tr("field.owner"), "owner"), (tr("field.min_count"), "min_count"))


def checks_column(store: Any, form: MetricForm, opened: OpenedMetric | None, result: Any, context: Any) -> None:
    """The shared validation's messages, the file that would be saved (and its diff), saving."""
    st.header(tr("checks_heading"))
    if opened is None and form == MetricForm():
        st.info(tr("start_hint"))  # an untouched form: guidance, not a wall of red
    else:
        if result.ok:
            st.success(tr("all_ok"))
        render_messages(result.messages)
    if result.metric is not None:
        text = render_yaml(result.metric)
        st.header(tr("yaml_heading"))
        st.code(text, language="yaml", wrap_lines=True)
        if opened is not None:
            st.header(tr("diff_heading"))
            diff = unified_diff(opened.text, text)
            if diff:
                st.code(diff, language="diff", wrap_lines=True)
            else:
                st.caption(tr("diff_none"))
    else:
        st.info(tr("preview_none"))
    if st.button(tr("save_button"), key=f"{P}save", type="primary"):
        save(store, form, opened, context)
    if opened is not None:
        review_block(store, opened, user, lang, lambda saved, message, real: _approved(store, saved, message, real))
        history_block(store, opened)


def metric_tab() -> None:
    store = support.metric_store()
    catalog = ctx.catalog
    series = support.series_catalogue()
    titles = _series_titles(series)
    flash = st.session_state.pop(f"{P}flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])
    start_block(catalog)
    opened = _opened()
    left, right = st.columns([3, 2], gap="large")
    with left:
        texts_section(opened)
        inputs_section(series, titles)
        presentation_section()
    form = _form_from_state()
    context = support.authoring_context(catalog, series, is_new=opened is None)
    result = build_metric(form, context)
    with right:
        checks_column(store, form, opened, result, context)
    if result.metric is not None:
        preview_block(result.metric, ctx, f"{P}pv_")


def _author() -> str:
    return getattr(user, "email", "") or ""


def sentence_tab() -> None:
    """The quick path: a sentence, its checks and file, saving, and the preview that answers."""
    if st.session_state.pop(f"{sentence.K}reset", False):
        sentence.reset()
    flash = st.session_state.pop(f"{sentence.K}flash", None)
    if flash:
        st.success(flash)
    catalog = ctx.catalog
    series = support.series_catalogue()
    label = support.series_labeller(series)
    settings = get_settings()
    population = population_series(catalog.metrics, settings.population_metric, settings.coverage_weight_series)
    left, right = st.columns([3, 2], gap="large")
    with left:
        chosen = sentence.sentence_inputs(series, label, lang, set(catalog.metrics), catalog.metrics,
                                          lambda metric_id: support.metric_years(catalog, metric_id))
    chosen = replace(chosen, owner=getattr(user, "email", "") or "")  # the signed-in author owns it
    form = sentence_form(chosen, population=population, label=label, taken=set(catalog.metrics), metrics=catalog.metrics)
    context = support.authoring_context(catalog, series, is_new=True)
    result = build_metric(form, context)
    names = {mid: text_plain(m.name, lang) for mid, m in catalog.metrics.items()}
    with right:
        action = sentence.checks_panel(result, chosen, lang, support.series_title_map(series), names)
    if action == "save":
        _save_sentence(form, context)
    elif action == "to_full":
        st.session_state[f"{P}pending_form"] = asdict(form)
        _set_opened(None)
        _flash("info", t("workshop.sentence.moved", lang))
        st.rerun()
    if result.metric is not None:
        preview_block(result.metric, ctx, f"{sentence.K}pv_")


def _save_sentence(form: MetricForm, context: Any) -> None:
    """Save the quick path's metric as a draft; it then opens in the full form (review, history)."""
    store = support.metric_store()
    template = st.session_state.get(f"{sentence.K}template", "")
    saved = _try_save(store, form, None, context,
                      lambda messages: [st.error(sentence.message_text(m, template, lang)) for m in messages])
    if saved is None:
        return
    opened = store.open(saved.metric_id)
    _set_opened(opened)
    st.session_state[f"{P}pending_form"] = asdict(form_from_metric(parse_yaml(opened.text, saved.metric_id)))
    st.session_state[f"{sentence.K}reset"] = True
    st.session_state[f"{sentence.K}flash"] = t("workshop.sentence.saved", lang, metric_id=saved.metric_id)
    st.rerun()


def _try_save(store: Any, form: MetricForm, opened: OpenedMetric | None, context: Any, show: Any) -> Any | None:
    """Save through the store; every refusal becomes a plain message and None (nothing written)."""
    try:
        token = opened if opened is not None else store.new(form.metric_id.strip())
        return save_metric(store, form, token, context, author=_author())
    except AuthoringError as exc:
        st.error(tr("not_saved"))
        show(exc.messages)
    except StoreError as exc:  # ConflictError, AlreadyExistsError, InvalidIdError, ...
        st.error(t(exc.key, lang, **exc.params))
    except OSError as exc:
        logger.exception("saving %s failed", form.metric_id)
        st.error(tr("failed", reason=exc.strerror or type(exc).__name__))
    return None


def save(store: Any, form: MetricForm, opened: OpenedMetric | None, context: Any) -> None:
    saved = _try_save(store, form, opened, context, render_messages)
    if saved is None:
        return
    _set_opened(store.open(saved.metric_id))
    _flash("success", tr("saved", path=saved.label))
    st.rerun()


def _approved(store: Any, saved: Any, message: str, for_real: bool) -> None:
    """After an approval: reopen the saved file, say what happened, draw again."""
    _set_opened(store.open(saved.metric_id))
    if for_real:
        st.session_state[f"{P}status"] = MetricStatus.APPROVED.value
    _flash("success", message)
    st.rerun()


def history_block(store: Any, opened: OpenedMetric) -> None:
    with st.expander(tr("history_heading")):
        entries = store.history(opened.metric_id)
        if not entries:
            st.caption(tr("history_empty"))
            return
        labels = {e.version: history_label(e, lang) for e in entries}
        version = st.selectbox(tr("history_version"), list(labels), key=f"{P}history_version", format_func=labels.get)
        st.code(store.read_version(opened.metric_id, version), language="yaml")
        if st.button(tr("restore_button"), key=f"{P}restore"):
            try:
                restore_version(store, opened.metric_id, version, opened.fingerprint, author=_author())
            except AuthoringError as exc:
                render_messages(exc.messages)
                return
            except StoreError as exc:
                st.error(t(exc.key, lang, **exc.params))
                return
            reopened = store.open(opened.metric_id)
            _set_opened(reopened)
            st.session_state[f"{P}pending_form"] = asdict(form_from_metric(parse_yaml(reopened.text, opened.metric_id)))
            _flash("success", tr("restored", version=version))
            st.rerun()


st.title(tr("title"))
st.write(tr("intro"))
sentence_tab_, metric_tab_, own_tab = st.tabs([t("workshop.tab_sentence", lang), t("workshop.tab_full", lang),
                                               tr("tab_own_data")])
with sentence_tab_, guarded(ctx):
    sentence_tab()
with metric_tab_, guarded(ctx):
    metric_tab()
with own_tab, guarded(ctx):
    support.render_own_data_tab(lang, ctx.area)
