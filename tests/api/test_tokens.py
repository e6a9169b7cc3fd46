"""API tokens: made once, stored only as a SHA-256 hash in the settings, checked per request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from typer.testing import CliRunner

from accounts.tokens import PREFIX, new_token, role_for_token, token_hash
from cli.main import app


def test_a_token_is_random_and_only_its_hash_is_kept() -> None:
    token, digest, role = new_token("viewer")
    other, _digest, _role = new_token("viewer")
    assert token.startswith(PREFIX) and len(token) > 40 and token != other and role == "viewer"
    assert digest == hashlib.sha256(token.encode()).hexdigest() and token not in digest
    assert role_for_token(token, {digest: "viewer"}) == "viewer"
    assert role_for_token(f"  {token} ", {digest.upper(): "viewer"}) == "viewer"
    assert role_for_token(other, {digest: "viewer"}) is None
    assert role_for_token(token, {digest: "superuser"}) is None  # an unknown role grants nothing
    assert role_for_token("", {digest: "viewer"}) is None and role_for_token(None, {}) is None
    assert token_hash(token) == digest


def test_cli_prints_the_token_once_and_the_settings_entry() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["api-token", "--role", "author"])
    assert result.exit_code == 0, result.output
    token = next(word for word in result.output.split() if word.startswith(PREFIX))
    entry = json.loads(result.output[result.output.index("{"):].strip())
    assert entry == {token_hash(token): "author"}
    assert runner.invoke(app, ["api-token", "--role", "emperor"]).exit_code == 2
    assert "serve-api" in runner.invoke(app, ["--help"]).output


def test_cli_names_an_unknown_role_in_the_configured_language(settings_env: Callable[..., None]) -> None:
    settings_env(DEFAULT_LANGUAGE="sv")
    result = CliRunner().invoke(app, ["api-token", "--role", "emperor"])
    assert result.exit_code == 2
    assert "error: Okänd roll 'emperor'; välj en av dessa: viewer, author, reviewer, admin." in result.output
