"""One place for configuration: environment variables, an optional TOML file, then defaults.

Every other module asks `get_settings()` instead of reading the environment itself, so a test or a
deployment changes behaviour in one place. The database URL alone selects the backend.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

Language = Literal["fi", "sv", "en"]
LANGUAGES: tuple[Language, ...] = ("fi", "sv", "en")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE_ENV = "KUNTAMITTARI_CONFIG"
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "kuntamittari.toml"

PILOT_MUNICIPALITIES: tuple[str, ...] = (
    "009",  # Alavieska
    "208",  # Kalajoki
    "244",  # Kempele
    "425",  # Liminka
    "436",  # Lumijoki
    "494",  # Muhos
    "535",  # Nivala
    "563",  # Oulainen
    "678",  # Raahe
    "691",  # Reisjärvi
)


def default_data_dir() -> Path:
    """The repository's `var/` when running from a checkout, else the user's data directory."""
    if (PROJECT_ROOT / "pyproject.toml").exists():
        return PROJECT_ROOT / "var"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kuntamittari"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads `[kuntamittari]` keys from the TOML file named by KUNTAMITTARI_CONFIG (if any)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return dict(data.get("kuntamittari", data))


class Settings(BaseSettings):
    """Validated configuration. Environment variables are `KUNTAMITTARI_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="KUNTAMITTARI_", frozen=True, extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    metrics_dir: Path = PROJECT_ROOT / "metrics" / "definitions"
    # Where the metric catalogue lives: "database" (the warehouse's `metric_version` table, shared by
    # every app replica; `metrics_dir` is then the shipped seed) or "directory" (the YAML files
    # of `metrics_dir` themselves: development and CI on files). docs/operations.md.
    catalogue_source: Literal["database", "directory"] = "database"
    default_language: Language = "fi"
    default_area: str = "208"
    pilot_group: tuple[str, ...] = PILOT_MUNICIPALITIES
    upload_max_mb: float = 10.0
    cache_ttl_seconds: int = 600
    # Memory of one app replica (docs/operations.md, "Memory"): all cached query results together,
    # and glibc's malloc arenas (0 leaves either to its default).
    cache_max_mb: int = Field(default=128, ge=0, description="Streamlit server.maxCacheDataSize in MB; 0: no limit")
    malloc_arena_max: int = Field(default=2, ge=0, description="MALLOC_ARENA_MAX for the Streamlit server; 0: glibc default")
    public_only: bool = False
    auth_mode: Literal["none", "oidc", "local"] = "local"
    # Workshop mode (docs/authoring.md): participants without the reviewer role may approve drafts
    # as an exercise; such an approval is recorded on the draft and never publishes it.
    workshop_mode: bool = False
    users_file: Path | None = None
    roles: dict[str, list[str]] = Field(default_factory=dict)
    # Aggregates computed from member municipalities: below this share of the aggregation weight
    # the value is not shown ("insufficient"); metrics may set their own `min_coverage`.
    min_coverage: float = Field(default=0.95, gt=0, le=1)
    # The weight a count's coverage is measured in when the metric names none (population).
    coverage_weight_series: str = "sotkanet:127"
    population_metric: str = "population"  # counts are compared per resident through this metric
    sotkanet_base_url: str = "https://sotkanet.fi/rest/1.1"
    statfin_base_url: str = "https://pxdata.stat.fi/PxWeb/api/v1"

    # Refresh, change digest and alerts (docs/operations.md).
    refresh_interval_days: int = Field(default=30, ge=1, description="`refresh --if-due` refreshes when the last one is older")
    refresh_revision_years: int = Field(default=3, ge=0, description="Years before the newest stored one fetched again for revisions")
    refresh_retries: int = Field(default=4, ge=1, description="Attempts per request on timeouts, HTTP 429 and 5xx")
    refresh_retry_wait_seconds: float = Field(default=2.0, ge=0, description="First back-off wait; doubles per attempt")
    refresh_retry_max_wait_seconds: float = Field(default=60.0, ge=0)
    refresh_timeout_seconds: float = Field(default=60.0, gt=0)
    sotkanet_max_calls: int = Field(default=5, ge=1, description="Sotkanet publishes no limit: stay polite")
    sotkanet_time_window_seconds: float = Field(default=1.0, gt=0)
    statfin_max_calls: int = Field(default=30, ge=1, description="PxWeb v1 limit; a lower one from ?config wins")
    statfin_time_window_seconds: float = Field(default=10.0, gt=0)
    statfin_max_cells: int = Field(default=100_000, ge=1, description="Cells per PxWeb query; a lower one from ?config wins")
    digest_rank_group: Literal["similar", "pilot", "region", "county"] = "similar"
    digest_forecast_models: tuple[str, ...] = ("drift",)
    public_base_url: str = "http://localhost:8501"
    # The static public site (`kuntamittari publish`, docs/static-site.md): with a directory set, every
    # refresh that is not a failure publishes the site there afterwards.
    publish_dir: Path | None = Field(default=None, description="Where `kuntamittari publish` writes the static site; set: each refresh republishes it")
    publish_base_url: str = Field(default="", description="The static site's public address (https://.../), for sitemap.xml and hreflang")
    publish_jobs: int = Field(default=0, ge=0, description="Worker processes for publishing; 0: one per core")
    publish_pdf: bool = Field(default=True, description="Make each page's council summary PDF when publishing")
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = ""
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    webhook_timeout_seconds: float = Field(default=15.0, gt=0)

    # Sign-in sessions and throttling (docs/public.md, "Sign-in"): kept in the warehouse, so
    # every app replica on one database shares them; replicas need the same session_secret.
    session_secret: SecretStr = Field(default=SecretStr(""), description="HMAC key of session cookies; empty: generated once into <data_dir>/session_secret")
    session_idle_minutes: int = Field(default=120, ge=1, description="A session ends after this long without a page run")
    session_absolute_hours: float = Field(default=12.0, gt=0, description="A session ends this long after sign-in, used or not")
    trusted_proxies: int = Field(default=0, ge=0, description="Reverse proxies in front of the app that append X-Forwarded-For; 0: the connection's own address")
    signin_max_failures: int = Field(default=5, ge=1, description="Attempts per user in one window before a lockout")
    signin_client_max_failures: int = Field(default=50, ge=1, description="Attempts per client address in one window before a lockout")
    signin_window_seconds: int = Field(default=900, ge=1, description="The window attempts are counted in")
    signin_lockout_seconds: int = Field(default=60, ge=1, description="The first lockout; each further one doubles")
    signin_lockout_max_seconds: int = Field(default=3600, ge=1, description="The longest lockout")
    # Read-only HTTP API (docs/api.md). Tokens are stored only as SHA-256 hex digests -> role.
    api_tokens: dict[str, str] = Field(default_factory=dict, description="sha256(token) hex -> role (viewer, author, reviewer, admin)")
    api_max_metrics: int = Field(default=10, ge=1, description="Metrics per /data call")
    api_max_areas: int = Field(default=50, ge=1, description="Areas per /data call (bulk downloads have all)")
    api_max_periods: int = Field(default=40, ge=1, description="Periods per /data call")
    api_max_cells: int = Field(default=100_000, ge=1, description="Cells per /data answer")
    # Transparency page: who maintains the catalogue and where feedback goes.
    catalogue_maintainer: str = ""
    feedback_url: str = ""
    feedback_email: str = ""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'kuntamittari.sqlite'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings. Tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
