"""Bearer tokens for programs (the HTTP API): made once, shown once, stored only as a hash.

A token is 32 random bytes (URL-safe base64, prefixed `km_` so a leaked one is recognisable in
logs and secret scanners). With that much entropy a plain SHA-256 is the right stored form (as
for GitHub and PyPI tokens): a slow password hash protects guessable secrets, not random ones,
and would cost every API request tens of milliseconds. The digests and their roles live in the
settings (`KUNTAMITTARI_API_TOKENS='{"<sha256 hex>": "viewer"}'` or `api_tokens` in the TOML
file), so every replica of the API process sees the same tokens and none is kept only in one
process's memory; revoking a token is deleting its line.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from accounts.users import ROLES, AuthError, validate_role

PREFIX = "km_"
_TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """The stored form of a token: SHA-256 of its UTF-8 text, lower-case hex."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def new_token(role: str) -> tuple[str, str, str]:
    """A fresh token for `role`: (token to hand over once, its hash to store, the role)."""
    checked = validate_role(role)
    token = PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    return token, token_hash(token), checked


def role_for_token(token: str | None, tokens: Mapping[str, str]) -> str | None:
    """The role of a presented token, or None when it is unknown (compared in constant time).

    `tokens` maps stored hashes to roles (`Settings.api_tokens`); an entry with an unknown role
    grants nothing rather than failing every request.
    """
    if not token or not token.strip():
        return None
    presented = token_hash(token)
    found: str | None = None
    for stored, role in tokens.items():
        if hmac.compare_digest(presented, str(stored).strip().lower()):
            found = role
    if found is None:
        return None
    try:
        return validate_role(found)
    except AuthError:
        return None


__all__ = ["PREFIX", "ROLES", "new_token", "role_for_token", "token_hash"]
