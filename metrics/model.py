"""Metric definitions as typed, frozen data: one pydantic model per `kind`, joined in a union.

A metric file is reviewed by people who are not programmers, so the model is strict
(`extra="forbid"`: a misspelt key is an error, not a silently ignored option) and every field
has a description that ends up in the published JSON Schema (editor completion and hover help).
The kinds differ in their inputs only; everything about presentation, comparison and targets
is shared in `MetricBase`.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from metrics.errors import RuleViolation

SCHEMA_VERSION = 1

MetricId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", min_length=2, max_length=64),
    Field(description="Metric id: lower-case letters, digits and _, equal to the file name."),
]
SeriesCode = Annotated[
    str,
    StringConstraints(pattern=r"^(sotkanet:\d+|statfin:[^:\s]+:[^:\s]+|own:\d{3}:[a-z0-9_\-]+|synthetic:\d+)$"),
    Field(description="Series code, e.g. 'sotkanet:181', 'statfin:11re:vaesto', 'own:208:kotihoito'."),
]


class Theme(str, enum.Enum):
    """The eight welfare themes of a municipal welfare report (hyvinvointikertomus)."""

    CHILDREN_FAMILIES = "children_families"
    YOUNG_PEOPLE = "young_people"
    WORKING_AGE = "working_age"
    OLDER_PEOPLE = "older_people"
    HEALTH = "health"
    INCLUSION_EQUALITY = "inclusion_equality"
    LIVING_ENVIRONMENT_SAFETY = "living_environment_safety"
    ECONOMY_SERVICES = "economy_services"


class Direction(str, enum.Enum):
    """Which way is good: decides 'better/worse than comparison' and 'improving/worsening'."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    NEUTRAL = "neutral"


class MetricStatus(str, enum.Enum):
    """Life cycle: only approved metrics are shown by default; retired ones stay loadable."""

    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


class Aggregation(str, enum.Enum):
    """How a series rolls up over areas (region, county, Finland, a group of municipalities)."""

    SUM = "sum"  # counts: the aggregate is the sum of its members
    WEIGHTED_MEAN = "weighted_mean"  # rates: source row, else weighted by `weight`, else plain mean
    SOURCE_ONLY = "source_only"  # not aggregable: only areas with a source row of their own


class WeightBasis(str, enum.Enum):
    """What a weighted mean's `weight` is to the rate: its own base, or a stand-in for it."""

    DENOMINATOR = "denominator"  # the rate's own denominator (population for "per inhabitant")
    APPROXIMATION = "approximation"  # another series approximates the base: say so in approximation_note


class CompareKind(str, enum.Enum):
    REGION = "region"
    COUNTY = "county"
    FINLAND = "finland"
    SIMILAR = "similar"
    PILOT = "pilot"


class UpdateFrequency(str, enum.Enum):
    YEARLY = "yearly"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    IRREGULAR = "irregular"


_FROZEN = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Texts(BaseModel):
    """One text in three languages; Finnish is required, sv/en are checked for approved metrics."""

    model_config = _FROZEN
    fi: str = Field(min_length=1, description="Suomeksi")
    sv: str | None = Field(default=None, description="På svenska")
    en: str | None = Field(default=None, description="In English")

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("fi", self.fi), ("sv", self.sv), ("en", self.en)) if v}


class Target(BaseModel):
    """A target value for a year, for every area or for one area (municipality code)."""

    model_config = _FROZEN
    year: int = Field(ge=1900, le=2100)
    value: float
    area: str | None = Field(default=None, description="Municipality or area code; empty = all areas")


class Thresholds(BaseModel):
    """Status bands: at or better than `good` is good, at or worse than `poor` is poor."""

    model_config = _FROZEN
    good: float
    poor: float


class GroupFilter(BaseModel):
    """Fixes the population group of the inputs; empty fields follow the user's selection."""

    model_config = _FROZEN
    gender: Literal["total", "male", "female"] | None = None
    age_band: str | None = Field(default=None, pattern=r"^(all|\d+-\d*)$")


