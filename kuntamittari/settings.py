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

from pydantic import Field
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
    default_language: Language = "fi"
    default_area: str = "208"
    pilot_group: tuple[str, ...] = PILOT_MUNICIPALITIES
    upload_max_mb: float = 10.0
    cache_ttl_seconds: int = 600
    public_only: bool = False
    auth_mode: Literal["none", "oidc", "local"] = "local"
    users_file: Path | None = None
    roles: dict[str, list[str]] = Field(default_factory=dict)
    population_metric: str = "population"  # counts are compared per resident through this metric
    sotkanet_base_url: str = "https://sotkanet.fi/rest/1.1"
    statfin_base_url: str = "https://pxdata.stat.fi/PxWeb/api/v1"

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
