"""A local HTTP server (127.0.0.1, real sockets) that answers like Sotkanet REST 1.1 and PxWeb v1.

It serves recorded responses in their real format, built from real data: Sotkanet data-endpoint
records from the bundled THL snapshot (`datamodel/data/sotkanet-2013`), indicator metadata in
the shape of a real `/indicators/186` answer, and PxWeb json-stat2 of table 11s5 built from a
real Statistics Finland response (`tests/datamodel/fixtures`). A release is a set of those
answers; the test swaps the release to publish new years and revised values. It filters like
the real APIs (years and genders; PxWeb query selections), counts requests and can drop the
connection in the middle of a chosen response.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from datamodel.areas import SOTKANET_DIR

FIXTURES = Path(__file__).resolve().parent.parent / "datamodel" / "fixtures"


def bundled_records(indicator: int) -> list[dict[str, Any]]:
    """The bundled snapshot's data-endpoint records of one indicator."""
    with gzip.open(SOTKANET_DIR / "data" / f"indicator_{indicator}.json.gz", "rt", encoding="utf-8") as handle:
        return json.load(handle)


def indicator_doc(indicator: int, title: str, updated: str, start: int, end: int) -> dict[str, Any]:
    """A `/indicators/{id}` answer: the real 186 document with this indicator's id, title and range."""
    doc = json.loads((FIXTURES / "indicator_186.json").read_text(encoding="utf-8"))
    doc["id"] = indicator
    doc["data-updated"] = updated
    doc["range"] = {"start": start, "end": end}
    doc["title"] = {"fi": title, "sv": f"{title} (sv)", "en": f"{title} (en)"}
    return doc


@dataclass
class Cube:
    """A json-stat2 table held as dimensions and a dense value dict, answered by PxWeb queries."""

    table: str
    template: dict[str, Any]
    dims: dict[str, list[str]]
    values: dict[tuple[str, ...], float | None]
    updated: str

    @classmethod
    def from_jsonstat(cls, doc: dict[str, Any], table: str) -> Cube:
        dims = {}
        for name in doc["id"]:
            index = doc["dimension"][name]["category"]["index"]
            dims[name] = list(index) if isinstance(index, list) else sorted(index, key=index.get)
        cells = list(itertools.product(*dims.values()))
        return cls(table, doc, dims, dict(zip(cells, doc["value"], strict=True)), doc.get("updated", ""))

    def metadata(self) -> dict[str, Any]:
        """GET answer (PxWeb v1 metadata: variables with codes, values, texts; time flagged)."""
        time_dim = self.template["role"]["time"][0]
        out = []
        for name, values in self.dims.items():
            labels = self.template["dimension"][name]["category"].get("label", {})
            var = {"code": name, "text": self.template["dimension"][name]["label"], "values": values,
                   "valueTexts": [labels.get(v, v) for v in values]}
            if name == time_dim:
                var["time"] = True
            elif name != self.template["role"]["metric"][0]:
                var["elimination"] = True
            out.append(var)
        return {"title": self.template["label"], "variables": out}

    def answer(self, query: dict[str, Any]) -> dict[str, Any]:
        """POST answer: the selected cells as json-stat2 in the template's format."""
        chosen = {name: list(values) for name, values in self.dims.items()}
        for part in query["query"]:
            sel = part["selection"]
            if sel["filter"] == "item":
                chosen[part["code"]] = [v for v in self.dims[part["code"]] if v in sel["values"]]
        doc = copy.deepcopy(self.template)
        doc["updated"] = self.updated
        doc["size"] = [len(chosen[n]) for n in doc["id"]]
        for name in doc["id"]:
            cat = doc["dimension"][name]["category"]
            labels = cat.get("label", {})
            cat["index"] = chosen[name]
            cat["label"] = {v: labels.get(v, v) for v in chosen[name]}
        doc["value"] = [self.values.get(cell) for cell in itertools.product(*(chosen[n] for n in doc["id"]))]
        return doc


@dataclass
class Release:
    """What the sources publish at one moment."""

    sotkanet: dict[int, list[dict[str, Any]]]
    sotkanet_meta: dict[int, dict[str, Any]]
    cube: Cube | None = None


@dataclass
class SourceServer:
    """The running server: swap `release`, read `requests`, set `interrupt` (a path fragment)."""

    release: Release
    port: int = 0
    requests: list[tuple[float, str, str]] = field(default_factory=list)
    interrupt: str | None = None
    config: dict[str, Any] = field(default_factory=lambda: {"maxValues": 120000, "maxCells": 120000,
                                                              "maxCalls": 40, "timeWindow": 60})

    @property
    def sotkanet_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sotkanet/rest/1.1"

    @property
    def statfin_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/PxWeb/api/v1"


def _handler(server: SourceServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            return None

        def _send(self, doc: Any, status: int = 200) -> None:
            body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
            if server.interrupt and server.interrupt in self.path:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            server.requests.append((time.monotonic(), "GET", self.path))
            url = urlparse(self.path)
            rel = server.release
            if url.path.startswith("/sotkanet/rest/1.1/indicators/"):
                ind = int(url.path.rsplit("/", 1)[1])
                return self._send(rel.sotkanet_meta[ind]) if ind in rel.sotkanet_meta else self._send({"error": "no"}, 404)
            if url.path == "/sotkanet/rest/1.1/json":
                q = parse_qs(url.query)
                ind = int(q["indicator"][0])
                years = {int(y) for y in q.get("years", [])}
                genders = set(q.get("genders", ["total"]))
                rows = [r for r in rel.sotkanet.get(ind, []) if r["year"] in years and r["gender"] in genders]
                return self._send(rows)
            if url.path == "/PxWeb/api/v1/fi/" and url.query == "config":
                return self._send(server.config)
            if rel.cube and url.path == f"/PxWeb/api/v1/fi/StatFin/{rel.cube.table}.px":
                return self._send(rel.cube.metadata())
            return self._send({"error": "not found"}, 404)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append((time.monotonic(), "POST", self.path))
            rel = server.release
            if rel.cube and self.path == f"/PxWeb/api/v1/fi/StatFin/{rel.cube.table}.px":
                if body.get("response", {}).get("format") != "json-stat2":
                    return self._send({"error": "format"}, 400)
                return self._send(rel.cube.answer(body))
            return self._send({"error": "not found"}, 404)

    return Handler


def start_source_server(release: Release) -> tuple[SourceServer, ThreadingHTTPServer]:
    """Start the server on a free port of 127.0.0.1 in a daemon thread."""
    state = SourceServer(release)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd


class Collector(BaseHTTPRequestHandler):
    """A webhook receiver: keeps (headers, body) of every POST."""

    received: list[tuple[dict[str, str], bytes]] = []
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return None

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
