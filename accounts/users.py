"""Users and roles without Streamlit: the users file, scrypt password hashes, role ranks.

Used by the sign-in adapter (`ui.auth`), the `kuntamittari add-user` command and tests. Roles are
ranked: viewer < author < reviewer < admin (a reviewer may also author; admin may do everything).
The users file is TOML written atomically and readable only by its owner (it holds hashes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from kuntamittari.settings import Settings

logger = logging.getLogger(__name__)

Role = Literal["viewer", "author", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "author", "reviewer", "admin")
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}
Audience = Literal["public", "internal"]

# scrypt parameters: N=2**14, r=8, p=1 costs ~16 MB and ~50 ms, the interactive-login level
# recommended by the scrypt paper; stored with the hash so they can be raised later.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AuthError(ValueError):
    """Bad input to the user store (unknown role, malformed email, unreadable users file)."""


@dataclass(frozen=True)
class User:
    """A signed-in person. `source` says how: 'none' (open dev mode), 'oidc' or 'local'."""

    email: str
    roles: frozenset[str] = field(default_factory=frozenset)
    name: str = ""
    source: str = "local"

    def has_role(self, required: str | None) -> bool:
        """Whether any of the user's roles ranks at least as high as `required`."""
        return has_role(self.roles, required)


@dataclass(frozen=True)
class UserRecord:
    """One entry of the users file."""

    email: str
    roles: tuple[str, ...]
    password_hash: str


# --------------------------------------------------------------------------- roles


def validate_role(role: str) -> Role:
    """`role` if known, else AuthError naming the choices."""
    value = role.strip().lower()
    if value not in _RANK:
        raise AuthError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return value  # type: ignore[return-value]


def has_role(roles: Iterable[str], required: str | None) -> bool:
    """Whether `roles` grant `required` (None/'' = any signed-in user is enough)."""
    ranks = [_RANK[r] for r in roles if r in _RANK]
    if not ranks:
        return False
    if not required:
        return True
    return max(ranks) >= _RANK.get(required, len(ROLES))


def normalise_email(email: str) -> str:
    """Lower-case and strip an email; AuthError when it does not look like one."""
    value = (email or "").strip().lower()
    if not _EMAIL_RE.match(value):
        raise AuthError(f"not an email address: {email!r}")
    return value


def roles_for(email: str, settings: Settings, users: Mapping[str, UserRecord] | None = None) -> frozenset[str]:
    """All roles of `email`: from `Settings.roles` and from the users file, unknown roles dropped."""
    key = (email or "").strip().lower()
    found: set[str] = set()
    for configured, roles in settings.roles.items():
        if configured.strip().lower() == key:
            found.update(r for r in roles if r in _RANK)
    if users and key in users:
        found.update(r for r in users[key].roles if r in _RANK)
    return frozenset(found)


def may_view(user: User | None, audience: str, required_role: str | None, *, public_app: bool) -> bool:
    """The one gate: public pages are for everyone; internal ones need a user with the role.

    In the public app (`public_app`) internal pages are refused to everyone, signed in or not.
    """
    if audience == "public":
        return True
    if public_app or user is None:
        return False
    return user.has_role(required_role or "viewer")


# --------------------------------------------------------------------------- passwords


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`scrypt$N$r$p$salt$key` (base64), with a fresh random salt unless one is given."""
    if not password:
        raise AuthError("the password is empty")
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_KEY_BYTES
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a `hash_password` result (constant-time; False if malformed)."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(key_b64)
        key = hashlib.scrypt(
            (password or "").encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(key, expected)


# --------------------------------------------------------------------------- users file


def users_path(settings: Settings) -> Path:
    """The configured users file, or `users.toml` in the data directory."""
    return Path(settings.users_file) if settings.users_file else Path(settings.data_dir) / "users.toml"


def load_users(path: Path) -> dict[str, UserRecord]:
    """Users from a TOML file (`[users."email"] roles=[...], password_hash="..."`); {} if absent."""
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AuthError(f"cannot read users file {path}: {exc}") from exc
    users: dict[str, UserRecord] = {}
    for email, entry in (data.get("users") or {}).items():
        if not isinstance(entry, dict):
            continue
        roles = tuple(str(r) for r in entry.get("roles", []) if str(r) in _RANK)
        users[email.strip().lower()] = UserRecord(
            email=email.strip().lower(), roles=roles, password_hash=str(entry.get("password_hash", ""))
        )
    return users


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_users(path: Path, users: Mapping[str, UserRecord]) -> None:
    """Write the users file atomically, readable only by its owner (it holds password hashes)."""
    lines = ["# Kuntamittari users (written by `kuntamittari add-user`; passwords are scrypt hashes)", ""]
    for email in sorted(users):
        record = users[email]
        roles = ", ".join(_toml_string(r) for r in record.roles)
        lines += [
            f"[users.{_toml_string(email)}]",
            f"roles = [{roles}]",
            f"password_hash = {_toml_string(record.password_hash)}",
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def add_user(path: Path, email: str, roles: Iterable[str], password: str) -> UserRecord:
    """Add or replace `email` in the users file with `roles` and a freshly hashed `password`."""
    address = normalise_email(email)
    role_list = tuple(dict.fromkeys(validate_role(r) for r in roles))
    if not role_list:
        raise AuthError("give at least one role")
    users = load_users(path)
    record = UserRecord(email=address, roles=role_list, password_hash=hash_password(password))
    users[address] = record
    write_users(path, users)
    logger.info("user %s written to %s with roles %s", address, path, ",".join(role_list))
    return record


def authenticate(email: str, password: str, settings: Settings) -> User | None:
    """The user if `email`/`password` match the users file, else None (no hint which was wrong)."""
    try:
        address = normalise_email(email)
    except AuthError:
        return None
    users = load_users(users_path(settings))
    record = users.get(address)
    if record is None:
        verify_password(password, _dummy_hash())  # as slow as a real check: timing tells no account apart
        return None
    if not verify_password(password, record.password_hash):
        return None
    return User(email=address, roles=roles_for(address, settings, users), source="local")


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a random password, checked against when the email is unknown."""
    return hash_password(secrets.token_urlsafe(16))
