"""Data access for the authoring page (pages/authoring.py), which may not import datamodel itself.

The page needs: the metric store of the catalogue in use (the warehouse's, or the metrics
directory's files: `settings.catalogue_source`), the catalogue (uncached: a save must show at once), the series list to search (cached), a preview computed by the same metric
layer as the dashboard, and the own-data parse/validate/load functions of the data model. All
of it is here so the page stays widgets and text, and so every call is one function that a test
can use without Streamlit running.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.authoring import AuthoringContext, slugify
from metrics import warehouse
from metrics.authoring_store import CatalogueStore
from metrics.catalog import Catalog, load_catalog, load_database_catalog
from metrics.catalogue_store import metric_store as configured_store
from metrics.warehouse import DataModelError, InputTooLarge, ValidationFailed
from metrics.model import AnyMetric, CompareKind

logger = logging.getLogger(__name__)



def metrics_dir() -> Path:
    """The metrics directory in use (settings.metrics_dir / env KUNTAMITTARI_METRICS_DIR)."""
    return Path(get_settings().metrics_dir)


def metric_store() -> CatalogueStore:
    """The store of the catalogue in use: the warehouse's (every replica sees a save at once), or
    the files of the metrics directory (history in `metrics/.history`)."""
    from_db = get_settings().catalogue_source == "database"
    return configured_store(engine() if from_db else None)


def current_catalogue() -> Catalog:
    """The catalogue as it is stored now (not cached: a draft saved a moment ago must show)."""
    if get_settings().catalogue_source == "database":
        return load_database_catalog(engine(), check_series=False)  # as the files: no series check
    return load_catalog(metrics_dir())


def engine() -> Engine:
    """The shared engine (the frame's cached one)."""
    from ui.data import get_engine

    return get_engine()


@st.cache_data(ttl=600, max_entries=8, show_spinner=False)
def _series_frame(_engine: Engine, url: str) -> pd.DataFrame:
    from metrics.service import list_series

    return list_series(_engine)


def series_catalogue() -> pd.DataFrame:
    """Every series in the database (code, titles, unit, ...), for the name search; empty on error."""
    try:
        from ui.data import db_key

        eng = engine()
        return _series_frame(eng, db_key(eng))  # keyed by the data version: a new series shows after a load
    except Exception:  # noqa: BLE001 - the page explains an empty list; the log keeps the cause
        logger.exception("series list unavailable")
        return pd.DataFrame({"code": pd.Series(dtype=str), "title_fi": pd.Series(dtype=str)})


def series_title_map(series: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Series code -> its titles by language, only those the database has (for the readout's wording)."""
    langs = [lang for lang in ("fi", "sv", "en") if f"title_{lang}" in series.columns]
    return {
        str(row["code"]): {lang: row[f"title_{lang}"] for lang in langs if isinstance(row[f"title_{lang}"], str) and row[f"title_{lang}"]}
        for row in series.to_dict("records")
    }


def series_labeller(series: pd.DataFrame) -> Callable[[str, str], str]:
    """(code, language) -> the series' title as the readout words it: in that language, else the
    Finnish one with the "(in Finnish)" marker, else the code (`readout.formula.series_label`)."""
    from readout.formula import series_label

    titles = series_title_map(series)
    return lambda code, lang: series_label(code, lang, titles)


def metric_years(catalog: Catalog, metric_id: str) -> tuple[int, ...]:
    """The years a metric has data for, newest first (the base years a change may start from);
    empty when they cannot be read (the page then offers none). One small query on the series
    summary: not cached, so a load shows at once."""
    from metrics.service import metric_years as years

    try:
        return years(engine(), catalog, metric_id)
    except Exception:  # noqa: BLE001 - the list stays empty; the log keeps the cause
        logger.exception("years of %s unavailable", metric_id)
        return ()


def authoring_context(catalog: Catalog, series: pd.DataFrame, *, is_new: bool) -> AuthoringContext:
    """What the form is checked against: the series in the database and the metric ids in use."""
    codes = set(series["code"]) if not series.empty else None
    return AuthoringContext(series_codes=codes, metric_ids=set(catalog.metrics), is_new=is_new)


@dataclass(frozen=True)
class Preview:
    """Preview rows (area_code, area, period, value, ...) or the reason there are none."""

    rows: pd.DataFrame
    error: str | None = None


def preview_areas(metric: AnyMetric, eng: Engine, home: str | None = None) -> tuple[str, ...]:
    """The pilot municipalities, then the metric's comparison groups seen from the default area.

    Region, county and Finland are the aggregates the dashboard compares with (`MK17`, `HVA19`,
    `SSS`); pilot and similar are the named groups (`pilot`, `similar:<area>`).
    """
    from metrics.service import comparison_areas

    settings = get_settings()
    areas: list[str] = list(settings.pilot_group)
    home = home or settings.default_area
    for item in metric.compare_with:
        if isinstance(item, CompareKind):
            if item is CompareKind.PILOT:
                codes = ["pilot"]
            elif item is CompareKind.SIMILAR:
                codes = [f"similar:{home}"]
            else:
                codes = comparison_areas(eng, home, item.value)
        else:
            codes = list(item.codes)
        areas.extend(c for c in codes if c not in areas)
    return tuple(areas)


def preview(metric: AnyMetric, catalog: Catalog, lang: str, home: str | None = None) -> Preview:
    """The unsaved metric's values for the preview areas, from the dashboard's own service.

    The draft is evaluated in a copy of the catalogue that includes it, so a derived metric can
    refer to saved metrics and nothing on disk changes.
    """
    from metrics.model import Selection
    from metrics.service import query_metric

    draft_catalog = Catalog(
        metrics={**catalog.metrics, metric.id: metric},
        issues=list(catalog.issues),
        files=dict(catalog.files),
        directory=catalog.directory,
    )
    try:
        eng = engine()
        frame = query_metric(eng, draft_catalog, metric.id, Selection(areas=preview_areas(metric, eng, home)))
    except Exception as exc:  # noqa: BLE001 - shown as a plain message; the log keeps the traceback
        logger.exception("preview of %s failed", metric.id)
        # Never the exception's own text (it may hold SQL and data rows): a fault's line or "logged".
        reason = warehouse.fault_message(exc, lang) or t("errors.logged", lang)
        return Preview(pd.DataFrame(columns=["area_code", "area_name", "period", "value"]), reason)
    names = frame.get(f"area_name_{lang}", frame["area_name_fi"]) if f"area_name_{lang}" in frame else frame["area_name_fi"]
    frame = frame.assign(area_name=names.fillna(frame["area_name_fi"]))
    return Preview(frame)


# ---------------------------------------------------------------------------- areas


def area_names(lang: str) -> dict[str, str]:
    """Area code -> name in `lang` (Finnish when there is none); empty if the database is not ready."""
    from ui.data import area_names as cached_names, db_key

    try:
        eng = engine()
        return cached_names(eng, db_key(eng), lang)
    except Exception:  # noqa: BLE001 - names are a nicety; codes are shown instead
        logger.exception("area names unavailable")
        return {}


def municipality_options(lang: str) -> dict[str, str]:
    """Municipality code -> name (three-digit codes), pilot municipalities first."""
    names = area_names(lang)
    pilot = [c for c in get_settings().pilot_group if c in names]
    rest = sorted((c for c in names if len(c) == 3 and c.isdigit() and c not in pilot), key=lambda c: names[c])
    return {c: names[c] for c in pilot + rest}


# ---------------------------------------------------------------------------- own data

OWN_ROLES: tuple[str, ...] = ("area", "period", "group", "value", "numerator", "denominator")
OWN_KEY = "au_own_"
PARSE_PLACEHOLDER = "own:000:upload"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,80}$")


class UploadProblem(ValueError):
    """An upload that cannot be used; `key`/`params` name the plain-language message."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def upload_limit_bytes() -> int:
    """The upload limit in bytes (settings.upload_max_mb)."""
    return int(get_settings().upload_max_mb * 1024 * 1024)


def check_upload_size(size: int) -> None:
    """Refuse a file over settings.upload_max_mb before reading it."""
    limit = upload_limit_bytes()
    if size > limit:
        raise UploadProblem(
            "authoring.own.too_big", size=f"{size / 1024 / 1024:.1f}", max=f"{get_settings().upload_max_mb:g}"
        )


def parse_upload(
    data: bytes, filename: str, mapping: dict[str, str] | None = None, variable: str | None = None,
    *, is_count: bool = False,
) -> Any:
    """Parse and validate an upload against the database's areas; nothing is written.
    `is_count`: the user says the figures are counts (a negative one is refused here already).

    Returns the loader's `ParseReport`; raises `UploadProblem` for files that cannot be read.
    """
    check_upload_size(len(data))
    if not data.strip():
        raise UploadProblem("authoring.own.empty")
    try:
        return warehouse.parse_upload(
            engine(), data, filename=filename, series_code=PARSE_PLACEHOLDER, mapping=mapping or None,
            variable=variable or None, max_bytes=upload_limit_bytes(), is_count=is_count,
        )
    except InputTooLarge as exc:
        raise UploadProblem(
            "authoring.own.too_big", size=f"{len(data) / 1024 / 1024:.1f}", max=f"{get_settings().upload_max_mb:g}"
        ) from exc
    except (DataModelError, UnicodeError, ValueError, KeyError, IndexError) as exc:
        logger.info("upload %s unreadable: %s", filename, exc)
        raise UploadProblem("authoring.own.unreadable", reason=str(exc)) from exc


def series_code_for(municipality: str, slug: str) -> str:
    """`own:<municipality>:<slug>`; raises UploadProblem for a bad slug or a missing municipality."""
    if not municipality:
        raise UploadProblem("authoring.own.municipality_missing")
    if not SLUG.match(slug or ""):
        raise UploadProblem("authoring.own.slug_bad")
    return f"own:{municipality}:{slug}"


def import_upload(
    data: bytes,
    filename: str,
    *,
    series_code: str,
    title: str,
    mapping: dict[str, str] | None,
    variable: str | None = None,
    unit: str | None,
    is_count: bool,
    accept_partial: bool,
) -> Any:
    """Load a validated upload as a series in one transaction (provenance in `load_batch`).

    Raises `UploadProblem` with the reason when nothing was loaded (the database is unchanged).
    """
    if not title.strip():
        raise UploadProblem("authoring.own.name_missing")
    check_upload_size(len(data))
    try:
        report, result = warehouse.import_upload(
            engine(), data, series_code=series_code, title=title.strip(), filename=filename,
            mapping=mapping or None, variable=variable or None, unit=unit or None, is_count=is_count, accept_partial=accept_partial,
            max_bytes=upload_limit_bytes(),
        )
    except ValidationFailed as exc:
        report = exc.report
        if report is not None and getattr(report, "observations", None) is not None and report.observations.empty:
            raise UploadProblem("authoring.own.nothing_to_load") from exc
        raise UploadProblem("authoring.own.load_refused") from exc
    except DataModelError as exc:
        logger.exception("own-data load of %s failed", filename)
        raise UploadProblem("authoring.own.failed", reason=str(exc)) from exc
    _series_frame.clear()
    from ui.data import clear_all

    clear_all()
    return result


def variable_choices(report: Any) -> list[str]:
    """The values of a variable column (PxWeb's 'Tiedot') when the file holds several variables."""
    for issue in report.file_errors:
        if issue.code in ("choose-variable", "unknown-variable"):
            return [c for c in str(issue.params.get("choices", "")).split("; ") if c]
    return []


def rejected_rows_frame(report: Any, lang: str) -> pd.DataFrame:
    """Every problem of a report: row number, column, value and reason in `lang`."""
    rows = [
        {
            t("authoring.own.col_row", lang): issue.row,
            t("authoring.own.col_column", lang): issue.column or "",
            t("authoring.own.col_value", lang): "" if issue.value is None else str(issue.value),
            t("authoring.own.col_reason", lang): issue.message(lang),
        }
        for issue in report.issues
        if issue.row is not None
    ]
    return pd.DataFrame(rows)


def _tr(lang: str) -> Any:
    def tr(key: str, **params: Any) -> str:
        return t(f"authoring.own.{key}", lang, **params)

    return tr


def _mapping_block(auto: Any, lang: str) -> dict[str, str] | None:
    """The column mapping (pre-filled from the parser's guess); None when it cannot be used."""
    tr = _tr(lang)
    st.header(tr("mapping_heading"))
    st.caption(tr("mapping_help"))
    columns = [""] + list(auto.columns)
    mapping: dict[str, str] = {}
    grid = st.columns(3)
    for i, role in enumerate(OWN_ROLES):
        key = f"{OWN_KEY}map_{role}"
        if key not in st.session_state:
            st.session_state[key] = auto.mapping.get(role, "")
        with grid[i % 3]:
            chosen = st.selectbox(tr(f"role.{role}"), columns, key=key, format_func=lambda c: c if c else tr("not_used"))
        if chosen:
            mapping[role] = chosen
    used = list(mapping.values())
    duplicates = sorted({c for c in used if used.count(c) > 1})
    if duplicates:
        st.error(tr("mapping_duplicate", column=", ".join(duplicates)))
        return None
    needed = [tr(f"role.{r}") for r in ("area",) if r not in mapping]
    if "value" not in mapping and "numerator" not in mapping and not auto.year_columns:
        needed.append(tr("role.value"))
    if needed:
        st.error(tr("mapping_incomplete", roles=", ".join(needed)))
        return None
    return mapping


def _report_block(report: Any, lang: str) -> None:
    """What the validation found: how the file was read, every row counted, file errors, rejected
    rows by number and reason, rows without a value, and a preview of what will be loaded."""
    tr = _tr(lang)
    st.header(tr("report_heading"))
    summary = warehouse.describe_upload(report, lang)
    st.markdown(summary.read_as)
    for issue in report.file_errors:
        st.error(issue.message(lang))
    accepted = len(report.observations)
    if report.rejected_rows:
        st.warning(summary.counts)
        st.caption(t("workshop.upload.refused_rows", lang))
        st.dataframe(rejected_rows_frame(report, lang), hide_index=True, width="stretch")
    elif summary.missing_rows:
        st.info(summary.counts)
    elif not report.file_errors:
        st.success(tr("report_all_ok", count=accepted))
        st.caption(summary.counts)
    if summary.missing_text:
        st.caption(summary.missing_text)
    if accepted:
        st.header(tr("preview_heading"))
        shown = report.observations.drop(columns=["series_code"], errors="ignore").head(200)
        st.dataframe(shown, hide_index=True, width="stretch")


def _load_block(data: bytes, filename: str, mapping: dict[str, str], variable: str | None, report: Any,
                lang: str, home: str | None) -> None:
    """Name, municipality, unit and the load button (one transaction)."""
    tr = _tr(lang)
    municipalities = municipality_options(lang)
    default_muni = home or get_settings().default_area
    cols = st.columns(2)
    with cols[0]:
        title = st.text_input(tr("series_name"), key=f"{OWN_KEY}name")
        st.text_input(tr("series_slug"), key=f"{OWN_KEY}slug", placeholder=slugify(title) or "kotihoito")
        slug = st.session_state.get(f"{OWN_KEY}slug") or slugify(title).replace("_", "-")
    with cols[1]:
        options = list(municipalities) or [default_muni]
        municipality = st.selectbox(tr("municipality"), options,
                                    index=options.index(default_muni) if default_muni in options else 0,
                                    key=f"{OWN_KEY}municipality", format_func=lambda c: f"{municipalities.get(c, c)} ({c})")
        unit = st.text_input(tr("unit"), key=f"{OWN_KEY}unit")
        is_count = bool(st.session_state.get(f"{OWN_KEY}is_count", False))
    accept_partial = bool(report.rejected_rows) and st.checkbox(tr("accept_partial"), key=f"{OWN_KEY}accept_partial")
    if not st.button(tr("load_button"), key=f"{OWN_KEY}load", type="primary"):
        return
    try:
        if not title.strip():
            raise UploadProblem("authoring.own.name_missing")
        code = series_code_for(municipality, slug)
        result = import_upload(data, filename, series_code=code, title=title, mapping=mapping, variable=variable,
                               unit=unit, is_count=is_count, accept_partial=accept_partial)
    except UploadProblem as exc:
        st.error(t(exc.key, lang, **exc.params))
        return
    st.success(tr("loaded", count=result.rows_inserted + result.rows_updated + result.rows_unchanged, series=code))


def render_own_data_tab(lang: str, home: str | None = None) -> None:
    """The own-data tab: upload, column mapping, validation report, preview, transactional load."""
    tr = _tr(lang)
    st.write(tr("intro"))
    upload = st.file_uploader(tr("upload"), type=["csv", "txt", "xlsx", "xlsm"], key=f"{OWN_KEY}file")
    if upload is None:
        return
    try:
        check_upload_size(int(upload.size))
        data = upload.getvalue()
        signature = (upload.name, len(data))
        if st.session_state.get(f"{OWN_KEY}sig") != signature:  # a new file: forget the old mapping
            for role in OWN_ROLES:
                st.session_state.pop(f"{OWN_KEY}map_{role}", None)
            st.session_state[f"{OWN_KEY}sig"] = signature
        auto = parse_upload(data, upload.name)
    except UploadProblem as exc:
        st.error(t(exc.key, lang, **exc.params))
        return
    mapping = _mapping_block(auto, lang)
    if mapping is None:
        return
    variable = None
    choices = variable_choices(auto)
    if choices:
        variable = st.selectbox(tr("variable"), choices, key=f"{OWN_KEY}variable", help=tr("variable_help"))
    is_count = st.checkbox(tr("is_count"), key=f"{OWN_KEY}is_count")
    try:
        same = mapping == dict(auto.mapping) and variable is None and not is_count
        report = auto if same else parse_upload(data, upload.name, mapping, variable, is_count=is_count)
    except UploadProblem as exc:
        st.error(t(exc.key, lang, **exc.params))
        return
    _report_block(report, lang)
    _load_block(data, upload.name, mapping, variable, report, lang, home)
