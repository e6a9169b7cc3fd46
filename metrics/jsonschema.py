"""The published JSON Schema of a metric file, generated from the pydantic models.

Editors (VS Code's YAML extension) read it through the `# yaml-language-server: $schema=` line
of each file and offer completion and hover help; a test checks the committed file is current.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from metrics.model import Metric

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "metric.schema.json"


def metric_json_schema() -> dict[str, Any]:
    """The schema as a dict (draft 2020-12)."""
    schema = TypeAdapter(Metric).json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kuntamittari.fi/schema/metric.schema.json",
        "title": "Kuntamittari metric definition",
        "description": "One welfare metric: its inputs, texts in fi/sv/en, comparisons and targets.",
        **schema,
    }


def schema_text() -> str:
    """Canonical text of the schema file (stable key order, trailing newline)."""
    return json.dumps(metric_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path | None = None) -> Path:
    """Write the schema file (atomically) and return its path."""
    path = path or SCHEMA_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(schema_text(), encoding="utf-8")
    tmp.replace(path)
    return path