class CodeList(BaseModel):
    """A named list of area codes to compare with (e.g. the neighbouring municipalities)."""

    model_config = _FROZEN
    name: str = Field(min_length=1)
    codes: tuple[str, ...] = Field(min_length=1)


CompareWith = Union[CompareKind, CodeList]


class DisclosureLinks(BaseModel):
    """How the metric's value is tied to other metrics, for disclosure control (docs/public.md).

    Sum, ratio and derived metrics are linked to their inputs automatically. A series published
    as it is, but computed by its source from other metrics' numbers (net migration per 1 000 is
    in-migrants minus out-migrants per 1 000), is not: declare it here, so that when those
    numbers are hidden this one is hidden too, and so that no sum or difference of published
    cells gives a hidden one back.
    """

    model_config = _FROZEN
    relation: str | None = Field(
        default=None,
        description="The value equals this formula of other metrics (metric ids, numbers, + - * /), "
        "e.g. 'in_migration_rate - out_migration_rate'",
    )
    linked_to: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")], ...] | None = Field(
        default=None,
        description="Metrics the value is computed from in a way no formula states: it is hidden whenever one of them is",
    )

    @field_validator("relation")
    @classmethod
    def _relation_parses(cls, value: str | None) -> str | None:
        if value is not None:
            from metrics.expr import parse_expression  # local: expr imports nothing from here

            parse_expression(value)
        return value

    @model_validator(mode="after")
    def _something_declared(self) -> DisclosureLinks:
        if self.relation is None and not self.linked_to:
            raise RuleViolation("empty-disclosure", "empty_disclosure")
        return self

    def references(self) -> tuple[str, ...]:
        """Every metric id the declaration names (relation first, then linked_to), once each."""
        names: list[str] = []
        if self.relation is not None:
            from metrics.expr import parse_expression

            names.extend(parse_expression(self.relation).names())
        names.extend(n for n in self.linked_to or () if n not in names)
        return tuple(names)


class WorkshopApproval(BaseModel):
    """A workshop participant's approval of a draft (settings.workshop_mode), not a reviewer's.

    It records that the draft was approved as a workshop exercise; the metric stays `draft`, so
    no surface shows it as approved (dashboard default view, public summary, reports, API) until a
    reviewer confirms, which sets `status: approved` and removes this record.
    """

    model_config = _FROZEN
    date: dt.date = Field(description="Day of the workshop approval")
    by: str | None = Field(default=None, description="Who approved (empty when sign-in is off)")


class MetricBase(BaseModel):
    """Fields every metric has, whatever its kind."""

    model_config = _FROZEN

    schema_version: Literal[1] = Field(default=1, description="Version of this file format")
    id: MetricId
    status: MetricStatus = MetricStatus.DRAFT
    workshop_approval: WorkshopApproval | None = Field(
        default=None, description="Approved in a workshop, awaiting a reviewer: only on a draft"
    )
    theme: Theme
    tags: tuple[str, ...] = ()
    name: Texts
    description: Texts
    unit: Texts
    decimals: int = Field(default=1, ge=0, le=6)
    direction: Direction
    filters: GroupFilter = GroupFilter()
    targets: tuple[Target, ...] = ()
    thresholds: Thresholds | None = None
    compare_with: tuple[CompareWith, ...] = (CompareKind.REGION,)
    source: str | None = Field(default=None, description="Source; inherited from the series when empty")
    licence: str | None = Field(default=None, description="Licence; inherited from the series when empty")
    attribution: str | None = None
    owner: str | None = None
    update_frequency: UpdateFrequency = UpdateFrequency.YEARLY
    min_count: int = Field(default=5, ge=0, description="Smallest count shown (disclosure control)")
    disclosure: DisclosureLinks | None = Field(
        default=None, description="Other metrics this value is arithmetically tied to (disclosure control)"
    )
    caveats: Texts | None = None
    why_it_matters: Texts | None = None
    min_coverage: float | None = Field(
        default=None, gt=0, le=1,
        description="Smallest share (0-1] of the aggregation weight members must cover for a computed area value to be shown; empty = the settings' default (0.95)",
    )

    @model_validator(mode="after")
    def _workshop_approval_on_draft(self) -> MetricBase:
        if self.workshop_approval is not None and self.status is not MetricStatus.DRAFT:
            raise RuleViolation("workshop-approval-not-draft", "workshop_approval_not_draft")
        return self

    def input_series(self) -> tuple[str, ...]:
        """Series codes read directly by this metric (derived metrics read none)."""
        return ()


