"""Command-line commands of the `datamodel` package (registered on the main `kuntamittari` app).

Each command is a thin shell over a library function; library exceptions become one line on
stderr and an exit code: 0 ok, 1 data/validation/source errors, 2 usage/configuration errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.options import DbOpt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from datamodel.errors import ConfigError, DatabaseNotReady, DataModelError, SourceUnavailable, ValidationFailed
from cli.database import open_engine
from cli.guard import fault_line, guarded, say_error
from kuntamittari.i18n import configured_language, t
from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _validation_failed(exc: ValidationFailed) -> int:
    """A refused file: its row-numbered issues (at most 200), unknown areas and what was loaded."""
    report = exc.report
    if report is None:
        say_error(f"error: {exc}")
        return 1
    name = Path(report.filename).name
    lines = [issue.render(name, configured_language()) for issue in report.issues[:200]]
    if len(report.issues) > 200:
        lines.append(t("cli.more_issues", get_settings().default_language, count=len(report.issues) - 200))
    if report.unknown_areas:
        lines.append(t("datamodel.import.unknown_areas", configured_language(), names=", ".join(report.unknown_areas[:30])))
    lines += [report.summary(configured_language()), t("datamodel.import.nothing_loaded", configured_language())]
    for line in lines:
        say_error(line)
    return 1


def _offline(exc: SourceUnavailable) -> int:
    say_error(t("datamodel.cli.offline", configured_language(), url=exc.url, reason=exc.reason))
    return 1


def _not_ready(exc: DatabaseNotReady) -> int:
    say_error(f"error: {fault_line(exc)}")
    return 1


#: the data model's exceptions that are worded by their own function (refused file, source offline)
DATA_SPECIAL = {ValidationFailed: _validation_failed, SourceUnavailable: _offline, DatabaseNotReady: _not_ready}
_guard = guarded(usage=(ConfigError,), failure=(DataModelError,), special=DATA_SPECIAL)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def _hook(progress: Progress, label: str) -> Callable[[int, int], None]:
    task = progress.add_task(label, total=None)

    def hook(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return hook


def _report_load(result: Any) -> None:
    for issue in getattr(result, "refused", ())[:50]:  # rows left out of a partial load
        err.print(issue.render(lang=configured_language()), highlight=False, markup=False)
    if result.skipped:
        out.print(t("datamodel.import.already", configured_language(), batch=result.batch_id if result.batch_id else "-"), highlight=False)
        return
    lang = configured_language()
    out.print(t("datamodel.import.loaded", lang, batch=result.batch_id, inserted=t("counts.new", lang, count=result.rows_inserted),
                updated=t("counts.updated", lang, count=result.rows_updated),
                unchanged=t("counts.unchanged", lang, count=result.rows_unchanged)), highlight=False)
    if result.details.get("implausible_zeros"):
        out.print(t("quality.load.zeros", lang, count=result.details["implausible_zeros"]), highlight=False)
    for change in result.details.get("divisions", []):
        out.print(t("quality.load.rebased", lang, series=change["series"], previous=change["previous"],
                    division=change["division"]), highlight=False)
        for key in ("merged", "revised"):
            if change[key]:
                out.print("  " + t(f"quality.kind.{key}", lang) + ": " + ", ".join(change[key]), highlight=False)
        for code, years in change["breaks"].items():
            out.print("  " + t("quality.kind.series_break", lang) + f": {code} ({min(years)}–{max(years)})", highlight=False)


def _parse_map(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ConfigError(f"--map expects FIELD=COLUMN (e.g. area=Kunta), got {item!r}")
        mapping[field.strip()] = column.strip()
    return mapping


AcceptPartial = Annotated[bool, typer.Option("--accept-partial", help="Load anyway without the values that cannot be real (listed).")]


@_guard
def init(db: DbOpt = None, no_bundled: Annotated[bool, typer.Option("--no-bundled", help="Only migrate; skip the bundled data.")] = False) -> None:
    """Create or migrate the database (Alembic upgrade head), load the bundled THL Sotkanet data and
    seed the metric catalogue from the shipped definitions."""
    from datamodel.bootstrap import current_revision

    with _progress() as progress:
        from datamodel.bootstrap import ensure_database

        engine = open_engine(db, ready=False)
        ensure_database(engine, load_bundled=not no_bundled, on_progress=_hook(progress, "Sotkanet 2013"))
    out.print(t("datamodel.cli.init_done", configured_language(), url=engine.url.render_as_string(hide_password=True),
                revision=current_revision(engine)), highlight=False)
    if get_settings().catalogue_source == "database":  # the shipped metric definitions, first time
        from cli.catalogue_words import seeded_line
        from metrics.catalogue_sync import seed_catalogue

        report = seed_catalogue(engine)
        out.print(seeded_line(report, get_settings().metrics_dir, configured_language()), highlight=False, markup=False)


@_guard
def load_sotkanet(paths: Annotated[list[Path], typer.Argument(help="Saved data-endpoint responses (.json or .json.gz).")],
                  db: DbOpt = None,
                  division: Annotated[int | None, typer.Option("--division", help="Year of the municipal borders the release is on, when its area codes cannot tell.")] = None,
                  accept_partial: AcceptPartial = False) -> None:
    """Load saved Sotkanet data-endpoint JSON files as a new release (revised values are kept as revisions)."""
    from datamodel.loaders.sotkanet import load_data_files

    engine = open_engine(db)
    with _progress() as progress:
        result = load_data_files(engine, paths, on_progress=_hook(progress, "Sotkanet"), division=division,
                                 accept_partial=accept_partial)
    _report_load(result)
    if not result.skipped and result.details.get("revised_sample"):
        for line in result.details["revised_sample"][:10]:
            out.print(f"  {line}", highlight=False)


@_guard
def fetch_sotkanet(
    indicator: Annotated[list[int], typer.Option("--indicator", "-i", help="Sotkanet indicator id (repeatable).")],
    years: Annotated[str, typer.Option("--years", help="Years, e.g. 2015-2023 or 2021,2022.")],
    db: DbOpt = None,
    base_url: Annotated[str | None, typer.Option(help="API base URL (default from settings).")] = None,
) -> None:
    """Fetch indicators from the live Sotkanet API (metadata + total/male/female data) and load them."""
    from datamodel.sources.sotkanet import SotkanetClient, fetch_and_load

    year_list = _parse_years(years)
    engine = open_engine(db)
    with SotkanetClient(base_url) as client, _progress() as progress:
        result = fetch_and_load(engine, client, indicator, year_list, on_progress=_hook(progress, "Sotkanet API"))
    _report_load(result)


def _parse_years(text: str) -> list[int]:
    years: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                years.extend(range(int(a), int(b) + 1))
            elif part:
                years.append(int(part))
    except ValueError:
        raise ConfigError(f"--years expects e.g. 2015-2023 or 2021,2022, got {text!r}") from None
    if not years or any(not 1900 <= y <= 2100 for y in years):
        raise ConfigError(f"--years out of range: {text!r}")
    return years


@_guard
def fetch_statfin(
    table: Annotated[str, typer.Argument(help="PxWeb table, e.g. 11re (or a path below StatFin/).")],
    query: Annotated[Path, typer.Option("--query", help="PxWeb query JSON file (response format is set to json-stat2).")],
    db: DbOpt = None,
    lang: Annotated[str, typer.Option(help="Language of labels: fi, sv or en.")] = "fi",
    base_url: Annotated[str | None, typer.Option(help="API base URL (default from settings).")] = None,
) -> None:
    """Query a Statistics Finland PxWeb table and load the answer as series statfin:<table>:<contents code>."""
    import json

    from datamodel.sources.statfin import StatFinClient, load_jsonstat

    try:
        body = json.loads(query.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{query}: not a readable JSON query ({exc})") from exc
    engine = open_engine(db)
    client = StatFinClient(base_url, lang=lang)
    try:
        doc, raw = client.query(table, body)
    finally:
        client.close()
    _report_load(load_jsonstat(engine, doc, raw, table=table.split("/")[-1].removesuffix(".px"),
                               location=f"{client.base_url}{client.table_path(table)}", language=lang))


@_guard
def load_statfin(paths: Annotated[list[Path], typer.Argument(help="Saved json-stat2 responses.")],
                 table: Annotated[str | None, typer.Option(help="Table id if the file does not say it.")] = None,
                 db: DbOpt = None, accept_partial: AcceptPartial = False) -> None:
    """Load saved PxWeb json-stat2 responses (one batch per file)."""
    from datamodel.sources.statfin import load_jsonstat_file

    engine = open_engine(db)
    for path in paths:
        _report_load(load_jsonstat_file(engine, path, table=table, accept_partial=accept_partial))


@_guard
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV or Excel (.xlsx) file.")],
    series_code: Annotated[str, typer.Option("--series-code", help="own:<municipality code>:<slug>, e.g. own:208:kotihoito.")],
    title: Annotated[str | None, typer.Option(help="Finnish title of the series.")] = None,
    accept_partial: Annotated[bool, typer.Option("--accept-partial", help="Load the valid rows even if some were rejected.")] = False,
    map_: Annotated[list[str], typer.Option("--map", help="FIELD=COLUMN, fields: area, period, group, value, numerator, denominator, variable.")] = [],  # noqa: B006
    period: Annotated[str | None, typer.Option(help="Period for every row when the file has no period column.")] = None,
    variable: Annotated[str | None, typer.Option(help="Which value of the variable column to load (e.g. PxWeb 'Tiedot').")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name (default: the first).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only validate and report.")] = False,
    source_name: Annotated[str | None, typer.Option("--source-name", help="Who published the figures (default: kunta <code>).")] = None,
    licence: Annotated[str | None, typer.Option("--licence", help="Licence of the figures, as the publisher gives it.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who uploads (stored with the load).")] = None,
    zero_implausible: Annotated[bool, typer.Option("--zero-implausible", help="A value of 0 cannot be real for this series: flag majority zeros.")] = False,
    db: DbOpt = None,
) -> None:
    """Import a municipality's own figures (Finnish CSV conventions handled). Nothing is loaded if a row is rejected, unless --accept-partial."""
    from datamodel.loaders.own_data import import_own_data, parse_own_data

    settings = get_settings()
    max_bytes = int(settings.upload_max_mb * 1024 * 1024)
    mapping = _parse_map(map_)
    if not file.is_file():
        raise ConfigError(f"{file}: no such file")
    engine = open_engine(db)
    if dry_run:
        from datamodel.areas import AreaIndex

        with engine.connect() as conn:
            areas = AreaIndex.load(conn)
        report = parse_own_data(file.read_bytes(), filename=str(file), series_code=series_code, areas=areas,
                                mapping=mapping, period=period, variable=variable, sheet=sheet, max_bytes=max_bytes)
        for issue in report.issues:
            out.print(issue.render(file.name, configured_language()), highlight=False, markup=False)
        out.print(report.summary(configured_language()), highlight=False, markup=False)
        raise typer.Exit(0 if report.ok else 1)
    report, result = import_own_data(engine, file, series_code=series_code, title=title, mapping=mapping,
                                     period=period, variable=variable, sheet=sheet, accept_partial=accept_partial,
                                     max_bytes=max_bytes, source_name=source_name, licence=licence, uploaded_by=user,
                                     zero_implausible=zero_implausible)
    for issue in report.issues[:50]:
        err.print(issue.render(file.name, configured_language()), highlight=False, markup=False)
    out.print(report.summary(configured_language()), highlight=False, markup=False)
    _report_load(result)


