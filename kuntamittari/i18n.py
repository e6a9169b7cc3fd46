"""The translation layer: every user-facing string is looked up here by key.

Messages live as data in `locales/<lang>/<domain>.yaml`; the file stem is the key's first part,
so `locales/fi/overview.yaml` with `title: Tilannekuva` answers `t("overview.title", "fi")`.
Each layer owns its own domain files, so parallel work never edits one shared catalogue.
Finnish is the primary language: a key missing in sv/en falls back to Finnish and is logged; a
test compares the key sets so a gap is found before a user sees it.

Plural forms. A message whose wording depends on a number ("1 kunta" / "2 kuntaa", "1 kommun" /
"2 kommuner") is a mapping of CLDR plural categories instead of a string; `other` is required and
every form uses the same placeholders:

    index_count:
      one: "{count} kommun"
      other: "{count} kommuner"

The parameter named `count` chooses the form: `t("site.index_count", "sv", count=1)`. The rules
are CLDR's, through Babel (`Locale.plural_form`), never written by hand: in fi, sv and en `one`
is exactly the integer 1 and everything else (0, 2, 21, 1.5) is `other`. `count` may be a number
or a numeral already formatted for display (`readout.formatting.format_integer`): a formatted
numeral is read back in the message's language, so "1" is `one` and "1,0" is `other`, as CLDR
says (visible decimals count). A sentence with several counts takes each counted phrase from its
own plural message and inserts it as text ("{pages}, {municipalities}": `counts.pages`, ...). A plural message is still
one key: `catalogue()` shows its `other` form, `plural_forms()` all forms, and `plural_problems()`
reports a mapping without `other`, a category the language does not use, or forms whose
placeholders differ.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from pathlib import Path
from string import Formatter
from typing import Any, NamedTuple

import yaml
from babel import Locale
from babel.numbers import NumberFormatError, parse_decimal

from kuntamittari.settings import LANGUAGES, Language, get_settings

logger = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
PRIMARY: Language = "fi"
LANGUAGE_NAMES: dict[str, str] = {"fi": "suomi", "sv": "svenska", "en": "English"}
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})
COUNT = "count"  # the parameter whose value chooses a plural form


class Book(NamedTuple):
    """One language's messages: every key as one string (`other` for a plural) plus plural forms."""

    messages: dict[str, str]
    plurals: dict[str, dict[str, str]]


def _is_plural(node: Any) -> bool:
    """A mapping whose keys are all CLDR categories is one plural message, not a nested domain."""
    return isinstance(node, dict) and bool(node) and {str(k) for k in node} <= PLURAL_CATEGORIES


def _flatten(prefix: str, node: Any, out: Book) -> None:
    if _is_plural(node):
        forms = {str(k): "" if v is None else str(v) for k, v in node.items()}
        out.plurals[prefix] = forms
        out.messages[prefix] = forms.get("other", "")
    elif isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out.messages[prefix] = "" if node is None else str(node)


def load(lang: str, directory: Path = LOCALES_DIR) -> Book:
    """Read one language's catalogue files from `directory` (uncached; `catalogue` caches)."""
    book = Book({}, {})
    for path in sorted((directory / lang).glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        _flatten(path.stem, data, book)
    return book


@lru_cache(maxsize=len(LANGUAGES))
def _book(lang: str) -> Book:
    return load(lang, LOCALES_DIR)


def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, flattened to dotted keys (a plural message as its `other` form)."""
    return _book(lang).messages


def plural_forms(lang: str) -> dict[str, dict[str, str]]:
    """The plural messages of one language: key → {CLDR category: text}."""
    return _book(lang).plurals


def language_code(raw: str | None) -> str:
    """How a language is read from any input: `?lang=SV`, ` sv ` and `sv-FI` all mean `sv` (the
    first two letters, lower case). Whether the code is supported is the caller's question."""
    return (raw or "").strip().lower()[:2]


def normalise_language(lang: str | None) -> Language:
    """Map any input (query parameter, header) to a supported language, Finnish by default."""
    value = language_code(lang)
    return value if value in LANGUAGES else PRIMARY  # type: ignore[return-value]


def configured_language(lang: str | None = None) -> Language:
    """`lang` when it names a supported language (`?lang=SV`, `sv-FI`, `--lang sv`), else the
    configured default language (`KUNTAMITTARI_DEFAULT_LANGUAGE`): the one rule for the language
    of a command's output and of a new session."""
    value = language_code(lang)
    return value if value in LANGUAGES else get_settings().default_language  # type: ignore[return-value]


@lru_cache(maxsize=len(LANGUAGES))
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(count: Any, lang: str) -> str:
    """The CLDR category of `count` in `lang`: a number, or a numeral formatted in that language."""
    if isinstance(count, bool) or count is None:
        return "other"
    number = count
    if isinstance(count, str):
        text = "".join(c for c in count if unicodedata.category(c) != "Zs").replace("\u2212", "-")
        try:
            number = parse_decimal(text, locale=_locale(lang))
        except NumberFormatError:
            return "other"  # "–" for a missing count, or words: no form but the general one fits
    try:
        return _locale(lang).plural_form(number)
    except (TypeError, ValueError, ArithmeticError):
        return "other"


def _text(key: str, lang: Language, params: dict[str, Any]) -> str | None:
    book = _book(lang)
    forms = book.plurals.get(key)
    if forms is None:
        return book.messages.get(key)
    if COUNT not in params:
        logger.warning("plural message %s (%s) without a %s parameter", key, lang, COUNT)
        return forms.get("other", "")
    return forms.get(plural_category(params[COUNT], lang)) or forms.get("other", "")


def t(key: str, lang: str = PRIMARY, /, **params: Any) -> str:
    """The message `key` in `lang`, formatted with `params` (str.format placeholders).

    A plural message picks its form by the `count` parameter (see the module docstring).
    Missing keys fall back to Finnish, then to the key itself, so a gap is visible but never fatal.
    """
    lang = normalise_language(lang)
    text = _text(key, lang, params)
    if text is None:
        logger.warning("missing translation %s for %s", key, lang)
        text = _text(key, PRIMARY, params)
        if text is None:
            text = key
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


def placeholders(text: str) -> set[str]:
    """The names of a message's str.format placeholders ("{count} kuntaa" → {"count"})."""
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(text) if name}
    except ValueError:
        return {"<unbalanced braces>"}


def plural_problems(directory: Path = LOCALES_DIR) -> list[str]:
    """Plural messages that are malformed in any language, one readable line each.

    A plural mapping must have `other` (the form every language has), only categories the
    language's CLDR rules can choose, and the same placeholders in every form.
    """
    problems: list[str] = []
    for lang in LANGUAGES:
        used = _locale(lang).plural_form.tags | {"other"}
        for key, forms in sorted(load(lang, directory).plurals.items()):
            where = f"{lang}: {key}"
            if "other" not in forms:
                problems.append(f"{where} has no 'other' form")
            unused = sorted(set(forms) - used)
            if unused:
                problems.append(f"{where} has forms {unused} that {lang} never uses")
            shapes = {category: placeholders(text) for category, text in forms.items()}
            if len({frozenset(s) for s in shapes.values()}) > 1:
                problems.append(f"{where} forms use different placeholders: {shapes}")
    return problems


def pick(texts: dict[str, str] | None, lang: str) -> str:
    """Choose a language from a metric's own `{fi, sv, en}` texts, falling back to Finnish."""
    if not texts:
        return ""
    return texts.get(normalise_language(lang)) or texts.get(PRIMARY) or next(iter(texts.values()), "")