class SimpleMetric(MetricBase):
    """One series shown as it is; `aggregation` says how it rolls up over areas."""

    kind: Literal["simple"]
    series: SeriesCode
    aggregation: Aggregation = Aggregation.WEIGHTED_MEAN
    weight: SeriesCode | None = Field(default=None, description="Weight series for weighted_mean, e.g. population sotkanet:127")
    weight_basis: WeightBasis | None = Field(default=None, description="Whether `weight` is the rate's own denominator or an approximation of it")
    approximation_note: Texts | None = Field(default=None, description="Shown beside a value computed with an approximate weight")

    @model_validator(mode="after")
    def _weight_needed(self) -> SimpleMetric:
        if self.aggregation is Aggregation.WEIGHTED_MEAN and self.weight is None:
            raise RuleViolation("weight-required", "weight_required")
        return self

    def input_series(self) -> tuple[str, ...]:
        return (self.series,) + ((self.weight,) if self.weight else ())


class RatioMetric(MetricBase):
    """numerator / denominator x scale; aggregates exactly (sum of numerators / sum of denominators)."""

    kind: Literal["ratio"]
    numerator: SeriesCode
    denominator: SeriesCode
    scale: float = Field(default=1, gt=0, description="Multiplier, e.g. 100 for per cent or 1000 per 1 000")

    @model_validator(mode="after")
    def _different(self) -> RatioMetric:
        if self.numerator == self.denominator:
            raise RuleViolation("same-series", "same_series")
        return self

    def input_series(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)


class SumMetric(MetricBase):
    """The sum of several series of one area (e.g. in-migrants + out-migrants)."""

    kind: Literal["sum"]
    series: tuple[SeriesCode, ...] = Field(min_length=2)
    aggregation: Aggregation = Aggregation.SUM
    weight: SeriesCode | None = None
    weight_basis: WeightBasis | None = Field(default=None, description="Whether `weight` is the rate's own denominator or an approximation of it")
    approximation_note: Texts | None = Field(default=None, description="Shown beside a value computed with an approximate weight")

    @model_validator(mode="after")
    def _weight_needed(self) -> SumMetric:
        if self.aggregation is Aggregation.WEIGHTED_MEAN and self.weight is None:
            raise RuleViolation("weight-required", "weight_required")
        return self

    def input_series(self) -> tuple[str, ...]:
        return tuple(self.series) + ((self.weight,) if self.weight else ())


class DerivedMetric(MetricBase):
    """Arithmetic over other metrics, e.g. 'in_migration_rate - out_migration_rate'."""

    kind: Literal["derived"]
    expression: str = Field(min_length=1, description="+ - * / and parentheses over metric ids and numbers; id[2010] is that metric's value in 2010")

    @field_validator("expression")
    @classmethod
    def _parses(cls, value: str) -> str:
        from metrics.expr import parse_expression  # local: expr imports nothing from here

        parse_expression(value)
        return value

    def references(self) -> tuple[str, ...]:
        from metrics.expr import parse_expression

        return parse_expression(self.expression).names()


Metric = Annotated[Union[SimpleMetric, RatioMetric, SumMetric, DerivedMetric], Field(discriminator="kind")]
METRIC_CLASSES: dict[str, type[MetricBase]] = {
    "simple": SimpleMetric,
    "ratio": RatioMetric,
    "sum": SumMetric,
    "derived": DerivedMetric,
}
AnyMetric = SimpleMetric | RatioMetric | SumMetric | DerivedMetric


@dataclass(frozen=True)
class Selection:
    """What to query: areas (municipality or aggregate codes, or 'pilot'), periods (None = all), group."""

    areas: tuple[str, ...]
    periods: tuple[str, ...] | None = None
    gender: str = "total"
    age_band: str = "all"
