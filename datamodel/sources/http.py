"""The one way source clients call a JSON HTTP API: transport and status errors become
`SourceUnavailable`, a body that is not JSON becomes `SourceFormatError`, both naming the URL.

Shared by the Sotkanet and StatFin PxWeb clients so that every source fails the same way and the
CLI can report it in one line.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from datamodel.errors import SourceFormatError, SourceUnavailable


def request_json(client: httpx.Client, base_url: str, method: str, path: str, **kwargs: Any) -> tuple[Any, bytes]:
    """`client.request(method, path, **kwargs)` -> (parsed JSON, raw bytes for the checksum)."""
    url = f"{base_url}{path}"
    try:
        response = client.request(method, path, **kwargs)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise SourceUnavailable(url, f"HTTP {exc.response.status_code}") from exc
    except httpx.HTTPError as exc:
        raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from exc
    try:
        return response.json(), response.content
    except json.JSONDecodeError as exc:
        raise SourceFormatError(f"{url}: response is not JSON ({exc})") from exc
