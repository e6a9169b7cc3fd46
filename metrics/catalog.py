"""The catalogue: every metric file of a directory, validated, indexed, with its issues.

One bad file never takes the app down: files with errors are left out of `metrics` and their
problems listed in `issues`, so pages show the rest and the data-quality page shows the list.
Phase 2 rules (unique ids, references, cycles, series in the database) run over the whole set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from kuntamittari.settings import PROJECT_ROOT, get_settings
from metrics.errors import MetricNotFound
from metrics.issues import Issue, Report, hint
from metrics.issues import issue as make_issue
from metrics.model import AnyMetric, MetricStatus, Theme
from metrics.rules import run_rules
from metrics.yaml_io import ParsedFile, parse_metric_text

logger = logging.getLogger(__name__)


@dataclass
class Catalog:
    """Valid metrics by id, the issues found, and the file each metric came from."""

    metrics: dict[str, AnyMetric] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    directory: Path | None = None

    def get(self, metric_id: str) -> AnyMetric:
        """The metric `metric_id`, or MetricNotFound with a did-you-mean."""
        try:
            return self.metrics[metric_id]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(metric_id, list(self.metrics), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise MetricNotFound(f"no valid metric '{metric_id}' in the catalogue{hint}") from None

    def approved(self) -> list[AnyMetric]:
        """Approved metrics in a stable order (theme order, then id)."""
        themes = list(Theme)
        return sorted(
            (m for m in self.metrics.values() if m.status is MetricStatus.APPROVED),
            key=lambda m: (themes.index(m.theme), m.id),
        )

    def by_theme(self, include_drafts: bool = False) -> dict[Theme, list[AnyMetric]]:
        """Metrics grouped by theme (every theme present, possibly empty); retired never."""
        out: dict[Theme, list[AnyMetric]] = {theme: [] for theme in Theme}
        for metric in sorted(self.metrics.values(), key=lambda m: m.id):
            if metric.status is MetricStatus.APPROVED or (include_drafts and metric.status is MetricStatus.DRAFT):
                out[metric.theme].append(metric)
        return out

    def report(self) -> Report:
        return Report(tuple(self.issues), len(self.metrics))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def load_catalog(directory: Path | None = None, engine: Engine | None = None) -> Catalog:
    """Load and validate every `*.yaml` under `directory` (default: settings.metrics_dir).

    With an `engine`, referenced series are checked against `dim_series` too.
    """
    directory = Path(directory) if directory is not None else get_settings().metrics_dir
    catalog = Catalog(directory=directory)
    if not directory.is_dir():
        catalog.issues.append(make_issue("error", "no-directory", str(directory), None, None, "no_directory"))
        return catalog
    parsed: dict[Path, ParsedFile] = {}
    for path in sorted(directory.rglob("*.yaml")):
        shown = _display_path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            catalog.issues.append(make_issue("error", "unreadable", shown, None, None, "unreadable", {"detail": str(exc)}, hint("save_utf8")))
            continue
        result = parse_metric_text(text, shown)
        catalog.issues.extend(result.issues)
        parsed[path] = result
    accepted = {
        path: result for path, result in parsed.items()
        if result.metric is not None and not any(i.level == "error" for i in result.issues)
    }
    rule_issues, rejected = run_rules(accepted, directory, engine, _display_path)
    catalog.issues.extend(rule_issues)
    for path, result in accepted.items():
        metric = result.metric
        assert metric is not None
        if path in rejected:
            continue
        catalog.metrics[metric.id] = metric
        catalog.files[metric.id] = path
    logger.info("catalogue %s: %d metrics, %d issues", directory, len(catalog.metrics), len(catalog.issues))
    return catalog