@_guard
def export(
    series: Annotated[list[str], typer.Option("--series", help="Series code (repeatable), e.g. sotkanet:181.")],
    out_path: Annotated[Path, typer.Option("--out", help="Output file.")],
    area: Annotated[list[str], typer.Option("--area", help="Area code (repeatable; default all).")] = [],  # noqa: B006
    period: Annotated[list[str], typer.Option("--period", help="Period code (repeatable; default all).")] = [],  # noqa: B006
    fmt: Annotated[str, typer.Option("--format", help="csv (Finnish Excel: ; and decimal comma, UTF-8 BOM) or parquet.")] = "csv",
    db: DbOpt = None,
) -> None:
    """Export stored observations of series (with their attribution) to CSV or Parquet."""
    from datamodel.areas import normalise_area_code
    from datamodel.export import series_frame, write_frame

    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"--format must be csv or parquet, got {fmt!r}")
    engine = open_engine(db)
    frame = series_frame(engine, series, [normalise_area_code(a) for a in area], period)
    if frame.empty:
        err.print(t("datamodel.cli.no_rows", configured_language()), highlight=False)
        raise typer.Exit(1)
    write_frame(frame, out_path, fmt)
    out.print(t("datamodel.cli.exported", configured_language(), count=len(frame), path=str(out_path)), highlight=False)


