"""What the sign-in stores share: UTC time across backends, hashed keys and "insert if missing".

Why a module: the session store (`accounts.sessions`) and the throttle (`accounts.throttle`)
keep their rows in the warehouse so every app replica on one database sees the same state, and
both need the same three things done the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (what every stored time is)."""
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite returns naive values, stored in UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def digest(text: str) -> str:
    """SHA-256 hex of `text`: what is stored instead of a session id, an address or an email typed
    into the sign-in form (the table never holds the secret or what someone mistyped)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def ensure_row(conn: Connection, table: Table, key_column: str, values: Mapping[str, Any]) -> None:
    """Insert `values` unless a row with the same key exists (concurrent callers both succeed).

    On SQLite the INSERT also takes the database's write lock at once, so the read-modify-write
    that follows in the same transaction cannot be interleaved by another process; on
    PostgreSQL the caller reads the row `FOR UPDATE`.
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=[key_column]))
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=[key_column]))
    else:  # other backends (DuckDB): read first; a lost race surfaces as the key's IntegrityError
        exists = conn.execute(select(table.c[key_column]).where(table.c[key_column] == values[key_column])).first()
        if exists is None:
            conn.execute(insert(table).values(**values))
