"""The HttpOnly session cookie's endpoint (`ui.session_cookie`) at the ASGI level: the middleware
around a trivial app, a real session store on a temporary SQLite warehouse, requests through
Starlette's TestClient. (The browser side: tests/auth/test_auth_browser.py.)"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from accounts.sessions import COOKIE_NAME, SessionPolicy, SessionStore
from datamodel.engine import make_engine
from ui.session_cookie import ENDPOINT, SessionCookie, cookie_script, same_origin

SECRET = b"cookie-endpoint-secret-0123456789"
POLICY = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
ORIGIN = {"Origin": "http://testserver"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def echo(request: Request) -> PlainTextResponse:
    """The app behind the middleware: says what reached it (method, path, cookie)."""
    return PlainTextResponse(f"{request.method} {request.url.path} {request.cookies.get(COOKIE_NAME, '-')}")


@pytest.fixture
def engine(_sqlite_template: Path, tmp_path: Path) -> Engine:
    path = tmp_path / "warehouse.sqlite"
    shutil.copyfile(_sqlite_template, path)
    made = make_engine(f"sqlite:///{path}")
    yield made
    made.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: Engine, clock: Clock) -> SessionStore:
    return SessionStore(engine, SECRET, POLICY, clock)


def client(store: SessionStore, base_url: str = "http://testserver", trusted_proxies: int = 0) -> TestClient:
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])],
                    middleware=[Middleware(SessionCookie, store=lambda: store, trusted_proxies=trusted_proxies)])
    return TestClient(app, base_url=base_url)


def set_cookie(response: object) -> str:
    return response.headers.get("set-cookie", "")  # type: ignore[attr-defined]


def test_a_live_session_gets_an_httponly_strict_cookie(store: SessionStore) -> None:
    new = store.create("maija@kalajoki.fi", ["author"], "Maija")
    answer = client(store).post(ENDPOINT, json={"value": new.cookie}, headers=ORIGIN)
    assert answer.status_code == 204
    header = set_cookie(answer)
    parts = [p.strip() for p in header.split(";")]
    assert parts[0] == f"{COOKIE_NAME}={new.cookie}"
    assert set(parts[1:]) == {"Path=/", f"Max-Age={8 * 3600}", "SameSite=Strict", "HttpOnly"}  # no Secure over http


def test_secure_over_https_and_behind_a_trusted_proxy_only(store: SessionStore) -> None:
    new = store.create("maija@kalajoki.fi", ["author"])
    https = client(store, "https://testserver").post(ENDPOINT, json={"value": new.cookie},
                                                     headers={"Origin": "https://testserver"})
    assert https.status_code == 204 and set_cookie(https).endswith("; HttpOnly; Secure")
    forwarded = {**ORIGIN, "X-Forwarded-Proto": "https"}
    proxied = client(store, trusted_proxies=1).post(ENDPOINT, json={"value": new.cookie}, headers=forwarded)
    assert proxied.status_code == 204 and "Secure" in set_cookie(proxied)
    untrusted = client(store).post(ENDPOINT, json={"value": new.cookie}, headers=forwarded)
    assert untrusted.status_code == 204 and "Secure" not in set_cookie(untrusted)


def test_unknown_revoked_and_expired_sessions_get_no_cookie(store: SessionStore, clock: Clock) -> None:
    web = client(store)
    forged = store.create("maija@kalajoki.fi", ["author"]).cookie[:-2] + "xx"
    revoked = store.create("maija@kalajoki.fi", ["author"]).cookie
    store.revoke(revoked)
    for value in (forged, revoked, "v1.unknown.signature"):
        answer = web.post(ENDPOINT, json={"value": value}, headers=ORIGIN)
        assert (answer.status_code, set_cookie(answer)) == (403, ""), value
    expiring = store.create("maija@kalajoki.fi", ["author"]).cookie
    clock.now += timedelta(minutes=31)  # idle longer than the policy allows
    answer = web.post(ENDPOINT, json={"value": expiring}, headers=ORIGIN)
    assert (answer.status_code, set_cookie(answer)) == (403, "")


def test_cross_site_and_malformed_requests_are_refused(store: SessionStore) -> None:
    live = store.create("maija@kalajoki.fi", ["author"]).cookie
    web = client(store)
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "http://testserver.evil.example"},
                    {"Origin": "null"}, {}):
        answer = web.post(ENDPOINT, json={"value": live}, headers=headers)
        assert (answer.status_code, set_cookie(answer)) == (403, ""), headers
        web.cookies.set(COOKIE_NAME, live)
        cleared = web.request("DELETE", ENDPOINT, json={"value": live}, headers=headers)
        assert (cleared.status_code, set_cookie(cleared)) == (403, ""), headers
    form = web.post(ENDPOINT, content=f"value={live}", headers={**ORIGIN, "Content-Type": "application/x-www-form-urlencoded"})
    assert (form.status_code, set_cookie(form)) == (400, "")
    assert web.post(ENDPOINT, json={"value": ""}, headers=ORIGIN).status_code == 400
    assert web.post(ENDPOINT, json={"value": "x" * 2000}, headers=ORIGIN).status_code == 400
    assert web.get(ENDPOINT, headers=ORIGIN).status_code == 405


def test_delete_clears_only_the_dead_value(store: SessionStore) -> None:
    dead = store.create("maija@kalajoki.fi", ["author"]).cookie
    newer = store.create("maija@kalajoki.fi", ["author"]).cookie
    web = client(store)
    web.cookies.set(COOKIE_NAME, newer)  # another tab signed in since
    kept = web.request("DELETE", ENDPOINT, json={"value": dead}, headers=ORIGIN)
    assert (kept.status_code, set_cookie(kept)) == (204, "")
    web.cookies.set(COOKIE_NAME, dead)
    cleared = web.request("DELETE", ENDPOINT, json={"value": dead}, headers=ORIGIN)
    assert cleared.status_code == 204
    assert set_cookie(cleared) == f"{COOKIE_NAME}=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly"


def test_every_other_request_passes_through(store: SessionStore) -> None:
    web = client(store)
    web.cookies.set(COOKIE_NAME, "abc")
    for method, path in (("GET", "/"), ("POST", "/_kuntamittari/other"), ("DELETE", "/_kuntamittari/session/x"),
                         ("GET", "/_stcore/health")):
        answer = web.request(method, path, headers=ORIGIN)
        assert (answer.status_code, answer.text, set_cookie(answer)) == (200, f"{method} {path} abc", ""), path


def test_same_origin_rule() -> None:
    assert same_origin("https://mittari.kunta.example", "mittari.kunta.example")
    assert same_origin("http://localhost:8080", "localhost")  # nginx's $host drops the port
    assert same_origin("http://127.0.0.1:8501", "127.0.0.1:8501")
    assert same_origin("https://mittari.kunta.example", "mittari.kunta.example:443")
    assert not same_origin("http://127.0.0.1:8502", "127.0.0.1:8501")
    assert not same_origin("http://[::1]:8501", "127.0.0.1:8501")
    assert not same_origin("https://evil.example", "mittari.kunta.example")


def test_the_page_script_asks_the_endpoint_and_falls_back_only_when_absent() -> None:
    script = cookie_script(("set", "v1.abc.def", 3600))
    assert f'fetch("{ENDPOINT}"' in script and '"method": "POST"' in script and '"credentials": "same-origin"' in script
    assert "r.status === 404 || r.status === 405" in script and "Max-Age=3600" in script
    clear = cookie_script(("clear", "v1.abc.def"))
    assert '"method": "DELETE"' in clear and '"v1.abc.def"' in clear
