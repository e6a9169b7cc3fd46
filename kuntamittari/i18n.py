"""The translation layer: every user-facing string is looked up here by key.

Messages live as data in `locales/<lang>/<domain>.yaml`; the file stem is the key's first part,
so `locales/fi/overview.yaml` with `title: Tilannekuva` answers `t("overview.title", "fi")`.
Each layer owns its own domain files, so parallel work never edits one shared catalogue.
Finnish is the primary language: a key missing in sv/en falls back to Finnish and is logged; a
test compares the key sets so a gap is found before a user sees it.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kuntamittari.settings import LANGUAGES, Language, get_settings

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
PRIMARY: Language = "fi"
LANGUAGE_NAMES: dict[str, str] = {"fi": "suomi", "sv": "svenska", "en": "English"}


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = "" if node is None else str(node)


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, flattened to dotted keys."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        _flatten(path.stem, data, messages)
    return messages


def normalise_language(lang: str | None) -> Language:
    """Map any input (query parameter, header) to a supported language, Finnish by default."""
    value = (lang or "").strip().lower()[:2]
    return value if value in LANGUAGES else PRIMARY  # type: ignore[return-value]


def configured_language(lang: str | None = None) -> Language:
    """`lang` when it names a supported language (`?lang=SV`, `sv-FI`, `--lang sv`), else the
    configured default language (`KUNTAMITTARI_DEFAULT_LANGUAGE`): the one rule for the language
    of a command's output and of a new session."""
    value = (lang or "").strip().lower()[:2]
    return value if value in LANGUAGES else get_settings().default_language  # type: ignore[return-value]


def t(key: str, lang: str = PRIMARY, /, **params: Any) -> str:
    """The message `key` in `lang`, formatted with `params` (str.format placeholders).

    Missing keys fall back to Finnish, then to the key itself, so a gap is visible but never fatal.
    """
    lang = normalise_language(lang)
    text = catalogue(lang).get(key)
    if text is None:
        logger.warning("missing translation %s for %s", key, lang)
        text = catalogue(PRIMARY).get(key, key)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        logger.warning("bad placeholders in %s (%s)", key, lang)
        return text


def has(key: str, lang: str = PRIMARY) -> bool:
    """Whether `key` exists in `lang` (used by tests and by optional help texts)."""
    return key in catalogue(normalise_language(lang))


def missing_keys() -> dict[str, set[str]]:
    """Keys present in Finnish but missing in another language, per language."""
    primary = set(catalogue(PRIMARY))
    return {lang: primary - set(catalogue(lang)) for lang in LANGUAGES if lang != PRIMARY}


def pick(texts: dict[str, str] | None, lang: str) -> str:
    """Choose a language from a metric's own `{fi, sv, en}` texts, falling back to Finnish."""
    if not texts:
        return ""
    return texts.get(normalise_language(lang)) or texts.get(PRIMARY) or next(iter(texts.values()), "")
