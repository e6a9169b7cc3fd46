"""Human documentation of the API, rendered on the server from its OpenAPI description.

A plain HTML page (no scripts, nothing fetched from elsewhere, so it works offline and tells no
third party who reads it): the description, each endpoint with its parameters, a curl example,
and the problem types. The machine-readable description is `/api/v1/openapi.json`.
"""

from __future__ import annotations

import html
from typing import Any

PROBLEMS = {
    "invalid-parameter": "A parameter has a value the API does not accept (see `parameter` and `value`).",
    "missing-parameter": "A required parameter is missing.",
    "unknown-metric": "No metric has this id (`allowed` lists the public ones).",
    "unknown-area": "No area has this code.",
    "area-not-public": "The area is not in the public data (sub-regions and groups are internal).",
    "unknown-period": "No data exists for this period.",
    "unknown-format": "The format is not one of json, jsonstat, csv, csv-fi, xlsx, parquet, datapackage.",
    "too-many-values": "More metrics, areas or periods than one call may ask for.",
    "too-large": "The answer would be too large: ask for less or use a bulk download.",
    "not-acceptable": "None of the media types in Accept is served.",
    "token-required": "Internal data: send Authorization: Bearer <token>.",
    "invalid-token": "The bearer token is not valid.",
    "role-required": "The token's role may not read this (drafts need an author token).",
    "not-found": "No such endpoint.",
    "unavailable": "The database does not answer.",
}

STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5}
code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:.6rem;overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
a{color:#0b57d0}"""


def _esc(value: Any) -> str:
    return html.escape(str(value or ""))


def _endpoint(path: str, op: dict[str, Any], base: str) -> str:
    rows = "".join(
        f"<tr><th scope='row'><code>{_esc(p['name'])}</code></th><td>{_esc(p.get('in'))}</td>"
        f"<td>{_esc(p.get('description'))}</td></tr>"
        for p in op.get("parameters", []) if p.get("in") in ("query", "path")
    )
    table = (f"<table><thead><tr><th scope='col'>parameter</th><th scope='col'>in</th><th scope='col'>meaning</th>"
             f"</tr></thead><tbody>{rows}</tbody></table>") if rows else ""
    example = base + path.replace("{metric_id}", "unemployment_rate")
    if path.endswith("/data"):
        example += "?metric=unemployment_rate&area=208&compare=region,finland&format=jsonstat"
    return (f"<h3><code>GET {_esc(path)}</code></h3><p>{_esc(op.get('summary'))}</p>{table}"
            f"<pre>curl -H 'Accept: application/json' '{_esc(example)}'</pre>")


def docs_html(spec: dict[str, Any], base: str) -> str:
    """The documentation page of `spec` (the app's OpenAPI), examples against `base`."""
    info = spec.get("info", {})
    endpoints = "".join(_endpoint(path, ops["get"], base) for path, ops in spec.get("paths", {}).items() if "get" in ops)
    problems = "".join(f"<tr><th scope='row' id='problem-{k}'><code>{k}</code></th><td>{_esc(v)}</td></tr>"
                       for k, v in PROBLEMS.items())
    paragraphs = "".join(f"<p>{_esc(p)}</p>" for p in str(info.get("description", "")).split("\n\n"))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_esc(info.get('title'))}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{_esc(info.get('title'))}</h1>{paragraphs}"
        "<p>Machine-readable description: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a> (OpenAPI 3).</p>"
        f"<h2>Endpoints</h2>{endpoints}"
        "<h2 id='problems'>Problems</h2><p>Errors are <code>application/problem+json</code> (RFC 9457) with "
        "<code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>, <code>instance</code> and, "
        "for a bad parameter, <code>parameter</code>, <code>value</code>, <code>allowed</code>. Only "
        "<code>title</code> and <code>detail</code> are words, in the request's language (<code>lang</code>, else "
        "<code>Accept-Language</code>, else the configured default): branch on <code>type</code>.</p>"
        f"<table><thead><tr><th scope='col'>type</th><th scope='col'>meaning</th></tr></thead><tbody>{problems}</tbody></table>"
        "</main></body></html>"
    )
