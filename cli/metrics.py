"""Command-line commands of the `metrics` package (registered on the main `kuntamittari` app).

`validate`, `list`, `explain`, `schema` and `export-metric`: thin shells over the library.
Exit codes: 0 ok, 1 validation or data errors, 2 usage or configuration errors.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.options import DbOpt, DirOpt, LangOpt, say
from rich.console import Console

from cli.database import open_engine
from cli.guard import guarded
from datamodel.errors import ConfigError, DataModelError
from kuntamittari.i18n import configured_language, t
from readout.text import text_plain
from metrics.errors import AreaNotFound, MetricNotFound, MetricsError

logger = logging.getLogger(__name__)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)



_guard = guarded(usage=(MetricNotFound, AreaNotFound, ConfigError), failure=(MetricsError, DataModelError))


def _catalog(directory: Path | None, engine: Any = None):  # type: ignore[no-untyped-def]
    from metrics.catalog import load_catalog

    if directory is not None and not directory.is_dir():
        say(err, "error: " + t("cli.not_a_directory", configured_language(), path=directory))
        raise typer.Exit(2)
    return load_catalog(directory, engine)


@_guard
def validate(
    directory: DirOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the issues as JSON.")] = False,
    check_db: Annotated[bool, typer.Option("--check-db", help="Also check that every series is in the database.")] = False,
    db: DbOpt = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the messages: fi, sv or en (default: settings).")] = None,
) -> None:
    """Validate every metric file; exit 1 when any has an error."""
    lang = configured_language(lang)
    engine = open_engine(db) if (check_db or db) else None
    catalog = _catalog(directory, engine)
    report = catalog.report()
    if as_json:
        payload = {
            "valid": report.valid,
            "metrics": report.metric_count,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "issues": [{**i.as_dict(), "text": i.render(lang)} for i in report.issues],
        }
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        for issue in report.issues:
            say(err if issue.level == "error" else out, issue.render(lang))
        say(out, _valid_line(lang, report.metric_count, len(report.errors), len(report.warnings)))
    if not report.valid:
        raise typer.Exit(1)



def _valid_line(lang: str, metrics: int, errors: int, warnings: int) -> str:
    """'12 metrics valid, 1 error, 0 warnings': each count with its own plural phrase."""
    return t("metrics.cli.valid", lang, metrics=t("counts.metrics", lang, count=metrics),
             errors=t("counts.errors", lang, count=errors), warnings=t("counts.warnings", lang, count=warnings))


@_guard
def list_metrics(
    directory: DirOpt = None,
    include_all: Annotated[bool, typer.Option("--all", help="Include drafts and retired metrics.")] = False,
    lang: LangOpt = None,
) -> None:
    """List metrics by theme: id, kind, status and name."""
    lang = configured_language(lang)
    catalog = _catalog(directory)
    for theme, metrics in catalog.by_theme(include_drafts=include_all).items():
        shown = list(metrics)
        if include_all:
            shown += [m for m in catalog.metrics.values() if m.theme is theme and m.status.value == "retired"]
        if not shown:
            continue
        say(out, t(f"metrics.theme.{theme.value}", lang))
        for metric in shown:
            say(out, f"  {metric.id:<36} {metric.kind:<8} {metric.status.value:<9} {text_plain(metric.name, lang)}")
    if catalog.errors:
        say(err, _valid_line(lang, len(catalog.metrics), len(catalog.errors), 0))


@_guard
def explain_metric(
    metric_id: Annotated[str, typer.Argument(help="Metric id.")],
    area: Annotated[list[str], typer.Option("--area", help="Area code (repeatable; default 208 and MK17).")] = [],  # noqa: B006
    dialect: Annotated[str, typer.Option("--dialect", help="sqlite or postgresql.")] = "sqlite",
    directory: DirOpt = None,
    lang: LangOpt = None,
) -> None:
    """Print a metric's formula and the SQL it compiles to (no database needed)."""
    from metrics.compiler import AreaTarget, compile_inputs, explain, metric_inputs
    from readout.formula import describe_aggregation, describe_formula
    from metrics.evaluate import leaf_metrics

    lang = configured_language(lang)
    if dialect not in ("sqlite", "postgresql"):
        say(err, "error: --dialect must be sqlite or postgresql")
        raise typer.Exit(2)
    catalog = _catalog(directory)
    metric = catalog.get(metric_id)
    names = {k: text_plain(m.name, lang) for k, m in catalog.metrics.items()}
    say(out, f"{metric.id}: {text_plain(metric.name, lang)}")
    say(out, f"= {describe_formula(metric, lang, metric_names=names)}")
    say(out, describe_aggregation(metric, lang))
    # Placeholder area ids: the real ones are looked up at run time from dim_area.
    codes = area or ["208", "MK17"]
    targets = [AreaTarget(c, "?", c, None, None, (i + 1,), (1000 + i,) if not c.isdigit() else ()) for i, c in enumerate(codes)]
    for leaf in leaf_metrics(metric, catalog):
        inputs, weight = metric_inputs(leaf)
        gender = leaf.filters.gender or "total"
        age_band = leaf.filters.age_band or "all"
        stmt = compile_inputs(inputs, weight, targets, None, gender, age_band)
        say(out, f"\n-- {leaf.id}: {', '.join(inputs)}" + (f" (weight {weight})" if weight else ""))
        say(out, explain(stmt, dialect) + ";")


