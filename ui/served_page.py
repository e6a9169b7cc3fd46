"""The page Streamlit serves, with `<html lang>` in the page's language from the first byte.

Why: Streamlit's `index.html` says `<html lang="en">` whatever the app's language. A script in
the app (`ui.a11y`) can correct it only once Streamlit has loaded the script's code, and by then
Finnish or Swedish text may be on screen under "en" (a screen reader reads it with English
rules). No option of Streamlit sets the attribute, so the ASGI entry `served_app.py` (what
`kuntamittari serve` runs) puts this middleware in front of Streamlit: a browser's request for
a page (GET, accepting HTML) is answered with the same page, its `lang` set to the language the
app's first run will choose for that address (`?lang=` when valid, else the configured
default: the rule of `ui.state.resolve` for a new session). A later change of language inside
the app loads no page; `ui.a11y`'s script follows it. Nothing else passes through this code.
docs/accessibility.md describes the whole.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import streamlit

from kuntamittari.i18n import configured_language

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HTML_LANG = re.compile(rb'<html lang="[^"]*"')
#: Dropped from a page request: the page must come uncompressed (7 kB) to be rewritten, and
#: never as "not modified" on the strength of a copy served in another language.
_REQUEST_HEADERS_DROPPED = {b"accept-encoding", b"if-none-match", b"if-modified-since"}
#: Dropped from the rewritten answer: its length changes, and it differs by language.
_RESPONSE_HEADERS_DROPPED = {b"content-length", b"etag", b"last-modified"}


def streamlit_page() -> bytes:
    """The page Streamlit serves for every address (`index.html` of the installed Streamlit,
    read, never changed)."""
    return (Path(streamlit.__file__).parent / "static" / "index.html").read_bytes()


def served_language(query_string: bytes) -> str:
    """The language of a new session at this address: `?lang=` when valid, else the default."""
    values = parse_qs(query_string.decode("latin-1")).get("lang")
    return configured_language(values[0] if values else None)


def with_language(html: bytes, lang: str) -> bytes:
    """`html` with its `<html lang>` set to `lang` (unchanged, with a warning, when the page has
    no such tag: a new Streamlit version may have changed its page; the browser test fails)."""
    changed, count = _HTML_LANG.subn(f'<html lang="{lang}"'.encode(), html, count=1)
    if not count:
        logger.warning("served page has no <html lang=...>: language not set")
    return changed


def _is_page_request(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    return b"text/html" in accept


class DocumentLanguage:
    """ASGI middleware: pages answered with `<html lang>` in the page's language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        if not _HTML_LANG.search(streamlit_page()):  # said once at start, not on every page
            logger.error("Streamlit's page has no <html lang=...>: pages keep Streamlit's language")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_page_request(scope):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope.get("headers") or [] if k.lower() not in _REQUEST_HEADERS_DROPPED]
        # a file sent by path (zero-copy) could not be rewritten: ask for the bytes
        extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
        inner = {**scope, "headers": headers, "extensions": extensions}
        await self.app(inner, receive, _rewriting(send, served_language(scope.get("query_string", b""))))


def _rewriting(send: Send, lang: str) -> Send:
    """`send`, with an HTML answer held until complete and sent with its language set."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def rewrite(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            fields = {k.lower(): v for k, v in message.get("headers") or []}
            if fields.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in fields:
                start = message
                return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = with_language(b"".join(chunks), lang)
        headers = [(k, v) for k, v in start.get("headers") or [] if k.lower() not in _RESPONSE_HEADERS_DROPPED]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return rewrite
