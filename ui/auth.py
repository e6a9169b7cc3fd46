"""Who is signed in and what they may see: roles, OIDC via `st.login`, local hashed passwords.

Three modes (`Settings.auth_mode`, env `KUNTAMITTARI_AUTH_MODE`):

- `oidc`: Streamlit's built-in OpenID Connect sign-in (`st.login`), used when an identity
  provider is configured in `.streamlit/secrets.toml` (`[auth]`). Roles come from
  `Settings.roles` (email -> roles) and, if present, the users file.
- `local` (the default): a workshop without an identity provider. Users and their scrypt-hashed
  passwords live in a TOML users file written by `kuntamittari add-user EMAIL --role author`.
  With no users file nobody can sign in: internal pages stay closed (secure by default).
- `none`: a developer's machine. Everything is open and every visitor counts as `admin`; the
  frame shows a banner saying so. Never use it on a server.

Whatever the mode, the public app (`Settings.public_only`, `kuntamittari serve --public`) never
shows an internal page: `may_view` refuses every non-public page there.

Roles are ranked: viewer < author < reviewer < admin (a reviewer may also author; admin may do
everything). The pure functions (hashing, users file, role resolution) do not touch Streamlit,
so the CLI and tests use them directly; only the last section calls `st`.
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
from pathlib import Path
from typing import Any, Literal

import streamlit as st

from kuntamittari.i18n import t
from kuntamittari.settings import Settings, get_settings

logger = logging.getLogger(__name__)

Role = Literal["viewer", "author", "reviewer", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "author", "reviewer", "admin")
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}
Audience = Literal["public", "internal"]

#: Session-state key holding the locally signed-in user ({"email": ..., "roles": [...]}).
SESSION_KEY = "auth_user"

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


PUBLIC_APP_SCRIPT = "public_app.py"


def public_only(settings: Settings | None = None) -> bool:
    """Whether this process serves the public app: configured so, or started on public_app.py.

    The script check covers `streamlit run public_app.py` without the environment variable:
    Streamlit may run a deep-linked page file alone, but the main script stays public_app.py.
    """
    settings = settings or get_settings()
    if settings.public_only:
        return True
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
    except Exception:  # noqa: BLE001 - outside a Streamlit run there is no context
        return False
    main = getattr(ctx, "main_script_path", "") if ctx is not None else ""
    return Path(str(main or "")).name == PUBLIC_APP_SCRIPT


def may_view(user: User | None, audience: str, required_role: str | None, settings: Settings) -> bool:
    """The one gate: public pages are for everyone; internal ones need a user with the role.

    In the public app internal pages are refused to everyone, signed in or not.
    """
    if audience == "public":
        return True
    if public_only(settings):
        return False
    if user is None:
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
    if record is None or not verify_password(password, record.password_hash):
        return None
    return User(email=address, roles=roles_for(address, settings, users), source="local")


# --------------------------------------------------------------------------- Streamlit part


def _oidc_user(settings: Settings) -> User | None:
    """The st.login user, if any (st.user raises without [auth]; `.get` does not)."""
    try:
        info = st.user
        if not info.get("is_logged_in", False):
            return None
        email = str(info.get("email") or "")
        name = str(info.get("name") or "")
    except Exception:  # noqa: BLE001 - st.user is unavailable outside a script run / without [auth]
        return None
    if not email:
        return None
    try:
        users = load_users(users_path(settings))
    except AuthError:
        logger.exception("users file unreadable; using configured roles only")
        users = {}
    return User(email=email.lower(), roles=roles_for(email, settings, users), name=name, source="oidc")


def current_user(settings: Settings | None = None) -> User | None:
    """The signed-in user of this session, or None. In `none` mode everyone is an admin."""
    settings = settings or get_settings()
    if public_only(settings):
        return None
    if settings.auth_mode == "none":
        return User(email="", roles=frozenset({"admin"}), source="none")
    stored = st.session_state.get(SESSION_KEY)
    if isinstance(stored, Mapping) and stored.get("email"):
        roles = frozenset(r for r in stored.get("roles", []) if r in _RANK)
        return User(email=str(stored["email"]), roles=roles, name=str(stored.get("name", "")), source="local")
    return _oidc_user(settings)


def oidc_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section (st.login needs one)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def sign_out() -> None:
    """Forget the local user; log out of OIDC too when signed in that way."""
    user = st.session_state.pop(SESSION_KEY, None)
    if user is None and oidc_configured():
        st.logout()


def render_dev_banner(lang: str, settings: Settings | None = None) -> None:
    """The 'no sign-in configured' warning shown on every page in `none` mode."""
    settings = settings or get_settings()
    if settings.auth_mode == "none" and not public_only(settings):
        st.warning(t("auth.dev_banner", lang), icon=":material/lock_open:")


def render_sign_in(lang: str, settings: Settings | None = None) -> None:
    """The sign-in controls for the current mode (button for OIDC, form for local)."""
    settings = settings or get_settings()
    if public_only(settings) or settings.auth_mode == "none":
        return
    if settings.auth_mode == "oidc":
        if not oidc_configured():
            st.error(t("auth.oidc_not_configured", lang))
            return
        if st.button(t("auth.sign_in_oidc", lang), key="auth_oidc_login"):
            st.login()
        return
    if not users_path(settings).is_file():
        st.info(t("auth.no_users", lang))
        return
    with st.form("auth_local_form"):
        st.subheader(t("auth.sign_in_title", lang))
        email = st.text_input(t("auth.email", lang), key="auth_email", autocomplete="username")
        password = st.text_input(
            t("auth.password", lang), type="password", key="auth_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("auth.sign_in", lang))
    if submitted:
        try:
            user = authenticate(email, password, settings)
        except AuthError:
            logger.exception("sign-in failed on the users file")
            user = None
        if user is None:
            st.error(t("auth.bad_credentials", lang))
            return
        st.session_state[SESSION_KEY] = {"email": user.email, "roles": sorted(user.roles), "name": user.name}
        st.rerun()


def require_access(
    audience: Audience, required_role: str | None, lang: str, settings: Settings | None = None
) -> User | None:
    """Gate a page: returns the user when allowed; otherwise explains, offers sign-in and stops.

    Every internal page calls this (through the frame) first, so it is protected both when
    run through `st.navigation` and when Streamlit runs the page file alone.
    """
    settings = settings or get_settings()
    user = current_user(settings)
    if may_view(user, audience, required_role, settings):
        return user
    if public_only(settings):
        st.error(t("auth.not_public", lang))
    elif user is None:
        st.info(t("auth.sign_in_needed", lang))
        render_sign_in(lang, settings)
    else:
        st.error(t("auth.missing_role", lang, role=t(f"auth.role.{required_role or 'viewer'}", lang)))
    st.stop()
    return None  # pragma: no cover - st.stop() raises


def render_user_box(lang: str, settings: Settings | None = None) -> None:
    """Sidebar: who is signed in and a sign-out button (nothing in the public app)."""
    settings = settings or get_settings()
    if public_only(settings):
        return
    user = current_user(settings)
    if user is None or user.source == "none":
        return
    roles = ", ".join(t(f"auth.role.{r}", lang) for r in ROLES if r in user.roles)
    st.sidebar.caption(t("auth.signed_in_as", lang, email=user.email or user.name, roles=roles))
    if st.sidebar.button(t("auth.sign_out", lang), key="auth_sign_out"):
        sign_out()
        st.rerun()
