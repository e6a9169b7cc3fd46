"""Sign-in sessions in the warehouse, on SQLite and PostgreSQL through the same functions."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from accounts.sessions import SECRET_FILE, SessionPolicy, SessionStore, session_secret, sign, unsign
from datamodel.engine import make_engine
from datamodel.schema import auth_session
from kuntamittari.settings import Settings

SECRET = b"test-secret-0123456789abcdef"
POLICY = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_engine: Engine, clock: Clock) -> SessionStore:
    return SessionStore(db_engine, SECRET, POLICY, clock)


def test_cookie_round_trip_and_what_is_stored(store: SessionStore, db_engine: Engine) -> None:
    new = store.create("maija@kalajoki.fi", ["author", "viewer"], "Maija", client="192.0.2.7")
    assert new.max_age == 8 * 3600
    info = store.resolve(new.cookie)
    assert info is not None
    assert (info.email, info.roles, info.name) == ("maija@kalajoki.fi", ("author", "viewer"), "Maija")
    assert info.expires_at == START + timedelta(hours=8)
    token_id = new.cookie.split(".")[1]
    with db_engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(auth_session))]
    assert len(rows) == 1
    stored = repr(rows)
    # The table has neither the cookie's id nor its signature, nor the client's address.
    assert token_id not in stored and new.cookie.split(".")[2] not in stored and "192.0.2.7" not in stored
    assert rows[0]["roles"] == ["author", "viewer"]


def test_forged_and_altered_cookies_are_refused(store: SessionStore) -> None:
    new = store.create("a@b.fi", ["viewer"])
    version, token_id, mac = new.cookie.split(".")
    assert store.resolve(f"{version}.{token_id}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}") is None
    assert store.resolve(f"{version}.{token_id[:-1]}x.{mac}") is None
    assert store.resolve(sign(token_id, b"another secret")) is None
    other = SessionStore(store.engine, b"another secret", POLICY, store.clock)
    assert other.resolve(new.cookie) is None  # a replica with a different secret does not honour it
    for junk in ("", "v1", "v1..", "x" * 500, "v1.ä.b", None):
        assert store.resolve(junk) is None
    assert unsign(new.cookie, SECRET) == token_id


def test_sign_out_revokes_everywhere(db_url: str, clock: Clock) -> None:
    """Two engines on one database stand for two app replicas with the same secret."""
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        one, two = SessionStore(first, SECRET, POLICY, clock), SessionStore(second, SECRET, POLICY, clock)
        new = one.create("a@b.fi", ["viewer"])
        assert two.resolve(new.cookie) is not None  # made on one replica, honoured by the other
        assert two.revoke(new.cookie) is True
        assert one.resolve(new.cookie) is None
        assert two.revoke(new.cookie) is False  # already ended
    finally:
        first.dispose()
        second.dispose()


def test_idle_and_absolute_timeouts(store: SessionStore, clock: Clock) -> None:
    new = store.create("a@b.fi", ["viewer"])
    # Used every 20 minutes: it stays alive (idle limit 30 min) until the absolute 8 hours.
    for _ in range(23):
        clock.advance(minutes=20)
        assert store.resolve(new.cookie) is not None, clock()
    clock.advance(minutes=20)  # 8 h 0 min after sign-in
    assert store.resolve(new.cookie) is None
    idle = store.create("b@b.fi", ["viewer"])
    clock.advance(minutes=29)
    assert store.resolve(idle.cookie) is not None
    clock.advance(minutes=30, seconds=1)
    assert store.resolve(idle.cookie) is None


def test_last_seen_is_written_at_most_once_a_minute(store: SessionStore, clock: Clock, db_engine: Engine) -> None:
    new = store.create("a@b.fi", ["viewer"])

    def seen() -> datetime:
        with db_engine.connect() as conn:
            value = conn.execute(select(auth_session.c.last_seen_at)).scalar_one()
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    clock.advance(seconds=30)
    store.resolve(new.cookie)
    assert seen() == START
    clock.advance(seconds=31)
    store.resolve(new.cookie)
    assert seen() == START + timedelta(seconds=61)


def test_revoke_user_and_purge(store: SessionStore, clock: Clock, db_engine: Engine) -> None:
    a1, a2 = store.create("a@b.fi", ["viewer"]), store.create("a@b.fi", ["viewer"])
    b = store.create("b@b.fi", ["viewer"])
    assert store.revoke_user("A@b.fi") == 2
    assert store.resolve(a1.cookie) is None and store.resolve(a2.cookie) is None
    assert store.resolve(b.cookie) is not None
    clock.advance(days=2)
    assert store.purge() == 3  # revoked and expired more than a day ago
    with db_engine.connect() as conn:
        assert conn.execute(select(auth_session)).first() is None


def test_secret_from_settings_or_a_private_file(tmp_path: Path) -> None:
    configured = Settings(data_dir=tmp_path, session_secret=SecretStr("from-settings"))
    assert session_secret(configured) == b"from-settings"
    generated = Settings(data_dir=tmp_path)
    first = session_secret(generated)
    assert len(first) >= 48 and session_secret(generated) == first  # made once, then reused
    mode = stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode)
    assert mode == 0o600
    with pytest.raises(ValueError):
        SessionStore(make_engine("sqlite://"), b"", POLICY)
