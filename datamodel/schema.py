"""The star schema: four dimensions, one fact table, the provenance of every load and a
per-series coverage summary kept by the loaders.

Typed SQLAlchemy 2.0 declarative models on one `MetaData` with a naming convention, so Alembic
migrations get stable constraint names on SQLite and PostgreSQL alike. The metric layer queries
these tables with Core (`Model.__table__`); nothing outside `datamodel/` writes to them.

Revisions: `fact_observation` holds the current value of each (series, area, period, group);
a value replaced by a later release moves to `fact_observation_revision` with the batch that
replaced it, so nothing published is ever lost and the hot queries read one narrow table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AreaType(str, enum.Enum):
    """Kinds of area; municipalities are the unit, the others are aggregates with rows of their own."""

    MUNICIPALITY = "kunta"
    SUBREGION = "seutukunta"
    REGION = "maakunta"
    COUNTY = "hyvinvointialue"
    COUNTRY = "maa"


class PeriodGrain(str, enum.Enum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class ObservationStatus(str, enum.Enum):
    OK = "ok"
    PROVISIONAL = "provisional"
    SUPPRESSED_AT_SOURCE = "suppressed"
    MISSING = "missing"


class SizeClass(str, enum.Enum):
    """Statistics Finland's municipal size classes by population (used for 'similar municipalities')."""

    UNDER_2000 = "alle_2000"
    FROM_2000 = "2000_5999"
    FROM_6000 = "6000_9999"
    FROM_10000 = "10000_19999"
    FROM_20000 = "20000_49999"
    FROM_50000 = "50000_99999"
    OVER_100000 = "yli_100000"


class DimArea(Base):
    """A municipality, sub-region, region, wellbeing services county or the whole country.

    Areas are versioned: municipalities merge, so each row has the years it is valid for
    (`valid_to` null = still valid). The parent codes refer to areas of the named type.
    """

    __tablename__ = "dim_area"
    __table_args__ = (UniqueConstraint("area_type", "code", "valid_from"),)

    area_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_type: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name_fi: Mapped[str] = mapped_column(String(120))
    name_sv: Mapped[str | None] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    region_code: Mapped[str | None] = mapped_column(String(10))
    subregion_code: Mapped[str | None] = mapped_column(String(10))
    county_code: Mapped[str | None] = mapped_column(String(10))
    size_class: Mapped[str | None] = mapped_column(String(20))
    sotkanet_region_id: Mapped[int | None] = mapped_column(Integer, index=True)
    valid_from: Mapped[int] = mapped_column(Integer, default=1900)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    successor_code: Mapped[str | None] = mapped_column(String(10))


class DimPeriod(Base):
    """A year, quarter or month. `code` is '2011', '2011Q3' or '2011M07' (PxWeb style)."""

    __tablename__ = "dim_period"

    period_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    grain: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer, index=True)
    quarter: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)


class DimSeries(Base):
    """A source series: a Sotkanet indicator, a StatFin table+variable, or a municipality's own.

    `code` is namespaced by source: 'sotkanet:181', 'statfin:11re:vaesto', 'own:208:kotihoito'.
    `is_count` says whether values are absolute counts (summable over areas) or rates.
    """

    __tablename__ = "dim_series"

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(80))
    title_fi: Mapped[str] = mapped_column(Text)
    title_sv: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    description_fi: Mapped[str | None] = mapped_column(Text)
    description_sv: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(60))
    decimals: Mapped[int | None] = mapped_column(Integer)
    is_count: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str | None] = mapped_column(String(80))
    licence: Mapped[str] = mapped_column(String(60))
    attribution: Mapped[str] = mapped_column(String(200))
    source_url: Mapped[str | None] = mapped_column(String(300))
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who published the figures, in words (own uploads: the name the uploader gives).
    source_name: Mapped[str | None] = mapped_column(String(200))
    # Municipal division (the year whose municipality borders) the series' history is on; null =
    # the area dimension's base division (`datamodel.divisions.BASE_DIVISION`). Kept by the loaders.
    division: Mapped[int | None] = mapped_column(Integer)
    # True when a value of exactly 0 cannot be real for this series (e.g. population, income
    # support per inhabitant): such zeros are flagged at load time (`datamodel.quality`).
    zero_implausible: Mapped[bool | None] = mapped_column(Boolean)


class DimGroup(Base):
    """A population group: gender (total/male/female) and age band ('all' or e.g. '15-64')."""

    __tablename__ = "dim_group"
    __table_args__ = (UniqueConstraint("gender", "age_band"),)

    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    gender: Mapped[str] = mapped_column(String(10))
    age_band: Mapped[str] = mapped_column(String(20), default="all")


class LoadBatch(Base):
    """Provenance of one load: where the data came from, when, under which licence, what changed."""

    __tablename__ = "load_batch"

    batch_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    loader: Mapped[str] = mapped_column(String(40))
    location: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    licence: Mapped[str] = mapped_column(String(60))
    attribution: Mapped[str] = mapped_column(String(200))
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    # Own uploads: the publisher's name and the user who uploaded (the upload date is `loaded_at`;
    # `fetched_at` is the retrieval date from a source and stays empty for uploads).
    source_name: Mapped[str | None] = mapped_column(String(200))
    uploaded_by: Mapped[str | None] = mapped_column(String(120))


