"""Throttling of failed sign-ins, per user and per client, kept in the warehouse (no Streamlit).

Why in the database: several app replicas behind one load balancer share one PostgreSQL; a
counter in one process's memory would give an attacker N times the attempts, and a restart
would forget it. (The `limits` library has memory, Redis, Memcached and MongoDB storage but no
SQL one; a counter row per key in the warehouse is simpler than adding a server.)

Rules, per key (`user:<email>` and `client:<address>`, stored only as SHA-256 digests):

- Every attempt is counted before the password is checked (`begin`), so concurrent attempts from
  many sessions cannot all slip through before the first failure is recorded; a success undoes
  the count (`succeeded`: the user's row is reset, the client's count goes back down by one).
- Counts live in a window (`signin_window_seconds`): `max_failures` counted attempts in one
  window lock the key for `signin_lockout_seconds`, doubling with every further lockout up to
  `signin_lockout_max_seconds`. A whole window without attempts after a lockout ends forgets
  the doubling.
- While a key is locked every attempt is refused before the password is checked, whatever the
  password, and is not counted (an attacker cannot extend someone else's lockout at will).

The user limit stops guessing one account's password; the client limit stops one address
trying one password on many accounts. Unknown emails are counted like known ones, so the
answers never tell whether an account exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, update

from accounts.store import as_utc, digest, ensure_row, utcnow
from datamodel.schema import auth_throttle
from kuntamittari.settings import Settings

logger = logging.getLogger(__name__)

USER = "user"
CLIENT = "client"


@dataclass(frozen=True)
class ThrottlePolicy:
    """Limits for one kind of key (users or clients)."""

    max_failures: int
    window: timedelta
    lockout: timedelta
    lockout_max: timedelta

    def lockout_for(self, level: int) -> timedelta:
        """The lockout after `level` earlier ones: doubled each time, capped."""
        seconds = self.lockout.total_seconds() * (2 ** min(level, 32))
        return timedelta(seconds=min(seconds, self.lockout_max.total_seconds()))


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go on; when refused, the time the lock ends (UTC)."""

    allowed: bool
    retry_at: datetime | None = None

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the lock ends (at least 1 when refused, 0 when allowed)."""
        if self.allowed or self.retry_at is None:
            return 0
        return max(1, int((self.retry_at - now).total_seconds() + 0.999))


def client_address(forwarded_for: str | None, remote: str | None, trusted_proxies: int) -> str:
    """The address a sign-in attempt is counted against.

    Behind `trusted_proxies` reverse proxies that each append the address they saw to
    `X-Forwarded-For`, the client is the entry that many places from the right (entries further
    left are whatever the client sent and can be forged). Without trusted proxies the header is
    ignored and the connection's own address is used; "local" when there is none (Streamlit gives
    no address for 127.0.0.1/::1, so every local client shares one count).
    """
    if trusted_proxies > 0 and forwarded_for:
        hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        if hops:
            return hops[-trusted_proxies] if len(hops) >= trusted_proxies else hops[0]
    return (remote or "").strip() or "local"


@dataclass(frozen=True)
class _Key:
    kind: str
    hashed: str


def _keys(email: str | None, client: str | None) -> list[_Key]:
    """The keys of one attempt, in a fixed order (rows are locked in that order: no deadlock)."""
    keys = []
    if email is not None:
        keys.append(_Key(USER, digest(f"{USER}:{email.strip().lower()}")))
    if client:
        keys.append(_Key(CLIENT, digest(f"{CLIENT}:{client.strip().lower()}")))
    return sorted(keys, key=lambda k: k.hashed)


class SignInThrottle:
    """The failed-sign-in counters of one database. Cheap to create; holds no state of its own."""

    def __init__(self, engine: Engine, users: ThrottlePolicy, clients: ThrottlePolicy,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.policies = {USER: users, CLIENT: clients}
        self.clock = clock

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings, clock: Callable[[], datetime] = utcnow) -> SignInThrottle:
        window = timedelta(seconds=settings.signin_window_seconds)
        lockout = timedelta(seconds=settings.signin_lockout_seconds)
        longest = timedelta(seconds=max(settings.signin_lockout_max_seconds, settings.signin_lockout_seconds))
        return cls(engine,
                   ThrottlePolicy(settings.signin_max_failures, window, lockout, longest),
                   ThrottlePolicy(settings.signin_client_max_failures, window, lockout, longest), clock)

    # ------------------------------------------------------------------ the three calls

    def begin(self, email: str, client: str | None) -> Verdict:
        """Before checking a password: refused while the user or the client is locked; else the
        attempt is counted for both and allowed."""
        now = self.clock()
        with self.engine.begin() as conn:
            rows = self._lock_rows(conn, _keys(email, client), now)
            refusals = [self._refusal(row, key, now) for key, row in rows]
            blocked = [r for r in refusals if r is not None]
            for (key, row), refusal in zip(rows, refusals, strict=True):
                if refusal is None and not blocked:
                    row["failures"] += 1
                    row["last_failure_at"] = now
                self._write(conn, key, row)
        if blocked:
            return Verdict(False, max(blocked))
        return Verdict(True)

    def failed(self, email: str, client: str | None) -> Verdict:
        """After a wrong password: lock each key that has reached its limit. The verdict says
        whether the next attempt would be refused (and until when)."""
        now = self.clock()
        until: list[datetime] = []
        with self.engine.begin() as conn:
            for key, row in self._lock_rows(conn, _keys(email, client), now):
                policy = self.policies[key.kind]
                locked = as_utc(row["locked_until"])
                if locked is not None and locked > now:
                    until.append(locked)
                    continue
                if row["failures"] >= policy.max_failures:
                    until.append(self._start_lockout(row, policy, now))
                    logger.warning("sign-in: %s locked until %s after %d attempts", key.kind,
                                   row["locked_until"].isoformat(timespec="seconds"), policy.max_failures)
                    self._write(conn, key, row)
        return Verdict(not until, max(until) if until else None)

    def succeeded(self, email: str, client: str | None) -> None:
        """After a right password: the user starts afresh; the client's attempt is not a failure.
        Stale keys of anyone are dropped at the same time (sign-ins are rare, the delete cheap)."""
        self.purge()
        with self.engine.begin() as conn:
            for key in _keys(email, client):
                if key.kind == USER:
                    conn.execute(delete(auth_throttle).where(auth_throttle.c.key_hash == key.hashed))
                else:
                    conn.execute(update(auth_throttle)
                                 .where(auth_throttle.c.key_hash == key.hashed, auth_throttle.c.failures > 0)
                                 .values(failures=auth_throttle.c.failures - 1))

    def state(self, email: str | None = None, client: str | None = None) -> Verdict:
        """Whether an attempt now would be refused, without counting anything (for a message)."""
        now = self.clock()
        hashes = [k.hashed for k in _keys(email, client)]
        with self.engine.connect() as conn:
            times = conn.execute(select(auth_throttle.c.locked_until).where(auth_throttle.c.key_hash.in_(hashes))).scalars()
            locked = [t for t in (as_utc(v) for v in times) if t is not None and t > now]
        return Verdict(not locked, max(locked) if locked else None)

    def purge(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Forget keys with no attempt and no lock for `older_than` (keeps the table small)."""
        cutoff = self.clock() - older_than
        with self.engine.begin() as conn:
            result = conn.execute(delete(auth_throttle).where(
                auth_throttle.c.window_start < cutoff,
                (auth_throttle.c.locked_until.is_(None)) | (auth_throttle.c.locked_until < cutoff)))
        return int(result.rowcount or 0)

    # ------------------------------------------------------------------ rows

    def _lock_rows(self, conn: Connection, keys: Iterable[_Key], now: datetime) -> list[tuple[_Key, dict]]:
        """Each key's row, created if missing and locked for this transaction, with its window
        and lockout level brought up to `now`."""
        out = []
        for key in keys:
            ensure_row(conn, auth_throttle, "key_hash",
                       {"key_hash": key.hashed, "kind": key.kind, "failures": 0, "lockouts": 0, "window_start": now})
            found = conn.execute(select(auth_throttle).where(auth_throttle.c.key_hash == key.hashed).with_for_update()).one()
            row = dict(found._mapping)
            self._roll(row, self.policies[key.kind], now)
            out.append((key, row))
        return out

    @staticmethod
    def _roll(row: dict, policy: ThrottlePolicy, now: datetime) -> None:
        """Start a new window when the last one is over; forget the doubling after a calm window."""
        locked = as_utc(row["locked_until"])
        if locked is not None and locked <= now and now - locked > policy.window:
            row["lockouts"] = 0
            row["locked_until"] = None
        start = as_utc(row["window_start"]) or now
        if (locked is None or locked <= now) and now - start > policy.window:
            row["failures"] = 0
            row["window_start"] = now

    def _refusal(self, row: dict, key: _Key, now: datetime) -> datetime | None:
        """When an attempt on this key must be refused: the end of its lock (new or running)."""
        locked = as_utc(row["locked_until"])
        if locked is not None and locked > now:
            return locked
        policy = self.policies[key.kind]
        if row["failures"] >= policy.max_failures:  # counted attempts still running elsewhere
            return self._start_lockout(row, policy, now)
        return None

    @staticmethod
    def _start_lockout(row: dict, policy: ThrottlePolicy, now: datetime) -> datetime:
        until = now + policy.lockout_for(int(row["lockouts"]))
        row.update(locked_until=until, lockouts=int(row["lockouts"]) + 1, failures=0, window_start=now)
        return until

    @staticmethod
    def _write(conn: Connection, key: _Key, row: dict) -> None:
        values = {name: row[name] for name in ("failures", "lockouts", "window_start", "locked_until", "last_failure_at")}
        conn.execute(update(auth_throttle).where(auth_throttle.c.key_hash == key.hashed).values(**values))
