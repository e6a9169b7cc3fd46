"""The served page's language without a browser (`ui.served_page`): the middleware in front of
Streamlit gives a page request `<html lang>` by the app's own rule, leaves every other answer as
it was, and Streamlit's own page still has the tag it rewrites. (The browser scan checks the
language at the first painted heading: tests/browser/test_accessibility.py.)"""

from __future__ import annotations

import asyncio
import gzip
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from kuntamittari.settings import get_settings
from ui.served_page import DocumentLanguage, served_language, streamlit_page, with_language

#: Long enough for the gzip middleware (it leaves answers under 500 bytes alone).
PAGE = '<!DOCTYPE html>\n<html lang="en">\n<head><title>x</title></head><body>' + "<p>sisältö</p>" * 100 + "</body></html>"
BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8", "accept-encoding": "gzip"}


def page(request: object) -> Response:
    return HTMLResponse(PAGE, headers={"etag": '"same-for-every-language"'})


def data(request: object) -> Response:
    return JSONResponse({"lang": "en"})


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        body = gzip.decompress(self.content) if self.headers.get("content-encoding") == "gzip" else self.content
        return body.decode()


class Client:
    """Calls an ASGI app directly (one request, the whole answer collected)."""

    def __init__(self, app: object) -> None:
        self.app = app

    def request(self, method: str, target: str, headers: dict[str, str]) -> Answer:
        path, _, query = target.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "extensions": {}}
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict) -> None:
            sent.append(message)

        asyncio.run(self.app(scope, receive, send))  # type: ignore[operator]
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return Answer(start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body)

    def get(self, target: str, headers: dict[str, str]) -> Answer:
        return self.request("GET", target, headers)

    def post(self, target: str, headers: dict[str, str]) -> Answer:
        return self.request("POST", target, headers)


@pytest.fixture
def client() -> Client:
    """A page and a JSON route behind compression, with the middleware outermost (as `st.App`
    puts an app's middleware in front of Streamlit's own, which compresses)."""
    app = Starlette(routes=[Route("/_stcore/data", data), Route("/{name:path}", page, methods=["GET", "POST"])],
                    middleware=[Middleware(DocumentLanguage), Middleware(GZipMiddleware)])
    return Client(app)


@pytest.mark.parametrize(("query", "expected"), [
    (b"lang=sv", "sv"), (b"area=208&lang=SV-fi", "sv"), (b"lang=%20en%20", "en"), (b"lang=fi", "fi"),
    (b"lang=xx", "fi"), (b"lang=", "fi"), (b"area=208", "fi"), (b"", "fi"),
])
def test_language_of_an_address_follows_the_app_rule(query: bytes, expected: str) -> None:
    """`?lang=` when valid (normalised like the app's own parameter), else the default (fi)."""
    assert get_settings().default_language == "fi"
    assert served_language(query) == expected


def test_configured_default_language_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUNTAMITTARI_DEFAULT_LANGUAGE", "sv")
    get_settings.cache_clear()
    try:
        assert served_language(b"area=208") == "sv"
        assert served_language(b"lang=en") == "en"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_page_request_gets_its_language(client: Client, lang: str) -> None:
    response = client.get(f"/overview?area=208&lang={lang}", headers=BROWSER)
    assert response.status == 200
    assert response.text == PAGE.replace('<html lang="en">', f'<html lang="{lang}">')
    assert response.headers["content-length"] == str(len(response.content))
    # sent whole and uncompressed, and never validated against another language's copy
    assert "content-encoding" not in response.headers
    assert "etag" not in response.headers


def test_other_answers_pass_unchanged(client: Client) -> None:
    # a request that does not ask for a page (a script's fetch) is compressed as before
    fetched = client.get("/overview?lang=sv", headers={"accept": "*/*", "accept-encoding": "gzip"})
    assert fetched.headers["content-encoding"] == "gzip"
    assert fetched.headers["etag"] == '"same-for-every-language"'
    assert '<html lang="en">' in fetched.text
    # JSON asked for with an HTML-accepting header is not HTML: untouched
    assert client.get("/_stcore/data?lang=sv", headers=BROWSER).text == '{"lang":"en"}'
    # not a GET
    assert '<html lang="en">' in client.post("/overview?lang=sv", headers=BROWSER).text


def test_streamlit_page_has_the_tag_that_is_rewritten() -> None:
    """Streamlit's own index.html (read from the installed package, never changed): a new
    Streamlit version without `<html lang="...">` would leave the language unset."""
    html = streamlit_page()
    assert html == (Path(streamlit.__file__).parent / "static" / "index.html").read_bytes()
    assert b'<html lang="en">' in html
    rewritten = with_language(html, "sv")
    assert rewritten.count(b'<html lang="sv">') == 1 and b'<html lang="en">' not in rewritten
    assert len(rewritten) == len(html)  # nothing else touched