class FactObservation(Base):
    """The current value of one series for one area, period and group.

    `numerator`/`denominator` are the absolute count and its base where the source gives them,
    so rates can be aggregated over areas exactly (sum of numerators / sum of denominators).
    """

    __tablename__ = "fact_observation"
    __table_args__ = (
        # Hot query 1: one area, many series, all years (the unique key leads with area).
        UniqueConstraint("area_id", "series_id", "group_id", "period_id", name="uq_fact_observation_key"),
        # Hot query 2: one series, many areas, one year.
        Index("ix_fact_observation_series_period", "series_id", "period_id", "area_id"),
    )

    observation_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("dim_area.area_id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("dim_period.period_id"))
    series_id: Mapped[int] = mapped_column(ForeignKey("dim_series.series_id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("dim_group.group_id"))
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default=ObservationStatus.OK.value)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"), index=True)


class FactObservationRevision(Base):
    """A value that a later release replaced, kept so every published figure stays retrievable."""

    __tablename__ = "fact_observation_revision"
    __table_args__ = (Index("ix_fact_observation_revision_key", "series_id", "area_id", "period_id"),)

    revision_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("dim_area.area_id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("dim_period.period_id"))
    series_id: Mapped[int] = mapped_column(ForeignKey("dim_series.series_id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("dim_group.group_id"))
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12))
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"))
    superseded_by_batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"))


class SeriesCoverage(Base):
    """Per-series summary of `fact_observation`: years and period with data, row count, last batch.

    Why: "latest period per series" (data status page) and "latest load per series" (metric
    provenance) would otherwise aggregate the whole fact table (11.5 M rows at national scale,
    6-7 s on SQLite); read from here they are O(series). Derived data, never edited by hand: every
    write path refreshes the rows of the series it touched in the same transaction
    (`datamodel.coverage.refresh_series_coverage`), so it is exactly as current as the facts.

    `first_year`/`last_year`/`last_period` are over facts with a non-null value (null when the
    series has only missing values); `last_period` is the greatest `dim_period.code` among them
    (codes sort as strings: '2011' < '2011M07' < '2011Q3'). `rows` and `last_batch_id` count every
    fact of the series, with or without a value.
    """

    __tablename__ = "series_coverage"

    series_id: Mapped[int] = mapped_column(ForeignKey("dim_series.series_id"), primary_key=True)
    first_year: Mapped[int | None] = mapped_column(Integer)
    last_year: Mapped[int | None] = mapped_column(Integer)
    last_period: Mapped[str | None] = mapped_column(String(10))
    rows: Mapped[int] = mapped_column(BigInteger)
    last_batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"))
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))



class DataQualityIssue(Base):
    """A source value the loader did not take at face value (e.g. an implausible 0 stored as missing).

    Why a table: the data status page lists these, and the figure as the source gave it stays
    retrievable (`value`) while the fact row holds what the metric layer may aggregate.
    """

    __tablename__ = "data_quality_issue"

    issue_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"), index=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("dim_series.series_id"))
    area_id: Mapped[int] = mapped_column(ForeignKey("dim_area.area_id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("dim_period.period_id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("dim_group.group_id"))
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Text)


class DimAreaVersion(Base):
    """A counter that the database raises on every insert, update or delete in `dim_area`.

    Why: the metric layer keeps the area dimension in memory and must see an edit at once; this
    one-row read (~0.05 ms) replaces a checksum over every area row (~0.4 ms) on each metric
    query. Triggers keep it (SQLite: row triggers; PostgreSQL: a statement trigger), so edits
    made outside Kuntamittari count too. The row exists only where the triggers do
    (`AREA_VERSION_DDL`); without it (DuckDB) the metric layer falls back to the checksum.
    """

    __tablename__ = "dim_area_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


# The same statements as migration 0003 (kept there as written), for databases built with
# `Base.metadata.create_all` (the tests' small schemas).
AREA_VERSION_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "INSERT INTO dim_area_version (id, version) VALUES (1, 0)",
        *(f"CREATE TRIGGER dim_area_version_on_{op.lower()} AFTER {op} ON dim_area "
          "BEGIN UPDATE dim_area_version SET version = version + 1 WHERE id = 1; END"
          for op in ("INSERT", "UPDATE", "DELETE")),
    ),
    "postgresql": (
        "INSERT INTO dim_area_version (id, version) VALUES (1, 0)",
        "CREATE OR REPLACE FUNCTION dim_area_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE dim_area_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$",
        "CREATE TRIGGER dim_area_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dim_area "
        "FOR EACH STATEMENT EXECUTE FUNCTION dim_area_version_bump()",
    ),
}


