"""The one way source clients call a JSON HTTP API: transport and status errors become
`SourceUnavailable` (or `SourceRejected` for a 4xx), a body that is not JSON becomes
`SourceFormatError`, each naming the URL.

Shared by the Sotkanet and StatFin PxWeb clients so that every source fails the same way and the
CLI can report it in one line. A client may pass a `CallPolicy`: then every call first waits for
the source's rate limit (a moving window from the `limits` library) and timeouts, dropped
connections, HTTP 429 and 5xx are retried with exponential back-off by `tenacity` (a 429/503
`Retry-After` is honoured). What is still failing after the last attempt is `SourceUnavailable`.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from datamodel.errors import SourceFormatError, SourceRejected, SourceUnavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RateLimit:
    """At most `calls` requests in any `seconds` window (moving window), waiting when needed."""

    def __init__(self, calls: int, seconds: float) -> None:
        self.calls, self.seconds = int(calls), float(seconds)
        # `limits` windows are whole seconds; the published limits (1 s, 10 s, 60 s) are.
        self._item = RateLimitItemPerSecond(self.calls, max(1, round(self.seconds)))
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._key = uuid.uuid4().hex

    def acquire(self) -> None:
        """Block until one more request fits in the window, then count it."""
        while not self._limiter.hit(self._item, self._key):
            reset = self._limiter.get_window_stats(self._item, self._key).reset_time
            time.sleep(min(max(reset - time.time(), 0.01), self.seconds))


@dataclass
class CallPolicy:
    """How politely and how persistently a client calls its source."""

    attempts: int = 4
    wait_seconds: float = 2.0
    max_wait_seconds: float = 60.0
    rates: list[RateLimit] = field(default_factory=list)  # every limit applies (ours and the API's)
    calls: int = field(default=0, init=False)  # requests sent (retries included), for the report

    @classmethod
    def from_settings(cls, calls: int, seconds: float) -> CallPolicy:
        """The configured retry settings and the given rate limit."""
        from kuntamittari.settings import get_settings

        s = get_settings()
        return cls(attempts=s.refresh_retries, wait_seconds=s.refresh_retry_wait_seconds,
                   max_wait_seconds=s.refresh_retry_max_wait_seconds, rates=[RateLimit(calls, seconds)])


class _Transient(Exception):
    """A failure worth another attempt (carries the server's Retry-After, if any)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _send(client: httpx.Client, url: str, method: str, path: str, policy: CallPolicy | None, **kwargs: Any) -> httpx.Response:
    if policy is not None:
        for rate in policy.rates:
            rate.acquire()
        policy.calls += 1
    try:
        response = client.request(method, path, **kwargs)
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code in RETRY_STATUSES:
        raise _Transient(f"HTTP {response.status_code}", _retry_after(response))
    if response.status_code >= 400:
        raise SourceRejected(url, f"HTTP {response.status_code}")
    return response


def _wait(policy: CallPolicy):  # type: ignore[no-untyped-def]
    backoff = wait_exponential(multiplier=policy.wait_seconds, max=policy.max_wait_seconds)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = exc.retry_after if isinstance(exc, _Transient) else None
        return min(hinted, policy.max_wait_seconds) if hinted is not None else backoff(state)

    return wait


def request_json(client: httpx.Client, base_url: str, method: str, path: str, *,
                 policy: CallPolicy | None = None, **kwargs: Any) -> tuple[Any, bytes]:
    """`client.request(method, path, **kwargs)` -> (parsed JSON, raw bytes for the checksum)."""
    url = f"{base_url}{path}"
    attempts = policy.attempts if policy is not None else 1
    retrying = Retrying(stop=stop_after_attempt(attempts), retry=retry_if_exception_type(_Transient),
                        wait=_wait(policy) if policy is not None else wait_exponential(multiplier=0), reraise=True)
    try:
        response = retrying(_send, client, url, method, path, policy, **kwargs)
    except _Transient as exc:
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        raise SourceUnavailable(url, f"{exc.reason}{tried}") from exc
    try:
        return response.json(), response.content
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceFormatError(f"{url}: response is not JSON ({exc})") from exc