@_guard
def generate_synthetic(
    scale: Annotated[float, typer.Option(help="1 = 500 series x all municipalities x 25 years x 3 genders (~11.5 M rows).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 20261123,
    db: DbOpt = None,
) -> None:
    """Load a seeded synthetic national-scale data set (series synthetic:<n>, flagged as synthetic)."""
    from datamodel.synthetic import SyntheticSpec, load_synthetic

    engine = open_engine(db, bundled=False)
    with _progress() as progress:
        result = load_synthetic(engine, SyntheticSpec.scaled(scale, seed), on_progress=_hook(progress, "synthetic"))
    if result.skipped:
        out.print(t("datamodel.import.already", configured_language(), batch=result.batch_id), highlight=False)
    else:
        out.print(t("datamodel.cli.synthetic_done", configured_language(), rows=result.rows, rate=f"{result.rows / result.seconds:,.0f}"),
                  highlight=False)


@_guard
def doctor(db: DbOpt = None) -> None:
    """Show the backend, URL (password masked), migration revision, row counts, last batches and checks."""
    from sqlalchemy import select, text
    from sqlalchemy.exc import SQLAlchemyError

    from datamodel.bootstrap import bundled_loaded, current_revision, has_schema, head_revision
    from datamodel.loaders.core import count_rows
    from datamodel.schema import area, fact, group, load_batch, period, series

    lang = configured_language()
    engine = open_engine(db, ready=False)
    out.print(f"[bold]{t('datamodel.cli.doctor_title', lang)}[/bold]")
    out.print(f"{t('datamodel.cli.backend', lang)}: {engine.dialect.name}", highlight=False)
    out.print(f"{t('datamodel.cli.url', lang)}: {engine.url.render_as_string(hide_password=True)}", highlight=False)
    checks: list[tuple[str, bool]] = []
    try:
        schema = has_schema(engine)
    except SQLAlchemyError as exc:
        raise DatabaseNotReady(f"cannot connect ({type(exc).__name__})") from exc
    checks.append((t("datamodel.cli.check_schema", lang), schema))
    rev, head = (current_revision(engine), head_revision())
    out.print(f"{t('datamodel.cli.revision', lang)}: {rev or '-'} ({t('datamodel.cli.head', lang)}: {head})", highlight=False)
    checks.append((t("datamodel.cli.check_revision", lang), rev == head))
    if schema:
        with engine.connect() as conn:
            counts = count_rows(conn)
            table = Table(title=t("datamodel.cli.rows", lang))
            table.add_column("table")
            table.add_column("rows", justify="right")
            for name, n in counts.items():
                table.add_row(name, f"{n:,}".replace(",", " "))
            out.print(table)
            batches = Table(title=t("datamodel.cli.batches", lang))
            for col in ("id", "loader", "loaded_at", "inserted", "revised", "rejected", "location"):
                batches.add_column(col)
            for b in conn.execute(select(load_batch).order_by(load_batch.c.batch_id.desc()).limit(5)).mappings():
                batches.add_row(str(b["batch_id"]), b["loader"], str(b["loaded_at"])[:19], str(b["rows_inserted"]),
                                str(b["rows_updated"]), str(b["rows_rejected"]), b["location"][:50])
            out.print(batches)
            orphans = conn.execute(
                select(text("count(*)")).select_from(fact)
                .outerjoin(area, area.c.area_id == fact.c.area_id).outerjoin(period, period.c.period_id == fact.c.period_id)
                .outerjoin(series, series.c.series_id == fact.c.series_id).outerjoin(group, group.c.group_id == fact.c.group_id)
                .where((area.c.area_id.is_(None)) | (period.c.period_id.is_(None)) | (series.c.series_id.is_(None))
                       | (group.c.group_id.is_(None)))
            ).scalar_one()
        checks.append((t("datamodel.cli.check_bundled", lang), bundled_loaded(engine)))
        checks.append((t("datamodel.cli.check_orphans", lang), orphans == 0))
    out.print(f"[bold]{t('datamodel.cli.checks', lang)}[/bold]")
    for label, ok in checks:
        mark = f"[green]{t('datamodel.cli.check_ok', lang)}[/green]" if ok else f"[red]{t('datamodel.cli.check_fail', lang)}[/red]"
        out.print(f"  {mark}  {label}", highlight=False)
    if not all(ok for _, ok in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this package's commands to `app`."""
    app.command("init")(init)
    app.command("doctor")(doctor)
    app.command("load-sotkanet")(load_sotkanet)
    app.command("fetch-sotkanet")(fetch_sotkanet)
    app.command("fetch-statfin")(fetch_statfin)
    app.command("load-statfin")(load_statfin)
    app.command("import-csv")(import_csv)
    app.command("export")(export)
    app.command("generate-synthetic")(generate_synthetic)