class RefreshRun(Base):
    """One run of `kuntamittari refresh`: when, how it ended, its batches and its per-series report.

    Why a table of its own: a refresh that finds nothing new writes no `load_batch`, yet it is a
    refresh; "last refreshed" and `--if-due` read the newest run that reached its sources.
    `status`: ok | partial (a source failed) | failed (no source answered) | running | measured (no refresh: forecasting.accuracy_store).
    """

    __tablename__ = "refresh_run"

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    trigger: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    batch_ids: Mapped[list | None] = mapped_column(JSON)
    report: Mapped[dict | None] = mapped_column(JSON)


class RefreshSeriesState(Base):
    """What the source said about a series when it was last fetched and loaded successfully.

    `source_updated` is the source's own update stamp (Sotkanet `data-updated`, PxWeb `updated`):
    the next refresh skips the data request of a series whose stamp has not moved.
    """

    __tablename__ = "refresh_series_state"

    series_code: Mapped[str] = mapped_column(String(120), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    source_updated: Mapped[str | None] = mapped_column(String(40))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_run.run_id"))


class DigestItem(Base):
    """One change found after a load, per municipality and metric: language-independent facts.

    `kind`: new_period | revised | threshold | target | outside_forecast | rank. `payload` holds
    the numbers the sentence needs (values, bands, ranks, interval); the words come from the
    translation layer when shown, so one stored item reads in fi, sv and en.
    """

    __tablename__ = "digest_item"
    __table_args__ = (
        UniqueConstraint("batch_id", "area_code", "metric_id", "kind", "period", name="uq_digest_item_key"),
        Index("ix_digest_item_area", "area_code", "batch_id"),
    )

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("refresh_run.run_id"))
    area_code: Mapped[str] = mapped_column(String(10))
    metric_id: Mapped[str] = mapped_column(String(80))
    theme: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertSubscription(Base):
    """Who gets the digest: an e-mail address or a webhook URL, for chosen areas and themes.

    `areas`/`themes` are JSON lists of codes (empty themes = every theme); `secret` signs webhook
    bodies (HMAC-SHA256) when set. Only deliveries of batches loaded after `created_at` are sent.
    """

    __tablename__ = "alert_subscription"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    subscription_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2))
    areas: Mapped[list] = mapped_column(JSON)
    themes: Mapped[list] = mapped_column(JSON)
    secret: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertDelivery(Base):
    """That a subscription was served for a batch (sent, or nothing in it for them): once per batch.

    `status`: sent | empty | failed. A failed delivery is tried again by the next send.
    """

    __tablename__ = "alert_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "batch_id", name="uq_alert_delivery_key"),)

    delivery_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("alert_subscription.subscription_id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("load_batch.batch_id"))
    status: Mapped[str] = mapped_column(String(10))
    items: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class AuthSession(Base):
    """A sign-in session that outlives one browser tab (`accounts.sessions`).

    Why in the warehouse: every app replica on the database honours a session made through
    another one. The browser's cookie holds a random id and its HMAC; this table holds only the
    id's SHA-256 (`session_hash`), so a copy of the table gives no usable cookie.
    """

    __tablename__ = "auth_session"

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    roles: Mapped[list] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client_hash: Mapped[str | None] = mapped_column(String(64))


class AuthThrottle(Base):
    """Counted sign-in attempts and lockouts per user or client (`accounts.throttle`).

    `key_hash` is the SHA-256 of `user:<email>` or `client:<address>`: what someone typed into the
    sign-in form is never stored. `failures` counts attempts in the window that began at
    `window_start`; `lockouts` how many lockouts in a row (each one twice as long).
    """

    __tablename__ = "auth_throttle"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@event.listens_for(Base.metadata, "after_create")
def _area_version_triggers(target: object, connection: object, tables: list | None = None, **_: object) -> None:
    """After every table exists (the triggers refer to dim_area), when create_all made the counter."""
    from sqlalchemy import text

    if tables is not None and DimAreaVersion.__table__ not in tables:
        return
    for statement in AREA_VERSION_DDL.get(connection.dialect.name, ()):  # type: ignore[attr-defined]
        connection.execute(text(statement))  # type: ignore[attr-defined]

area = DimArea.__table__
period = DimPeriod.__table__
series = DimSeries.__table__
group = DimGroup.__table__
fact = FactObservation.__table__
fact_revision = FactObservationRevision.__table__
load_batch = LoadBatch.__table__
series_coverage = SeriesCoverage.__table__
area_version = DimAreaVersion.__table__
quality_issue = DataQualityIssue.__table__
refresh_run = RefreshRun.__table__
refresh_series_state = RefreshSeriesState.__table__
digest_item = DigestItem.__table__
alert_subscription = AlertSubscription.__table__
alert_delivery = AlertDelivery.__table__
auth_session = AuthSession.__table__
auth_throttle = AuthThrottle.__table__

# The metric catalogue's versions live in their own module (same `Base`); imported here so
# every user of the schema (migrations, `create_all`) has the table.
from datamodel import catalogue_schema as _catalogue_schema  # noqa: E402,F401
