"""Sign-in sessions that survive a page reload, kept in the warehouse (no Streamlit).

Why: a Streamlit session lives as long as one browser tab's websocket, so without a cookie every
reload or deep link signed a locally signed-in user out. The browser keeps a cookie
`<id>.<signature>`: `id` is 32 random bytes, the signature an HMAC-SHA256 of it with the
server's secret (`Settings.session_secret`). The warehouse keeps only the SHA-256 of the id,
with the user, the roles at sign-in, the creation, expiry and last-seen times and the revocation
time, so:

- the cookie carries no password, no roles and nothing a reader of the database could turn back
  into a cookie; a forged or altered cookie fails the signature before any query;
- every app replica on the same database honours it (keyed in the warehouse, not in memory)
  when it uses the same secret;
- signing out revokes the row, so a copy of the cookie is worthless afterwards; a session also
  ends after `session_idle_minutes` without a page run and `session_absolute_hours` after
  sign-in, whatever happens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select, update

from accounts.store import as_utc, digest, utcnow
from datamodel.schema import auth_session
from kuntamittari.settings import Settings

logger = logging.getLogger(__name__)

COOKIE_NAME = "kuntamittari_session"
SECRET_FILE = "session_secret"
_ID_BYTES = 32
_VERSION = "v1"
#: last_seen_at is written at most this often (one UPDATE a minute, not one per page run).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: `idle` without a page run, `absolute` after sign-in."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(idle=timedelta(minutes=settings.session_idle_minutes),
                   absolute=timedelta(hours=settings.session_absolute_hours))


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who, with which roles (as at sign-in), and until when at the latest."""

    email: str
    roles: tuple[str, ...]
    name: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class NewSession:
    """A session just created: the cookie value for the browser and its lifetime in seconds."""

    cookie: str
    max_age: int
    info: SessionInfo


# --------------------------------------------------------------------------- the secret


def session_secret(settings: Settings) -> bytes:
    """The HMAC key: `Settings.session_secret`, else a random one kept in `<data_dir>/session_secret`
    (created once, readable by the owner only). Replicas on different machines must be given the
    same `KUNTAMITTARI_SESSION_SECRET`, or each rejects the others' cookies."""
    configured = settings.session_secret.get_secret_value()
    if configured:
        return configured.encode("utf-8")
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48).encode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    logger.warning("no session_secret configured: generated %s (give every replica the same "
                   "KUNTAMITTARI_SESSION_SECRET instead)", path)
    return value


def _mac(secret: bytes, token_id: str) -> str:
    raw = hmac.new(secret, f"{_VERSION}.{token_id}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def sign(token_id: str, secret: bytes) -> str:
    """The cookie value for `token_id`."""
    return f"{_VERSION}.{token_id}.{_mac(secret, token_id)}"


def unsign(cookie: str | None, secret: bytes) -> str | None:
    """The id inside a cookie whose signature is right, else None (constant-time comparison)."""
    if not cookie or len(cookie) > 200:
        return None
    parts = cookie.split(".")
    if len(parts) != 3 or parts[0] != _VERSION or not parts[1]:
        return None
    try:
        parts[1].encode("ascii")
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(_mac(secret, parts[1]), parts[2]):
        return None
    return parts[1]


# --------------------------------------------------------------------------- the store


class SessionStore:
    """The sessions of one database, signed with one secret. Holds no state of its own."""

    def __init__(self, engine: Engine, secret: bytes, policy: SessionPolicy,
                 clock: Callable[[], datetime] = utcnow) -> None:
        if not secret:
            raise ValueError("a session secret is needed")
        self.engine = engine
        self.secret = secret
        self.policy = policy
        self.clock = clock

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings, clock: Callable[[], datetime] = utcnow) -> SessionStore:
        return cls(engine, session_secret(settings), SessionPolicy.from_settings(settings), clock)

    def create(self, email: str, roles: Iterable[str], name: str = "", client: str | None = None) -> NewSession:
        """A new session for a user who has just proved who they are."""
        now = self.clock()
        token_id = secrets.token_urlsafe(_ID_BYTES)
        expires = now + self.policy.absolute
        role_list = sorted(set(roles))
        with self.engine.begin() as conn:
            conn.execute(auth_session.insert().values(
                session_hash=digest(token_id), email=email, roles=role_list, name=name or "",
                created_at=now, last_seen_at=now, expires_at=expires, revoked_at=None,
                client_hash=digest(client) if client else None))
        self.purge()
        info = SessionInfo(email, tuple(role_list), name or "", now, expires, now)
        return NewSession(sign(token_id, self.secret), int(self.policy.absolute.total_seconds()), info)

    def resolve(self, cookie: str | None) -> SessionInfo | None:
        """The live session a cookie stands for, or None (bad signature, unknown, revoked, idle
        too long, past its absolute expiry). Marks the session as seen (at most once a minute)."""
        token_id = unsign(cookie, self.secret)
        if token_id is None:
            return None
        now = self.clock()
        hashed = digest(token_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(auth_session).where(auth_session.c.session_hash == hashed)).first()
        if row is None or row.revoked_at is not None:
            return None
        expires, seen = as_utc(row.expires_at), as_utc(row.last_seen_at)
        if expires is None or seen is None or now >= expires or now - seen > self.policy.idle:
            return None
        if now - seen >= TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(auth_session).where(auth_session.c.session_hash == hashed,
                                                        auth_session.c.revoked_at.is_(None)).values(last_seen_at=now))
            seen = now
        roles = tuple(str(r) for r in (row.roles or []))
        return SessionInfo(row.email, roles, row.name or "", as_utc(row.created_at) or now, expires, seen)

    def revoke(self, cookie: str | None) -> bool:
        """End the session of a cookie (signing out); True when a live one was ended."""
        token_id = unsign(cookie, self.secret)
        if token_id is None:
            return False
        with self.engine.begin() as conn:
            result = conn.execute(update(auth_session)
                                  .where(auth_session.c.session_hash == digest(token_id), auth_session.c.revoked_at.is_(None))
                                  .values(revoked_at=self.clock()))
        return bool(result.rowcount)

    def revoke_user(self, email: str) -> int:
        """End every session of `email` (a removed user, a changed password): how many."""
        with self.engine.begin() as conn:
            result = conn.execute(update(auth_session)
                                  .where(auth_session.c.email == email.strip().lower(), auth_session.c.revoked_at.is_(None))
                                  .values(revoked_at=self.clock()))
        return int(result.rowcount or 0)

    def purge(self, keep: timedelta = timedelta(days=1)) -> int:
        """Delete sessions that ended (expired or revoked) more than `keep` ago."""
        cutoff = self.clock() - keep
        with self.engine.begin() as conn:
            result = conn.execute(delete(auth_session).where(
                (auth_session.c.expires_at < cutoff) | (auth_session.c.revoked_at < cutoff)))
        return int(result.rowcount or 0)
