"""The memory bounds `kuntamittari serve` gives the Streamlit server, from the settings."""

from __future__ import annotations

from cli.serve import memory_limits
from kuntamittari.settings import Settings


def test_defaults_bound_the_cache_and_the_malloc_arenas() -> None:
    options, env = memory_limits(Settings())
    assert options == ["--server.maxCacheDataSize", "128mb"] and env == {"MALLOC_ARENA_MAX": "2"}


def test_zero_leaves_each_to_its_default() -> None:
    assert memory_limits(Settings(cache_max_mb=0, malloc_arena_max=0)) == ([], {})
    options, env = memory_limits(Settings(cache_max_mb=300, malloc_arena_max=0))
    assert options == ["--server.maxCacheDataSize", "300mb"] and env == {}