@_guard
def schema(
    check: Annotated[bool, typer.Option("--check", help="Only check that the committed schema is current.")] = False,
    out_path: Annotated[Path | None, typer.Option("--out", help="Where to write (default metrics/schema/metric.schema.json).")] = None,
) -> None:
    """Write the JSON Schema of metric files (generated from the models)."""
    from metrics.jsonschema import SCHEMA_PATH, schema_text, write_schema

    path = out_path or SCHEMA_PATH
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != schema_text():
            say(err, f"{path}: out of date; run `kuntamittari schema`")
            raise typer.Exit(1)
        say(out, f"{path}: ok")
        return
    say(out, t("metrics.cli.wrote", configured_language(), path=str(write_schema(path))))


@_guard
def export_metric(
    metric_id: Annotated[str, typer.Option("--metric", help="Metric id.")],
    out_path: Annotated[Path, typer.Option("--out", help="Output file.")],
    area: Annotated[list[str], typer.Option("--area", help="Area code (repeatable), e.g. 208, MK17, SSS, pilot.")] = [],  # noqa: B006
    period: Annotated[list[str], typer.Option("--period", help="Period (repeatable; default all).")] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option("--format", help="csv (Finnish Excel: ; and decimal comma) or parquet.")] = "csv",
    directory: DirOpt = None,
    db: DbOpt = None,
) -> None:
    """Export a metric's values for areas (e.g. for a municipality's Power BI), with attribution."""
    from datamodel.export import write_frame
    from metrics.model import Selection
    from metrics.service import metric_provenance, query_metric

    if fmt not in ("csv", "parquet"):
        say(err, f"error: --format must be csv or parquet, got {fmt!r}")
        raise typer.Exit(2)
    if not area:
        say(err, "error: give at least one --area")
        raise typer.Exit(2)
    engine = open_engine(db)
    catalog = _catalog(directory, None)
    frame = query_metric(engine, catalog, metric_id, Selection(areas=tuple(area), periods=tuple(period) or None))
    if frame.empty:
        say(err, t("metrics.cli.no_values", configured_language()))
        raise typer.Exit(1)
    metric = catalog.get(metric_id)
    prov = metric_provenance(engine, catalog, metric_id)
    attributions = sorted({a for a in prov.get("attribution", []) if isinstance(a, str) and a})
    frame = frame.assign(
        metric_name_fi=metric.name.fi,
        unit_fi=metric.unit.fi,
        licence=metric.licence or ", ".join(sorted({x for x in prov.get("licence", []) if isinstance(x, str)})),
        attribution=metric.attribution or "; ".join(attributions),
    )
    write_frame(frame, out_path, fmt)
    say(out, t("metrics.cli.wrote", configured_language(), path=f"{out_path} ({len(frame)})"))


@_guard
def aggregation_report(
    directory: DirOpt = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Print, per metric, the error of every region value computed from its municipalities against
    the region's own published value (Markdown table); exit 1 when a declared approximation is off
    by more than 2 % beyond rounding."""
    from metrics.accuracy import APPROXIMATION_LIMIT, aggregation_report as build, report_markdown
    from readout.formatting import format_percent

    lang = configured_language(lang)
    engine = open_engine(db)
    catalog = _catalog(directory, engine)
    report = build(engine, catalog)
    keys = ("metric", "weight", "min_coverage", "compared", "partial", "insufficient", "max_error", "beyond_rounding", "worst")
    say(out, f"## {t('quality.report.title', lang)}\n")
    say(out, report_markdown(report, [t(f"quality.report.{k}", lang) for k in keys]))
    over = report[(report["weighting"] == "approximation") & (report["max_beyond_rounding"].fillna(0) > APPROXIMATION_LIMIT)]
    if not over.empty:
        say(err, t("quality.report.over_limit", lang, metrics=", ".join(over["metric_id"]), limit=format_percent(APPROXIMATION_LIMIT, lang)))
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    app.command("validate")(validate)
    app.command("list")(list_metrics)
    app.command("explain")(explain_metric)
    app.command("schema")(schema)
    app.command("export-metric")(export_metric)
    app.command("aggregation-report")(aggregation_report)
