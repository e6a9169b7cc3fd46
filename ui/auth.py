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

The users, roles and password hashes themselves are `accounts.users` (no Streamlit); this module
is the Streamlit side: who is signed in in this session, the sign-in form and the page gate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from accounts import users as accounts
from accounts.users import _RANK, ROLES, AuthError, User, authenticate, load_users, roles_for, users_path
from kuntamittari.i18n import t
from kuntamittari.settings import Settings, get_settings

logger = logging.getLogger(__name__)

#: Session-state key holding the locally signed-in user ({"email": ..., "roles": [...]}).
SESSION_KEY = "auth_user"
Audience = accounts.Audience

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
    """`accounts.users.may_view` for this process (is it the public app?)."""
    return accounts.may_view(user, audience, required_role, public_app=public_only(settings))


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
