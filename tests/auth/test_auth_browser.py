"""Local sign-in in a real Chromium against real Streamlit servers on one database.

Served as users run it (`kuntamittari serve`): signs in (the session cookie is HttpOnly, set by
the server, invisible to `document.cookie`), reloads, opens a deep link and a second replica
(another server process on the same database: cookies are per host, not per port, so the browser
sends the cookie to both, as it would behind one load balancer), signs out (the cookie is
cleared by the server; a reload then shows the form). On the development server (`streamlit run
app.py`, no middleware) the page's script writes the cookie itself. Ten wrong passwords lock the
account so the eleventh attempt, with the right password, is refused.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from auth_site import EMAIL, PASSWORD, AuthSite, add_user, make_site
from sqlalchemy import Engine

from accounts.sessions import COOKIE_NAME
from kuntamittari.i18n import t

pytestmark = pytest.mark.browser
WAIT = 60_000
OTHER = "ville@raahe.fi"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, bundled_engine: Engine) -> AuthSite:
    made = make_site(tmp_path_factory.mktemp("auth-browser"), bundled_engine)
    add_user(made.users_file, OTHER, PASSWORD, "viewer")
    return made


def _signed_in_text(lang: str = "fi", email: str = EMAIL) -> str:
    return t("auth.signed_in_as", lang, email=email, roles="")[:-3]


def _wait_idle(page: object) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=WAIT)


def _wait_signed_in(page: object, lang: str = "fi", email: str = EMAIL) -> None:
    page.get_by_text(_signed_in_text(lang, email)).first.wait_for(timeout=WAIT)  # type: ignore[attr-defined]


def _wait_form(page: object) -> None:
    page.get_by_label(t("auth.password", "fi"), exact=True).wait_for(timeout=WAIT)  # type: ignore[attr-defined]


def _submit(page: object, email: str, password: str) -> None:
    page.get_by_label(t("auth.email", "fi"), exact=True).fill(email)  # type: ignore[attr-defined]
    page.get_by_label(t("auth.password", "fi"), exact=True).fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name=t("auth.sign_in", "fi"), exact=True).click()  # type: ignore[attr-defined]


def _session_cookie(page: object) -> dict | None:
    cookies = page.context.cookies()  # type: ignore[attr-defined]
    return next((c for c in cookies if c["name"] == COOKIE_NAME and c["value"]), None)


def _wait_cookie(page: object, present: bool = True) -> dict | None:
    """The session cookie once the browser has it (or, `present=False`, once it is gone): it is
    set by a request the page makes after the run that signed in (or out)."""
    deadline = time.monotonic() + WAIT / 1000
    while (_session_cookie(page) is not None) != present:
        assert time.monotonic() < deadline, f"session cookie {'never set' if present else 'never cleared'}"
        page.wait_for_timeout(200)  # type: ignore[attr-defined]
    return _session_cookie(page)


def _sign_in(page: object, base: str) -> dict | None:
    """Sign in through the form on the start page; the session cookie once the browser has it."""
    page.goto(f"{base}/?lang=fi", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    _wait_form(page)
    _submit(page, EMAIL, PASSWORD)
    _wait_signed_in(page)
    return _wait_cookie(page)


def _script_sees_cookie(page: object) -> bool:
    return COOKIE_NAME + "=" in page.evaluate("document.cookie")  # type: ignore[attr-defined]


def test_session_survives_reload_deep_link_and_replica(streamlit_server, browser_page, site: AuthSite,  # type: ignore[no-untyped-def]
                                                       screenshot_dir: Path) -> None:
    base = streamlit_server("app.py", env=site.env(), cli=True)
    page = browser_page
    cookie = _sign_in(page, base)
    assert cookie is not None and cookie["sameSite"] == "Strict" and not cookie["secure"]  # http here
    assert cookie["httpOnly"] and not _script_sees_cookie(page)  # no script in the page can read it
    assert PASSWORD not in cookie["value"] and "author" not in cookie["value"]
    assert cookie["expires"] > 0  # a Max-Age, not a cookie that dies with the browser window

    page.reload(wait_until="domcontentloaded")
    _wait_signed_in(page)
    assert page.get_by_label(t("auth.password", "fi"), exact=True).count() == 0
    # It is the cookie that carries the session over: without it a reload shows the form.
    page.context.clear_cookies()
    page.reload(wait_until="domcontentloaded")
    _wait_form(page)
    page.context.add_cookies([cookie])
    page.reload(wait_until="domcontentloaded")
    _wait_signed_in(page)

    page.goto(f"{base}/data_status?lang=sv", wait_until="domcontentloaded")  # a deep link, new session
    _wait_signed_in(page, "sv")
    page.get_by_role("heading", name=t("app.page.data_status", "sv")).first.wait_for(timeout=WAIT)

    replica = streamlit_server("app.py", env=site.env(KUNTAMITTARI_TEST_REPLICA="2"), cli=True)
    assert replica != base
    page.goto(f"{replica}/training?lang=en", wait_until="domcontentloaded")
    _wait_signed_in(page, "en")  # made through one process, honoured by the other
    page.screenshot(path=str(screenshot_dir / "signin_replica_en.png"))

    page.get_by_role("button", name=t("auth.sign_out", "en")).click()  # sign out on the replica
    page.get_by_label(t("auth.password", "en"), exact=True).wait_for(timeout=WAIT)
    assert _wait_cookie(page, present=False) is None  # the server cleared the HttpOnly cookie
    page.goto(f"{base}/?lang=fi", wait_until="domcontentloaded")  # the first server after a reload
    _wait_form(page)
    _wait_idle(page)
    assert page.get_by_text(_signed_in_text()).count() == 0
    page.reload(wait_until="domcontentloaded")
    _wait_form(page)
    assert _session_cookie(page) is None  # cleared in the browser, and revoked in the warehouse


def test_development_server_writes_the_cookie_from_the_page(streamlit_server, browser_page,  # type: ignore[no-untyped-def]
                                                            site: AuthSite) -> None:
    """`streamlit run app.py` has no cookie address (404/405): the page's script falls back to
    writing the cookie itself (script-readable), and clearing it on sign-out."""
    base = streamlit_server("app.py", env=site.env())
    page = browser_page
    cookie = _sign_in(page, base)
    assert cookie is not None and not cookie["httpOnly"] and _script_sees_cookie(page)
    assert cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    page.reload(wait_until="domcontentloaded")
    _wait_signed_in(page)
    page.get_by_role("button", name=t("auth.sign_out", "fi")).click()
    _wait_form(page)
    assert _wait_cookie(page, present=False) is None and not _script_sees_cookie(page)


def _attempt(page: object, base: str, email: str, password: str) -> str:
    """One sign-in attempt on a freshly loaded page (so the message seen is this attempt's own,
    however slow the server): the error it gets, or '' when signed in."""
    page.goto(f"{base}/?lang=fi", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    _wait_form(page)
    _submit(page, email, password)
    outcome = page.locator('[data-testid="stAlertContentError"]').or_(  # type: ignore[attr-defined]
        page.get_by_text(_signed_in_text(email=email)))
    outcome.first.wait_for(timeout=WAIT)
    errors = page.locator('[data-testid="stAlertContentError"]')  # type: ignore[attr-defined]
    return errors.first.inner_text().strip() if errors.count() else ""


def test_ten_wrong_passwords_lock_the_account(streamlit_server, browser_page, site: AuthSite,  # type: ignore[no-untyped-def]
                                              screenshot_dir: Path) -> None:
    base = streamlit_server("app.py", env=site.env())
    page = browser_page
    locked = t("signin.locked", "fi").split("{time}")[0]
    seen = [_attempt(page, base, OTHER, f"wrong-password-{attempt}") for attempt in range(10)]
    # Four plain refusals; the fifth failure locks the account; the rest are refused unchecked.
    assert seen[:4] == [t("auth.bad_credentials", "fi")] * 4, seen
    assert all(message.startswith(locked) for message in seen[4:]), seen
    eleventh = _attempt(page, base, OTHER, PASSWORD)  # the right password, a new session
    assert eleventh.startswith(locked), eleventh
    assert page.get_by_text(_signed_in_text(email=OTHER)).count() == 0
    assert _session_cookie(page) is None
    page.screenshot(path=str(screenshot_dir / "signin_locked_fi.png"))
