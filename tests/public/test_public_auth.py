"""Role model, password hashing, users file and the add-user command (no Streamlit run)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from kuntamittari.settings import Settings
from accounts.users import (
    AuthError,
    User,
    add_user,
    authenticate,
    has_role,
    hash_password,
    load_users,
    roles_for,
    verify_password,
)
from ui.auth import may_view


def test_hash_is_salted_and_verifies() -> None:
    first = hash_password("kalajoki-2026")
    second = hash_password("kalajoki-2026")
    assert first != second and first.startswith("scrypt$")
    assert "kalajoki-2026" not in first
    assert verify_password("kalajoki-2026", first) and verify_password("kalajoki-2026", second)
    assert not verify_password("kalajoki-2025", first)
    assert not verify_password("kalajoki-2026", "garbage") and not verify_password("x", "md5$a$b$c$d$e")
    with pytest.raises(AuthError):
        hash_password("")


def test_role_ranks() -> None:
    assert has_role({"admin"}, "reviewer") and has_role({"reviewer"}, "author")
    assert not has_role({"viewer"}, "author") and not has_role({"author"}, "reviewer")
    assert has_role({"viewer"}, None) and not has_role(set(), None) and not has_role({"boss"}, "viewer")


def test_may_view_public_internal_and_public_only() -> None:
    settings = Settings(auth_mode="local")
    author = User(email="a@kalajoki.fi", roles=frozenset({"author"}))
    assert may_view(None, "public", None, settings)
    assert not may_view(None, "internal", "viewer", settings)
    assert may_view(author, "internal", "author", settings)
    assert not may_view(author, "internal", "admin", settings)
    public = Settings(public_only=True)
    admin = User(email="x@y.fi", roles=frozenset({"admin"}))
    assert may_view(None, "public", None, public)
    assert not may_view(admin, "internal", "viewer", public)


def test_users_file_round_trip_and_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    add_user(path, "Maija.Meikalainen@Kalajoki.fi", ["author"], "salasana-123")
    add_user(path, "ville@raahe.fi", ["reviewer", "viewer"], 'quote"and\\slash')
    text = path.read_text(encoding="utf-8")
    assert "salasana-123" not in text and "scrypt$" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    users = load_users(path)
    assert set(users) == {"maija.meikalainen@kalajoki.fi", "ville@raahe.fi"}
    assert users["ville@raahe.fi"].roles == ("reviewer", "viewer")
    settings = Settings(auth_mode="local", users_file=path, roles={"Ville@Raahe.fi": ["admin"]})
    user = authenticate("maija.meikalainen@kalajoki.fi", "salasana-123", settings)
    assert user is not None and user.roles == frozenset({"author"})
    assert authenticate("maija.meikalainen@kalajoki.fi", "wrong", settings) is None
    assert authenticate("nobody@kalajoki.fi", "salasana-123", settings) is None
    assert authenticate("not-an-email", "x", settings) is None
    ville = authenticate("ville@raahe.fi", 'quote"and\\slash', settings)
    assert ville is not None and ville.roles == frozenset({"reviewer", "viewer", "admin"})
    # replacing a user keeps one entry and the new password
    add_user(path, "ville@raahe.fi", ["viewer"], "uusi-salasana")
    assert authenticate("ville@raahe.fi", 'quote"and\\slash', settings) is None
    assert load_users(path)["ville@raahe.fi"].roles == ("viewer",)


def test_roles_for_from_settings_only() -> None:
    settings = Settings(roles={"a@b.fi": ["reviewer", "nonsense"]})
    assert roles_for("A@B.fi", settings) == frozenset({"reviewer"})
    assert roles_for("c@b.fi", settings) == frozenset()


def test_add_user_rejects_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    with pytest.raises(AuthError):
        add_user(path, "no-at-sign", ["author"], "salasana-123")
    with pytest.raises(AuthError):
        add_user(path, "a@b.fi", ["superuser"], "salasana-123")
    assert not path.exists()
    path.write_text("this is [not toml", encoding="utf-8")
    with pytest.raises(AuthError):
        load_users(path)


def test_cli_add_user_from_stdin(tmp_path: Path) -> None:
    path = tmp_path / "u" / "users.toml"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["add-user", "liisa@muhos.fi", "--role", "author", "--users-file", str(path), "--password-stdin"],
        input="hyva-salasana\n",
    )
    assert result.exit_code == 0, result.output
    assert "liisa@muhos.fi" in result.output
    record = load_users(path)["liisa@muhos.fi"]
    assert record.roles == ("author",) and verify_password("hyva-salasana", record.password_hash)


def test_cli_add_user_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "users.toml"
    bad_role = runner.invoke(app, ["add-user", "a@b.fi", "--role", "boss", "--users-file", str(path), "--password-stdin"], input="salasana-123\n")
    assert bad_role.exit_code == 2 and "unknown role" in bad_role.output and "Traceback" not in bad_role.output
    short = runner.invoke(app, ["add-user", "a@b.fi", "--role", "author", "--users-file", str(path), "--password-stdin"], input="abc\n")
    assert short.exit_code == 2 and not path.exists()


def test_cli_serve_help_mentions_public() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0 and "--public" in result.output and "--port" in result.output
