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

Local sign-in survives a page reload and a deep link: a signed, expiring session cookie (HttpOnly
under `kuntamittari serve`: `ui.session_cookie`) whose session is kept in the warehouse (`accounts.sessions`), checked on every page run and revoked on
sign-out. Failed sign-ins are throttled per user and per client (`accounts.throttle`). Both are
shared by every app replica on the database. OIDC keeps Streamlit's own `st.login` session.

The users, roles and password hashes themselves are `accounts.users` (no Streamlit); this module
is the Streamlit side: who is signed in in this session, the cookie, the sign-in form and the page
gate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit as st

from accounts import users as accounts
from accounts.sessions import COOKIE_NAME, SessionInfo, SessionStore
from accounts.store import utcnow
from accounts.throttle import SignInThrottle, Verdict, client_address
from accounts.users import _RANK, ROLES, AuthError, User, authenticate, load_users, roles_for, users_path
from kuntamittari.i18n import t
from kuntamittari.settings import Settings, get_settings
from readout.formatting import format_datetime
from ui.session_cookie import cookie_script

logger = logging.getLogger(__name__)

#: Session-state key holding the locally signed-in user ({"email": ..., "roles": [...]}, and
#: "session": the cookie value when the sign-in was made through the form).
SESSION_KEY = "auth_user"
#: A cookie change the next page run sends to the browser: ("set", value, max_age) or ("clear", dead value).
COOKIE_ACTION_KEY = "auth_cookie_action"
#: The cookie value this browser tab has already found dead (not looked up again on every run).
COOKIE_CHECKED_KEY = "auth_cookie_checked"
DEFAULT_TIMEZONE = "Europe/Helsinki"
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
    """The signed-in user of this session, or None. In `none` mode everyone is an admin.

    Local mode: the user this tab signed in (its session is checked against the warehouse on
    every run, so a sign-out elsewhere or a timeout ends it), else the one the browser's session
    cookie stands for (a reload or a deep link opens a new Streamlit session with that cookie).
    """
    settings = settings or get_settings()
    if public_only(settings):
        return None
    if settings.auth_mode == "none":
        return User(email="", roles=frozenset({"admin"}), source="none")
    stored = st.session_state.get(SESSION_KEY)
    if isinstance(stored, Mapping) and stored.get("email"):
        cookie = stored.get("session")
        if cookie and _session_info(str(cookie), settings) is None:
            st.session_state.pop(SESSION_KEY, None)
            st.session_state[COOKIE_ACTION_KEY] = ("clear", str(cookie))
            return None
        roles = frozenset(r for r in stored.get("roles", []) if r in _RANK)
        return User(email=str(stored["email"]), roles=roles, name=str(stored.get("name", "")), source="local")
    if settings.auth_mode == "local":
        restored = _restore_from_cookie(settings)
        if restored is not None:
            return restored
    return _oidc_user(settings)


# --------------------------------------------------------------------------- sessions (local mode)


def _session_store(settings: Settings) -> SessionStore:
    from ui.data import get_engine

    return SessionStore.from_settings(get_engine(), settings)


def _session_info(cookie: str, settings: Settings) -> SessionInfo | None:
    """The live session of `cookie` (looked up once per page run), None when it is not or the
    warehouse cannot say (fail closed)."""
    from ui.data import once_per_run

    def lookup() -> SessionInfo | None:
        try:
            return _session_store(settings).resolve(cookie)
        except Exception:  # noqa: BLE001 - database unreachable, unreadable secret: not signed in
            logger.exception("session check failed; treating the session as ended")
            return None

    return once_per_run(("auth_session", cookie), lookup)


def _browser_cookie() -> str | None:
    """The session cookie the browser sent when this Streamlit session connected."""
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # noqa: BLE001 - no request context (bare script run)
        return None
    return str(value) if value else None


def _restore_from_cookie(settings: Settings) -> User | None:
    """The user of the browser's session cookie, with roles as the users file gives them now
    (a user removed since is not let in); the dead cookie is cleared and not asked about again."""
    cookie = _browser_cookie()
    if not cookie or st.session_state.get(COOKIE_CHECKED_KEY) == cookie:
        return None
    info = _session_info(cookie, settings)
    roles: frozenset[str] = frozenset()
    if info is not None:
        try:
            roles = roles_for(info.email, settings, load_users(users_path(settings)))
        except AuthError:
            logger.exception("users file unreadable; the session is not restored")
    if info is None or not roles:
        st.session_state[COOKIE_CHECKED_KEY] = cookie
        st.session_state[COOKIE_ACTION_KEY] = ("clear", cookie)
        return None
    st.session_state[SESSION_KEY] = {"email": info.email, "roles": sorted(roles), "name": info.name, "session": cookie}
    return User(email=info.email, roles=roles, name=info.name, source="local")


def send_cookie_changes() -> None:
    """Send a pending cookie change to the browser (a run that ended in `st.rerun` could not).

    `st.html` with JavaScript is the one way Streamlit 1.67 offers to run a script in the page (it
    reads cookies, `st.context.cookies`, but has no setter): the script asks the server to set or
    clear an HttpOnly cookie (`ui.session_cookie`, under `kuntamittari serve`), else writes it
    itself. The session itself is in the warehouse, so a cookie left behind by a browser that ran
    no script is worthless after sign-out.
    """
    action = st.session_state.pop(COOKIE_ACTION_KEY, None)
    if action:
        st.html(cookie_script(tuple(action)), unsafe_allow_javascript=True)


