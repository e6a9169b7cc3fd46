"""Command-line commands for fresh data: refresh, its schedule, the digest and alert subscriptions.

Thin shells over `refresh`, `digest` and `alerts` (registered on the main `kuntamittari` app);
library errors become one line and an exit code through the data layer's CLI guard.
Exit codes: 0 ok, 1 a source failed / data error, 2 usage or configuration error.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.options import DbOpt

from cli.datamodel import _guard, err, out
from cli.database import open_engine
from datamodel.errors import ConfigError
from readout.formatting import format_datetime
from kuntamittari.i18n import configured_language, t


def _print_report(report, verbose: bool, lang: str) -> None:  # type: ignore[no-untyped-def]
    """The report in the readout's words (the data-status page shows the same lines)."""
    from readout.refresh_report import QUIET, run_lines, series_line, source_line

    for src in report.sources:
        (err if src.status == "failed" else out).print(source_line(src, lang), highlight=False, markup=False)
        for s in src.series:
            if verbose or s.status not in QUIET:
                out.print(series_line(s, lang), highlight=False, markup=False)
    for line in run_lines(report, lang):
        out.print(line, highlight=False)


@_guard
def refresh(
    db: DbOpt = None,
    if_due: Annotated[bool, typer.Option("--if-due", help="Do nothing when the last refresh is newer than the interval.")] = False,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Store the digest but send no e-mail or webhook.")] = False,
    attach_report: Annotated[bool, typer.Option("--attach-report/--no-attach-report",
                                                help="Attach the monthly report PDF to alert e-mails.")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every series, unchanged ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fetch every series the catalogue uses from Sotkanet and StatFin (only what is new), then digest and alerts."""
    from refresh import RefreshBusy, refresh_status, run_refresh

    lang = configured_language()
    engine = open_engine(db)
    if if_due:
        status = refresh_status(engine)
        if not status.due:
            out.print(t("refresh.cli.not_due", lang, last=format_datetime(status.last_refreshed, lang),
                        next=format_datetime(status.next_due, lang)), highlight=False)
            return
    try:
        report = run_refresh(engine, trigger="schedule" if if_due else "cli", send=not no_alerts,
                             attachments=_report_attachments(engine) if attach_report else None)
    except RefreshBusy:
        err.print(t("refresh.cli.busy", lang), highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(report, verbose, lang)
    if report.status != "ok":
        raise typer.Exit(1)


@_guard
def refresh_status_cmd(db: DbOpt = None) -> None:
    """When data was last refreshed from the sources and when the next refresh is due."""
    from refresh import refresh_status

    lang = configured_language()
    status = refresh_status(open_engine(db))
    if status.running:
        out.print(t("refresh.cli.status_running", lang, started=format_datetime(status.last_attempt, lang)), highlight=False)
    if status.last_refreshed is None:
        out.print(t("refresh.cli.status_never", lang), highlight=False)
    else:
        out.print(t("refresh.cli.status_last", lang, last=format_datetime(status.last_refreshed, lang),
                    status=status.last_status), highlight=False)
    out.print(t("refresh.cli.status_next", lang, next=format_datetime(status.next_due, lang), count=status.interval_days,
                due=t("refresh.cli.status_due", lang) if status.due else ""), highlight=False)


@_guard
def digest(
    area: Annotated[str, typer.Option("--area", help="Municipality code, e.g. 208.")],
    db: DbOpt = None,
    lang: Annotated[str | None, typer.Option(help="fi, sv or en.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many items, newest first.")] = 50,
) -> None:
    """Print a municipality's change digest ("Mitä uutta"), newest first."""
    from digest import digest_for_area
    from readout.digest import digest_title, item_sentence
    from metrics.catalog import load_catalog

    lang = configured_language(lang)
    records = digest_for_area(open_engine(db), area, limit=limit)
    out.print(f"[bold]{digest_title(lang)}[/bold]")
    if not records:
        out.print(t("digest.empty", lang), highlight=False)
        return
    catalog = load_catalog()
    for rec in records:
        out.print(f"- {item_sentence(rec, catalog, lang)}", highlight=False, markup=False)


@_guard
def subscribe(
    area: Annotated[list[str], typer.Option("--area", help="Municipality code (repeatable).")],
    email: Annotated[str | None, typer.Option(help="E-mail address (a person or a shared address).")] = None,
    webhook: Annotated[str | None, typer.Option(help="Webhook URL receiving a JSON POST.")] = None,
    theme: Annotated[list[str], typer.Option("--theme", help="Theme id (repeatable; default all).")] = [],  # noqa: B006
    lang: Annotated[str, typer.Option(help="Language of the messages: fi, sv or en.")] = "fi",
    secret: Annotated[str | None, typer.Option(help="Webhook only: HMAC-SHA256 signing secret.")] = None,
    db: DbOpt = None,
) -> None:
    """Subscribe an e-mail address or a webhook to the digest of chosen municipalities and themes."""
    from alerts.subscriptions import add_subscription

    if bool(email) == bool(webhook):
        raise ConfigError("give exactly one of --email or --webhook")
    channel, address = ("email", email) if email else ("webhook", webhook)
    sub = add_subscription(open_engine(db), channel, str(address), areas=area, themes=theme, language=lang, secret=secret)
    out.print(t("alerts.cli.subscribed", configured_language(), id=sub.subscription_id, channel=sub.channel, address=sub.address,
                areas=", ".join(sub.areas), themes=", ".join(sub.themes) or t("alerts.cli.all_themes", configured_language()),
                lang=sub.language), highlight=False)


@_guard
def unsubscribe(address: Annotated[str, typer.Argument(help="E-mail address or webhook URL.")], db: DbOpt = None) -> None:
    """Remove the subscriptions of an address."""
    from alerts.subscriptions import remove_subscription

    out.print(t("alerts.cli.removed", configured_language(), count=remove_subscription(open_engine(db), address)), highlight=False)


@_guard
def subscriptions(db: DbOpt = None) -> None:
    """List the alert subscriptions."""
    from alerts.subscriptions import list_subscriptions

    subs = list_subscriptions(open_engine(db))
    if not subs:
        out.print(t("alerts.cli.none", configured_language()), highlight=False)
    for s in subs:
        themes = ",".join(s.themes) or t("alerts.cli.all_themes", configured_language())
        out.print(f"{s.subscription_id}\t{s.channel}\t{s.address}\t{s.language}\t{','.join(s.areas)}\t{themes}"
                  f"\t{'signed' if s.secret else ''}", highlight=False, markup=False)


def _report_attachments(engine, catalog=None):  # type: ignore[no-untyped-def]
    """The monthly report PDF of each municipality of an alert e-mail."""
    from metrics.catalog import load_catalog
    from reports.monthly import alert_attachments

    return alert_attachments(engine, catalog or load_catalog())


@_guard
def send_alerts(db: DbOpt = None, attach_report: Annotated[bool, typer.Option(
        "--attach-report/--no-attach-report", help="Attach the monthly report PDF to alert e-mails.")] = True) -> None:
    """Send pending digest alerts (those of batches not yet delivered, or that failed before)."""
    from alerts.send import send_alerts as send
    from metrics.catalog import load_catalog

    engine, catalog = open_engine(db), load_catalog()
    report = send(engine, catalog, attachments=_report_attachments(engine, catalog) if attach_report else None)
    out.print(t("alerts.cli.sent", configured_language(), **report.as_dict()), highlight=False)
    for line in report.errors:
        err.print(line, highlight=False, markup=False)
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add these commands to `app`."""
    app.command("refresh")(refresh)
    app.command("refresh-status")(refresh_status_cmd)
    app.command("digest")(digest)
    app.command("subscribe")(subscribe)
    app.command("unsubscribe")(unsubscribe)
    app.command("subscriptions")(subscriptions)
    app.command("send-alerts")(send_alerts)
