"""The readout of a municipality: frozen, typed and language-independent.

`readout.build.build_area_readout` fills these from the metric layer; `readout.localise.localise`
turns one into the words and figures of a language. Every surface reads these objects (cards,
public summary and print view, exports, CLI; later PDF reports, the HTTP API and the static site),
so verdicts are codes here (`"improving"`, `"better"`, `"partial"`) and texts are mappings of
language -> text as the metric catalogue gives them. All of it pickles (Streamlit caches it) and
`readout.export.readout_json` serialises it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from readout.rules import (
    AttentionReason,
    BandVerdict,
    ComparisonVerdict,
    Direction,
    TargetVerdict,
    TrendVerdict,
)

Audience = Literal["internal", "public"]
#: What a value is, as shown: the metric layer's status vocabulary plus the readout's own
#: `too_few` (hidden by disclosure control on a public readout).
ValueStatus = Literal["ok", "partial", "insufficient", "provisional", "suppressed", "too_few", "missing"]
#: The statuses whose value no surface shows as a number (page, print, PDF, API, static site):
#: not enough coverage, suppressed by the source, hidden by disclosure control.
HIDDEN_STATUSES: tuple[ValueStatus, ...] = ("insufficient", "suppressed", "too_few")
#: How the comparison was made: the values as they are, or counts per 1 000 residents.
ComparisonBasis = Literal["value", "per_1000_residents"]
Texts = tuple[tuple[str, str], ...]  # (("fi", "Työttömyysaste"), ("sv", ...), ...): hashable, ordered


def texts(mapping: dict[str, str] | None) -> Texts:
    """A language -> text mapping as the hashable tuple the readout keeps."""
    return tuple((k, v) for k, v in (mapping or {}).items() if v)


@dataclass(frozen=True)
class AreaRef:
    """An area as the readout names it: code, role and official names (empty for named groups,
    whose name is a word of the language: 'pilot municipalities')."""

    code: str
    role: str  # 'area', or the comparison kind: 'region', 'county', 'finland', 'pilot', 'similar', 'codes'
    names: Texts = ()
    area_type: str | None = None


@dataclass(frozen=True)
class Point:
    """One value of one area in one period, with what the reader must know about it.

    `value` is None whenever it must not be shown (missing, insufficient coverage, suppressed at
    the source or too few to publish); `status` says which. `coverage` is the share (0-1) of the
    aggregation weight behind a computed value, None when not computed from members.
    """

    period: str
    year: int
    value: float | None
    status: ValueStatus = "ok"
    basis: str | None = None
    coverage: float | None = None
    members_present: int | None = None
    members_expected: int | None = None


@dataclass(frozen=True)
class Trend:
    """The trend verdict over the window `first_year`..`last_year` and the fitted change."""

    verdict: TrendVerdict = "unknown"
    direction: Literal["up", "down", "flat"] | None = None
    change: float | None = None
    first_year: int | None = None
    last_year: int | None = None
    start: Point | None = None
    end: Point | None = None


@dataclass(frozen=True)
class Comparison:
    """The latest value against one comparison area in the same period.

    `basis` says what was compared ('value', or 'per_1000_residents' for counts); `own_rate` and
    `other_rate` are then the per-resident figures. `reason` explains an 'unknown' or
    'not_comparable' verdict: 'no_data', 'insufficient', 'different_size'.
    """

    area: AreaRef
    verdict: ComparisonVerdict = "unknown"
    point: Point | None = None
    basis: ComparisonBasis | None = None
    own_rate: float | None = None
    other_rate: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TargetStatus:
    verdict: TargetVerdict = "no_target"
    value: float | None = None
    year: int | None = None


@dataclass(frozen=True)
class Source:
    """Where the figures of a readout come from, per source: the date shown is that source's own
    (an upload of own data never changes the date shown for another source)."""

    name: str
    licence: str | None
    retrieved: datetime | None
    kind: Literal["fetched", "uploaded"] = "fetched"
    uploaded_by: str | None = None
    origin: str | None = None  # the batch's source code ('sotkanet', 'statfin', 'own'): its publication lag


@dataclass(frozen=True)
class SeriesRef:
    """One area's values of a metric (all periods), for tables, charts and downloads."""

    area: AreaRef
    points: tuple[Point, ...]
    gender: str = "total"


@dataclass(frozen=True)
class MetricInfo:
    """What the catalogue says about a metric, as plain data."""

    metric_id: str
    theme: str
    name: Texts
    unit: Texts
    description: Texts = ()
    why: Texts = ()
    caveats: Texts = ()
    approximation_note: Texts = ()  # what an approximate weight stands in for, shown beside such values
    direction: Direction = "neutral"
    decimals: int = 1
    is_count: bool = False
    status: str = "approved"
    min_count: int = 5
    declared_source: str | None = None  # the metric file's own `source`, shown only when the data has none
    update_frequency: str = "yearly"  # how often new figures are due ('yearly', 'quarterly', 'monthly', 'irregular')


@dataclass(frozen=True)
class MetricReadout:
    """Everything said about one metric for one area."""

    info: MetricInfo
    latest: Point | None
    previous: Point | None = None
    change_1: float | None = None
    change_5: float | None = None
    trend: Trend = field(default_factory=Trend)
    comparisons: tuple[Comparison, ...] = ()
    band: BandVerdict | None = None
    target: TargetStatus = field(default_factory=TargetStatus)
    attention: tuple[AttentionReason, ...] = ()
    series: tuple[SeriesRef, ...] = ()
    parts: tuple[SeriesRef, ...] = ()
    sources: tuple[Source, ...] = ()

    @property
    def metric_id(self) -> str:
        return self.info.metric_id

    @property
    def own(self) -> SeriesRef | None:
        """The area's own series (the first one)."""
        return self.series[0] if self.series else None

    def comparison(self, role: str) -> Comparison | None:
        """The comparison with the area of `role` ('region', 'county', 'finland', ...)."""
        return next((c for c in self.comparisons if c.area.role == role), None)

    @property
    def status(self) -> ValueStatus:
        """The status of the latest period ('missing' when there is no period at all)."""
        return self.latest.status if self.latest is not None else "missing"


@dataclass(frozen=True)
class AreaReadout:
    """The readout of one municipality: every metric, its comparison areas and its sources."""

    area: AreaRef
    audience: Audience
    comparison_areas: tuple[AreaRef, ...]
    metrics: tuple[MetricReadout, ...]
    sources: tuple[Source, ...] = ()
    batch_ids: tuple[int, ...] = ()  # the load batches behind the values (provenance of downloads)

    @property
    def data_period(self) -> str | None:
        """The newest period with a value in any metric."""
        periods = [m.latest.period for m in self.metrics if m.latest is not None and m.latest.value is not None]
        return max(periods) if periods else None

    def metric(self, metric_id: str) -> MetricReadout:
        for item in self.metrics:
            if item.metric_id == metric_id:
                return item
        raise KeyError(metric_id)
