"""The language of an answer's words: one rule for data labels and problem texts alike.

`lang=` wins when it names a supported language; else the best supported language of the
`Accept-Language` header (by its q-values, `fi-FI` counts as `fi`); else the configured
`default_language` (Finnish unless set), the same default as the pages, the command line and the
reports. An API client that sends neither gets the words a resident of the deployment would.
"""

from __future__ import annotations

from fastapi import Request

from kuntamittari.settings import LANGUAGES, Language, get_settings


def from_query(raw: str | None) -> Language | None:
    """`lang=` as a supported language, or None when absent or not one of fi/sv/en."""
    value = (raw or "").strip().lower()
    return value if value in LANGUAGES else None  # type: ignore[return-value]


def from_header(accept_language: str | None) -> Language | None:
    """The supported language the header prefers most (None when it names none of them)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None  # type: ignore[return-value]


def choose(raw: str | None, accept_language: str | None, default: Language) -> Language:
    """The rule itself: a valid `lang=`, else the header's best match, else `default`."""
    return from_query(raw) or from_header(accept_language) or default


def of_request(request: Request) -> Language:
    """The language of `request` (for answers built outside a route, such as problem documents)."""
    return choose(request.query_params.get("lang"), request.headers.get("accept-language"), default_language(request))


def default_language(request: Request) -> Language:
    """The app's configured default language (the settings the app was made with)."""
    house = getattr(request.app.state, "warehouse", None)
    settings = house.settings if house is not None else get_settings()
    return settings.default_language
