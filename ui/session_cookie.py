"""The sign-in session cookie, set and cleared by the server so that it can be `HttpOnly`.

Why: Streamlit 1.67 reads cookies (`st.context.cookies`) but has no way to set one, so the page
run after a sign-in used to write the cookie with a script (`document.cookie`). A cookie a
script writes is readable by every script, so one injected into the page could have read a
manager's session. When the app runs the way users run it (`kuntamittari serve`, i.e. the ASGI
entry `served_app.py`), this middleware in front of Streamlit answers one same-origin address,
`/_kuntamittari/session`, and the page's script asks it instead:

- `POST {"value": <cookie>}`: the server looks the value up in the warehouse's session store
  (it must stand for a live session; the database call runs off the event loop) and answers 204
  with `Set-Cookie: kuntamittari_session=<value>; Path=/; Max-Age=<lifetime>; SameSite=Strict;
  HttpOnly` (and `Secure` when the browser came over https: the connection's own scheme, or
  `X-Forwarded-Proto` only behind `trusted_proxies` proxies, the same trust as for
  `X-Forwarded-For`). An unknown, forged, revoked or expired value gets 403 and no cookie.
- `DELETE {"value": <dead cookie>}`: clears the cookie only when the browser's cookie is still
  that dead value, so a sign-in made since in another tab is not signed out. (A script cannot see
  an `HttpOnly` cookie, so only the server can make this comparison.)

Both refuse (403) a request whose `Origin` is not this host (cross-site request forgery) or
that is not JSON. Every other request passes through untouched. Under `streamlit run app.py`
(development) there is no middleware: the address answers 404/405 and the script falls back to
writing a script-readable cookie itself, as before. `cookie_script` is that script.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from accounts.sessions import COOKIE_NAME, SessionStore
from kuntamittari.settings import get_settings

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The one address the middleware answers (absolute: the app is served at the root).
ENDPOINT = "/_kuntamittari/session"
#: A request body larger than this is refused unread (a cookie value is at most 200 characters).
MAX_BODY = 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _default_store() -> SessionStore:
    """The session store of the configured warehouse (the engine the app's pages share)."""
    from ui.data import get_engine

    return SessionStore.from_settings(get_engine(), get_settings())


def _host_port(value: str, scheme: str) -> tuple[str, int | None] | None:
    """(host name, port) of `value` ("host", "host:port", "[v6]:port"), None when unreadable."""
    try:
        parts = urlsplit(f"{scheme}://{value}")
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a request's `Origin` is this site as the `Host` header names it.

    The host names must be equal; the ports too when `Host` carries one. A proxy may send
    `Host` without the port the browser used (nginx's `$host`: the compose set-up is browsed at
    `localhost:8080`), and the session cookie is per host name anyway, whatever the port.
    """
    if not origin or not host or origin == "null":
        return False
    try:
        parts = urlsplit(origin)
        origin_port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    ours = _host_port(host, parts.scheme or "http")
    if not parts.hostname or ours is None or not ours[0]:
        return False
    return parts.hostname.lower() == ours[0] and (ours[1] is None or ours[1] == origin_port)


def request_scheme(scope: Scope, headers: MutableMapping[str, str] | Any, trusted_proxies: int) -> str:
    """"https" or "http": as the browser reached the site. `X-Forwarded-Proto` counts only
    behind trusted proxies (its nearest entry, the one the proxy in front of us set)."""
    forwarded = headers.get("x-forwarded-proto") if trusted_proxies > 0 else None
    if forwarded:
        return forwarded.split(",")[-1].strip().lower()
    return str(scope.get("scheme") or "http")


def cookie_header(value: str, max_age: int, secure: bool) -> str:
    """The `Set-Cookie` value for the session cookie (an empty value with Max-Age=0 clears it)."""
    attributes = f"{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; SameSite=Strict; HttpOnly"
    return attributes + ("; Secure" if secure else "")


class SessionCookie:
    """ASGI middleware: answers `ENDPOINT` (set/clear the HttpOnly session cookie); nothing else."""

    def __init__(self, app: ASGIApp, store: Callable[[], SessionStore] | None = None,
                 trusted_proxies: int | None = None) -> None:
        self.app = app
        self.store = store or _default_store
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != ENDPOINT:
            await self.app(scope, receive, send)
            return
        response = await self._answer(Request(scope, receive))
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        if request.method not in ("POST", "DELETE"):
            return Response(status_code=405, headers={"Allow": "POST, DELETE"})
        if not same_origin(request.headers.get("origin"), request.headers.get("host")):
            return Response(status_code=403)
        value = await _posted_value(request)
        if value is None:
            return Response(status_code=400)
        proxies = get_settings().trusted_proxies if self.trusted_proxies is None else self.trusted_proxies
        secure = request_scheme(request.scope, request.headers, proxies) == "https"
        if request.method == "DELETE":
            return _cleared(request, value, secure)
        return await self._set(value, secure)

    async def _set(self, value: str, secure: bool) -> Response:
        def lookup() -> tuple[bool, int]:
            store = self.store()
            return store.resolve(value) is not None, int(store.policy.absolute.total_seconds())

        try:
            live, max_age = await run_in_threadpool(lookup)
        except Exception:  # noqa: BLE001 - database unreachable or secret unreadable: no cookie
            logger.exception("session check failed; no cookie set")
            return Response(status_code=503)
        if not live:
            return Response(status_code=403)
        return Response(status_code=204, headers={"Set-Cookie": cookie_header(value, max_age, secure),
                                                  "Cache-Control": "no-store"})


def _cleared(request: Request, dead: str, secure: bool) -> Response:
    """204; with the clearing `Set-Cookie` only when the browser's cookie is the dead value."""
    if request.cookies.get(COOKIE_NAME) != dead:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    return Response(status_code=204, headers={"Set-Cookie": cookie_header("", 0, secure),
                                              "Cache-Control": "no-store"})


async def _posted_value(request: Request) -> str | None:
    """The non-empty string `value` of a small JSON body, else None."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return None
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    try:
        value = json.loads(body).get("value")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def cookie_script(action: tuple) -> str:
    """The page script for a cookie change: ("set", value, max_age) or ("clear", dead value).

    It asks `ENDPOINT` (same origin, the browser's cookies sent); only when nobody answers there
    (404/405: `streamlit run`, no middleware) does it write the cookie itself, script-readable:
    SameSite=Strict, Secure over https, Path=/, Max-Age = the session's absolute lifetime; a clear
    then names the dead value and leaves a newer cookie (a sign-in in another tab since) alone.
    """
    name = json.dumps(COOKIE_NAME + "=")
    secure = "(window.location.protocol === 'https:' ? '; Secure' : '')"
    value = json.dumps(str(action[1]) if len(action) > 1 and action[1] else "")
    if action[0] == "set":
        method = "POST"
        attributes = json.dumps(f"; Path=/; Max-Age={int(action[2])}; SameSite=Strict")
        fallback = f"document.cookie = {name} + {value} + {attributes} + {secure};"
    else:
        method = "DELETE"
        attributes = json.dumps("; Path=/; Max-Age=0; SameSite=Strict")
        fallback = (f"var now = document.cookie.split('; ').find(function(c){{return c.indexOf({name}) === 0;}});"
                    f"if (now !== undefined && now === {name} + {value}) "
                    f"{{document.cookie = {name} + {attributes} + {secure};}}")
    request = json.dumps({"method": method, "credentials": "same-origin", "cache": "no-store",
                          "headers": {"Content-Type": "application/json"}})
    body = (f"var init = {request}; init.body = JSON.stringify({{value: {value}}});"
            f"fetch({json.dumps(ENDPOINT)}, init).then(function(r){{"
            f"if (r.status === 404 || r.status === 405) {{{fallback}}}}}).catch(function(){{}});")
    return f"<script>(function(){{{body}}})();</script>"
