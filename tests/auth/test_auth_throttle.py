"""Failed sign-in throttling on the warehouse, on SQLite and PostgreSQL through the same functions.

A hand-driven clock stands in for time, so lockouts of 60, 120, 240 s are checked exactly. Two
`SignInThrottle`s on two engines over one database stand for two app replicas.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select

from accounts.throttle import SignInThrottle, ThrottlePolicy, client_address
from datamodel.engine import make_engine
from datamodel.schema import auth_throttle

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
USERS = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15), lockout=timedelta(seconds=60),
                       lockout_max=timedelta(hours=1))
CLIENTS = ThrottlePolicy(max_failures=8, window=timedelta(minutes=15), lockout=timedelta(seconds=60),
                         lockout_max=timedelta(hours=1))


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(db_engine: Engine, clock: Clock) -> SignInThrottle:
    return SignInThrottle(db_engine, USERS, CLIENTS, clock)


def _fail(throttle: SignInThrottle, email: str, client: str | None = "10.0.0.1"):
    verdict = throttle.begin(email, client)
    if not verdict.allowed:
        return verdict
    return throttle.failed(email, client)


def test_five_failures_lock_the_user_even_for_the_right_password(throttle: SignInThrottle, clock: Clock) -> None:
    for attempt in range(4):
        assert _fail(throttle, "maija@kalajoki.fi").allowed, attempt
    fifth = _fail(throttle, "maija@kalajoki.fi")
    assert not fifth.allowed and fifth.retry_at == START + timedelta(seconds=60)
    # Attempts 6..11 are refused before any password is checked (begin says no), whatever it is.
    for _ in range(6):
        refused = throttle.begin("maija@kalajoki.fi", "10.0.0.2")
        assert not refused.allowed and refused.retry_at == START + timedelta(seconds=60)
        assert refused.retry_after(clock()) == 60
    assert throttle.state("maija@kalajoki.fi").retry_at == START + timedelta(seconds=60)
    # Another user from another address is not affected.
    assert throttle.begin("ville@raahe.fi", "10.0.0.3").allowed


def test_lockouts_double_and_a_calm_window_forgets(throttle: SignInThrottle, clock: Clock) -> None:
    expected = [60, 120, 240]
    for seconds in expected:
        for _ in range(4):
            assert _fail(throttle, "a@b.fi", None).allowed
        locked = _fail(throttle, "a@b.fi", None)
        assert locked.retry_at == clock() + timedelta(seconds=seconds)
        clock.advance(seconds - 1)
        assert not throttle.begin("a@b.fi", None).allowed  # one second before the end
        clock.advance(1)
    assert throttle.begin("a@b.fi", None).allowed  # the lock is over (no success: the level stays)
    clock.advance(16 * 60)  # a calm window after the last lock ended: back to the first length
    for _ in range(4):
        assert _fail(throttle, "a@b.fi", None).allowed
    assert _fail(throttle, "a@b.fi", None).retry_at == clock() + timedelta(seconds=60)


def test_lockout_is_capped(db_engine: Engine, clock: Clock) -> None:
    short = ThrottlePolicy(max_failures=1, window=timedelta(minutes=15), lockout=timedelta(seconds=60),
                           lockout_max=timedelta(seconds=300))
    throttle = SignInThrottle(db_engine, short, short, clock)
    lengths = []
    for _ in range(6):
        verdict = _fail(throttle, "x@y.fi", None)
        lengths.append(int((verdict.retry_at - clock()).total_seconds()))
        clock.advance(lengths[-1])
    assert lengths == [60, 120, 240, 300, 300, 300]


def test_success_resets_the_user_but_not_the_client(throttle: SignInThrottle, clock: Clock) -> None:
    for _ in range(4):
        _fail(throttle, "maija@kalajoki.fi")
    assert throttle.begin("maija@kalajoki.fi", "10.0.0.1").allowed
    throttle.succeeded("maija@kalajoki.fi", "10.0.0.1")
    for _ in range(4):  # four more failures do not lock: the user's count started again
        assert _fail(throttle, "maija@kalajoki.fi", "10.0.0.9").allowed
    # The client 10.0.0.1 still has its 4 failures (the success was not counted as one).
    for email in ("p1@x.fi", "p2@x.fi", "p3@x.fi"):
        assert _fail(throttle, email).allowed
    locked = _fail(throttle, "p4@x.fi")
    assert not locked.allowed  # 8 failures from one address lock the address
    assert not throttle.begin("someone.else@x.fi", "10.0.0.1").allowed
    assert throttle.begin("someone.else@x.fi", "10.0.0.4").allowed


def test_window_expiry_forgets_old_failures(throttle: SignInThrottle, clock: Clock) -> None:
    for _ in range(4):
        _fail(throttle, "w@x.fi", None)
    clock.advance(15 * 60 + 1)
    for _ in range(4):
        assert _fail(throttle, "w@x.fi", None).allowed


def test_nothing_typed_is_stored(throttle: SignInThrottle, db_engine: Engine) -> None:
    _fail(throttle, "Hunter2-typed-in-the-wrong-field", "192.0.2.44")
    with db_engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(auth_throttle))]
    assert {r["kind"] for r in rows} == {"user", "client"}
    text = repr(rows).lower()
    assert "hunter2" not in text and "192.0.2.44" not in text
    assert all(len(r["key_hash"]) == 64 for r in rows)


def test_two_replicas_share_the_count(db_url: str, clock: Clock) -> None:
    """Two engines on one database (two app processes): failures through either add up."""
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        replicas = [SignInThrottle(e, USERS, CLIENTS, clock) for e in (first, second)]
        for i in range(4):
            assert _fail(replicas[i % 2], "shared@x.fi", None).allowed
        assert not _fail(replicas[0], "shared@x.fi", None).allowed
        assert not replicas[1].begin("shared@x.fi", None).allowed
    finally:
        first.dispose()
        second.dispose()


def test_concurrent_attempts_cannot_slip_past_the_limit(db_url: str) -> None:
    """Twelve attempts at the same moment from twelve connections: only five get to check a password."""
    engines = [make_engine(db_url) for _ in range(3)]
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(12)

    def attempt(index: int) -> None:
        throttle = SignInThrottle(engines[index % 3], USERS, CLIENTS)
        barrier.wait()
        verdict = throttle.begin("target@x.fi", f"10.1.0.{index}")
        with lock:
            results.append(verdict.allowed)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            engine.dispose()
    assert len(results) == 12
    assert results.count(True) == USERS.max_failures


@pytest.mark.parametrize(("forwarded", "remote", "proxies", "expected"), [
    (None, "203.0.113.9", 0, "203.0.113.9"),
    ("198.51.100.1", "203.0.113.9", 0, "203.0.113.9"),  # no trusted proxy: the header is ignored
    ("198.51.100.1", "10.0.0.2", 1, "198.51.100.1"),
    ("6.6.6.6, 198.51.100.1", "10.0.0.2", 1, "198.51.100.1"),  # a forged first entry is not used
    ("6.6.6.6, 198.51.100.1, 10.0.0.5", "10.0.0.2", 2, "198.51.100.1"),
    ("198.51.100.1", "10.0.0.2", 3, "198.51.100.1"),
    (None, None, 0, "local"),
    ("", None, 1, "local"),
])
def test_client_address(forwarded: str | None, remote: str | None, proxies: int, expected: str) -> None:
    assert client_address(forwarded, remote, proxies) == expected



def test_stale_keys_are_dropped_on_the_next_success(throttle: SignInThrottle, clock: Clock, db_engine: Engine) -> None:
    for email in ("typo1@x.fi", "typo2@x.fi"):
        _fail(throttle, email, None)
    clock.advance(2 * 24 * 3600)
    assert throttle.begin("maija@kalajoki.fi", None).allowed
    throttle.succeeded("maija@kalajoki.fi", None)
    with db_engine.connect() as conn:
        assert conn.execute(select(auth_throttle)).first() is None
