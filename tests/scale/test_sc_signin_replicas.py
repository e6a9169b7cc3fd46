"""Sign-in across two app replicas on one PostgreSQL, as deployed: `kuntamittari serve` twice
(real processes, local sign-in, one shared session secret), Chromium through Playwright.

Cookies belong to a host, not a port, so the browser sends the session cookie to both
replicas, as it does behind one load balancer whichever replica the proxy picks after a restart.

- A sign-in made through replica A is honoured by replica B after a reload, and a sign-out on
  B revokes the session for A too (the row in the warehouse, not a process's memory).
- Failed attempts split over both replicas add up to one lockout: the right password is then
  refused on either.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from accounts.sessions import COOKIE_NAME
from accounts.users import add_user
from datamodel.engine import make_engine
from datamodel.schema import auth_session
from kuntamittari.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.xdist_group("replicas")]

WAIT = 90_000
AUTHOR = "maija@kalajoki.fi"
VIEWER = "ville@raahe.fi"
PASSWORD = "kalajoki-tyopaja-2026"


@pytest.fixture(scope="module")
def signin_replicas(streamlit_server, replica_db: str,  # type: ignore[no-untyped-def]
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """Two replicas with local sign-in on the one database; each has its own data directory
    (nothing shared on disk but the users file an administrator would deploy to both)."""
    base = tmp_path_factory.mktemp("signin-replicas")
    users = base / "users.toml"
    add_user(users, AUTHOR, ["author"], PASSWORD)
    add_user(users, VIEWER, ["viewer"], PASSWORD)

    def env(name: str) -> dict[str, str]:
        data_dir = base / name
        data_dir.mkdir()
        return {"KUNTAMITTARI_DATABASE_URL": replica_db, "KUNTAMITTARI_CATALOGUE_SOURCE": "database",
                "KUNTAMITTARI_AUTH_MODE": "local", "KUNTAMITTARI_USERS_FILE": str(users),
                "KUNTAMITTARI_DATA_DIR": str(data_dir),
                "KUNTAMITTARI_SESSION_SECRET": "tests-only-replica-secret-51c2", "KUNTAMITTARI_TEST_REPLICA": name}

    return streamlit_server("app.py", env=env("a"), cli=True), streamlit_server("app.py", env=env("b"), cli=True)


def _wait_cookie(page: object) -> dict:
    """The session cookie once the browser has it (the page asks the server for it after the
    run that signed in)."""
    deadline = time.monotonic() + WAIT / 1000
    while True:
        cookies = page.context.cookies()  # type: ignore[attr-defined]
        found = next((c for c in cookies if c["name"] == COOKIE_NAME and c["value"]), None)
        if found is not None:
            return found
        assert time.monotonic() < deadline, "session cookie never set"
        page.wait_for_timeout(200)  # type: ignore[attr-defined]


def _signed_in(page: object, email: str, lang: str = "fi") -> None:
    text = t("auth.signed_in_as", lang, email=email, roles="")[:-3]
    page.get_by_text(text).first.wait_for(timeout=WAIT)  # type: ignore[attr-defined]


def _form(page: object, lang: str = "fi") -> None:
    page.get_by_label(t("auth.password", lang), exact=True).wait_for(timeout=WAIT)  # type: ignore[attr-defined]


def _submit(page: object, email: str, password: str) -> None:
    page.get_by_label(t("auth.email", "fi"), exact=True).fill(email)  # type: ignore[attr-defined]
    page.get_by_label(t("auth.password", "fi"), exact=True).fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name=t("auth.sign_in", "fi"), exact=True).click()  # type: ignore[attr-defined]


def _attempt(page: object, base: str, email: str, password: str) -> str:
    """One attempt on a freshly loaded page: the error shown, or '' when signed in."""
    page.goto(f"{base}/?lang=fi", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    _form(page)
    _submit(page, email, password)
    signed_in = t("auth.signed_in_as", "fi", email=email, roles="")[:-3]
    errors = page.locator('[data-testid="stAlertContentError"]')  # type: ignore[attr-defined]
    errors.or_(page.get_by_text(signed_in)).first.wait_for(timeout=WAIT)  # type: ignore[attr-defined]
    return errors.first.inner_text().strip() if errors.count() else ""


def _sessions(db_url: str, email: str) -> list[tuple[object, object]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(auth_session.c.created_at, auth_session.c.revoked_at)
                                .where(auth_session.c.email == email)).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def test_sign_in_through_one_replica_is_honoured_by_the_other(signin_replicas: tuple[str, str], browser_page,  # type: ignore[no-untyped-def]
                                                              replica_db: str, screenshot_dir: Path) -> None:
    a, b = signin_replicas
    page = browser_page
    page.goto(f"{b}/?lang=fi", wait_until="domcontentloaded")
    _form(page)  # B: nobody signed in yet
    page.goto(f"{a}/?lang=fi", wait_until="domcontentloaded")
    _form(page)
    _submit(page, AUTHOR, PASSWORD)
    _signed_in(page, AUTHOR)
    cookie = _wait_cookie(page)  # set by the server (HttpOnly): a script in the page cannot see it
    assert cookie["httpOnly"] and COOKIE_NAME not in page.evaluate("document.cookie")
    assert [revoked for _created, revoked in _sessions(replica_db, AUTHOR)] == [None]

    page.goto(f"{b}/authoring?lang=fi", wait_until="domcontentloaded")  # the other process
    _signed_in(page, AUTHOR)
    page.reload(wait_until="domcontentloaded")  # a new Streamlit session on B: still signed in
    _signed_in(page, AUTHOR)
    page.get_by_role("heading", name=t("app.page.authoring", "fi")).first.wait_for(timeout=WAIT)  # an author's page
    page.screenshot(path=str(screenshot_dir / "signin_other_replica_fi.png"))

    page.get_by_role("button", name=t("auth.sign_out", "fi")).click()  # sign out on B ...
    _form(page)
    page.goto(f"{a}/?lang=fi", wait_until="domcontentloaded")  # ... and A no longer honours it
    _form(page)
    assert page.get_by_text(t("auth.signed_in_as", "fi", email=AUTHOR, roles="")[:-3]).count() == 0
    assert [revoked is not None for _created, revoked in _sessions(replica_db, AUTHOR)] == [True]


def test_failures_on_both_replicas_add_up_to_one_lockout(signin_replicas: tuple[str, str], browser_page) -> None:  # type: ignore[no-untyped-def]
    a, b = signin_replicas
    page = browser_page
    locked = t("signin.locked", "fi").split("{time}")[0]
    seen = [_attempt(page, (a, b)[n % 2], VIEWER, f"wrong-password-{n}") for n in range(5)]
    assert seen[:4] == [t("auth.bad_credentials", "fi")] * 4, seen  # two on A, two on B
    assert seen[4].startswith(locked), seen  # the fifth, on A, locks the account everywhere
    right_on_b = _attempt(page, b, VIEWER, PASSWORD)
    assert right_on_b.startswith(locked), right_on_b
