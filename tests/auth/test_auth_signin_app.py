"""The sign-in form in AppTest: a session in the warehouse and its cookie, sign-out revokes it,
and failed attempts are throttled (the lockout message, then even the right password refused)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from auth_site import EMAIL, PASSWORD, ROOT, AuthSite
from streamlit.testing.v1 import AppTest

from accounts.sessions import COOKIE_NAME, SessionStore
from accounts.throttle import Verdict
from datamodel.engine import make_engine
from datamodel.schema import auth_session, auth_throttle
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings

PAGE = str(ROOT / "pages" / "training.py")
TIMEOUT = 120


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="auth_email").input(email)
    at.text_input(key="auth_password").input(password)
    next(b for b in at.button if b.label == t("auth.sign_in", "fi")).click()
    return at.run()


def _errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]


def _signed_in_caption(at: AppTest) -> bool:
    prefix = t("auth.signed_in_as", "fi", email=EMAIL, roles="")[:-3]
    return any(str(c.value).startswith(prefix) for c in at.sidebar.caption)


def test_sign_in_creates_a_session_and_sign_out_revokes_it(auth_site: AuthSite) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any(w.key == "auth_email" for w in at.text_input)
    _sign_in(at, EMAIL, PASSWORD)
    assert not at.exception and _signed_in_caption(at), [c.value for c in at.sidebar.caption]
    stored = at.session_state["auth_user"]
    cookie = stored["session"]
    # The next run sent the cookie to the browser: the script names it and its value, Strict.
    scripts = [e.proto.body for e in at.get("html") if COOKIE_NAME in e.proto.body]
    assert len(scripts) == 1 and cookie in scripts[0] and "SameSite=Strict" in scripts[0]
    assert "Max-Age=43200" in scripts[0]  # 12 h, the default absolute lifetime
    store = SessionStore.from_settings(make_engine(auth_site.db_url), get_settings())
    info = store.resolve(cookie)
    assert info is not None and info.email == EMAIL and "author" in info.roles

    next(b for b in at.sidebar.button if b.key == "auth_sign_out").click()
    at.run()
    assert not at.exception and not _signed_in_caption(at)
    assert any(w.key == "auth_email" for w in at.text_input)  # the form again
    assert store.resolve(cookie) is None  # revoked in the warehouse
    clearing = [e.proto.body for e in at.get("html") if COOKIE_NAME in e.proto.body]
    assert clearing and "Max-Age=0" in clearing[-1]


def test_session_ended_elsewhere_signs_this_tab_out(auth_site: AuthSite) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    _sign_in(at, EMAIL, PASSWORD)
    assert _signed_in_caption(at)
    engine = make_engine(auth_site.db_url)
    with engine.begin() as conn:  # what a sign-out on another replica does to the row
        conn.execute(auth_session.update().values(revoked_at=datetime.now(timezone.utc)))
    at.run()
    assert not _signed_in_caption(at) and any(w.key == "auth_email" for w in at.text_input)


def test_ten_wrong_passwords_are_throttled(auth_site: AuthSite) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    locked_prefix = t("signin.locked", "fi").split("{time}")[0]
    wrong = t("auth.bad_credentials", "fi")
    messages = []
    for attempt in range(10):
        _sign_in(at, EMAIL, f"wrong-{attempt}")
        assert not at.exception
        messages.append(_errors(at))
    # Four plain refusals, then the fifth failure locks the account; the rest are refused unchecked.
    assert all(m == [wrong] for m in messages[:4]), messages
    assert all(len(m) == 1 and m[0].startswith(locked_prefix) for m in messages[4:]), messages
    _sign_in(at, EMAIL, PASSWORD)  # the eleventh, with the right password
    assert len(_errors(at)) == 1 and _errors(at)[0].startswith(locked_prefix)
    assert not _signed_in_caption(at) and "auth_user" not in at.session_state
    engine = make_engine(auth_site.db_url)
    with engine.connect() as conn:
        assert conn.execute(select(auth_session)).first() is None
        kinds = sorted(conn.execute(select(auth_throttle.c.kind)).scalars())
    assert kinds == ["client", "user"]


def test_lockout_message_in_three_languages() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    verdict = Verdict(False, now + timedelta(seconds=150))
    from ui.auth import lockout_message

    # Finnish time (UTC+2 in December) when the browser does not say.
    assert lockout_message(verdict, "fi", now) == t("signin.locked", "fi", time="1.12.2026 klo 12.02",
                                                    wait=t("signin.wait_minutes", "fi", n=3))
    assert "1.12.2026 kl. 12.02" in lockout_message(verdict, "sv", now)
    english = lockout_message(Verdict(False, now + timedelta(seconds=42)), "en", now)
    assert "1 Dec 2026, 12:00" in english and "42 s" in english


def test_sign_in_without_the_warehouse_says_so(auth_site: AuthSite, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Throttle and sessions live in the database: when it cannot be reached nobody is let in,
    and the person is told why in one line (no traceback)."""
    monkeypatch.setenv("KUNTAMITTARI_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    get_settings.cache_clear()
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    _sign_in(at, EMAIL, PASSWORD)
    assert not at.exception
    assert _errors(at) == [t("signin.unavailable", "fi")]
    assert "auth_user" not in at.session_state