def oidc_configured() -> bool:
    """Whether `.streamlit/secrets.toml` has an `[auth]` section (st.login needs one)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def sign_out(settings: Settings | None = None) -> None:
    """Forget the local user and revoke their session in the warehouse (every replica, every tab
    with the same cookie); log out of OIDC too when signed in that way."""
    settings = settings or get_settings()
    user = st.session_state.pop(SESSION_KEY, None)
    if isinstance(user, Mapping) and user.get("session"):
        try:
            _session_store(settings).revoke(str(user["session"]))
        except Exception:  # noqa: BLE001 - the tab forgets the user anyway; the log keeps why
            logger.exception("session could not be revoked")
        st.session_state[COOKIE_ACTION_KEY] = ("clear", str(user["session"]))
        st.session_state[COOKIE_CHECKED_KEY] = _browser_cookie()
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
        st.header(t("auth.sign_in_title", lang))
        email = st.text_input(t("auth.email", lang), key="auth_email", autocomplete="username")
        password = st.text_input(
            t("auth.password", lang), type="password", key="auth_password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(t("auth.sign_in", lang))
    if submitted and _attempt_sign_in(email, password, lang, settings):
        st.rerun()


def request_client(settings: Settings) -> str:
    """The client address sign-in attempts are counted against (see `accounts.throttle.client_address`):
    `X-Forwarded-For` only behind `trusted_proxies` proxies, else the websocket's remote address."""
    try:
        forwarded = st.context.headers.get("X-Forwarded-For")
        remote = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (bare script run)
        forwarded, remote = None, None
    return client_address(forwarded if isinstance(forwarded, str) else None,
                          remote if isinstance(remote, str) else None, settings.trusted_proxies)


def _attempt_sign_in(email: str, password: str, lang: str, settings: Settings) -> bool:
    """One sign-in through the form: throttled, checked, and on success a session in the
    warehouse and its cookie on the next run. True when signed in."""
    from ui.data import get_engine

    key = (email or "").strip().lower()
    client = request_client(settings)
    try:
        throttle = SignInThrottle.from_settings(get_engine(), settings)
        verdict = throttle.begin(key, client)
        if not verdict.allowed:
            st.error(lockout_message(verdict, lang))
            return False
        try:
            user = authenticate(email, password, settings)
        except AuthError:
            logger.exception("sign-in failed on the users file")
            user = None
        if user is None:
            after = throttle.failed(key, client)
            st.error(t("auth.bad_credentials", lang) if after.allowed else lockout_message(after, lang))
            return False
        throttle.succeeded(key, client)
        new = _session_store(settings).create(user.email, user.roles, user.name, client)
    except Exception:  # noqa: BLE001 - database unreachable or unwritable: one message, the log has why
        logger.exception("sign-in store unavailable")
        st.error(t("signin.unavailable", lang))
        return False
    st.session_state[SESSION_KEY] = {"email": user.email, "roles": sorted(user.roles), "name": user.name,
                                     "session": new.cookie}
    st.session_state[COOKIE_ACTION_KEY] = ("set", new.cookie, new.max_age)
    return True


def _browser_zone() -> ZoneInfo:
    try:
        return ZoneInfo(st.context.timezone or DEFAULT_TIMEZONE)
    except Exception:  # noqa: BLE001 - unknown zone name (ZoneInfoNotFoundError, ValueError) or no context
        return ZoneInfo(DEFAULT_TIMEZONE)


def lockout_message(verdict: Verdict, lang: str, now: datetime | None = None) -> str:
    """"Too many failed attempts; try again from <time> (in about N min)" in `lang`, the time in
    the browser's time zone (Finnish time when the browser does not say)."""
    now = now or utcnow()
    seconds = verdict.retry_after(now)
    wait = t("signin.wait_seconds", lang, n=seconds) if seconds < 60 else t("signin.wait_minutes", lang, n=-(-seconds // 60))
    at = (verdict.retry_at or now).astimezone(_browser_zone())
    return t("signin.locked", lang, time=format_datetime(at.replace(tzinfo=None), lang), wait=wait)


def require_access(
    audience: Audience, required_role: str | None, lang: str, settings: Settings | None = None
) -> User | None:
    """Gate a page: returns the user when allowed; otherwise explains, offers sign-in and stops.

    Every internal page calls this (through the frame) first, so it is protected both when
    run through `st.navigation` and when Streamlit runs the page file alone.
    """
    settings = settings or get_settings()
    user = current_user(settings)
    send_cookie_changes()
    if may_view(user, audience, required_role, settings):
        return user
    if public_only(settings):  # a heading, the reason, and the way to what is public
        from ui.render import page_link

        st.title(t("app.name", lang))
        st.error(t("auth.not_public", lang))
        page_link("pages/public_summary.py", t("app.page.public_summary", lang), icon=":material/public:",
                  query_params={"lang": lang})
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
        sign_out(settings)
        st.rerun()
