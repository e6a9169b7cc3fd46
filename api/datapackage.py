"""An answer as a Frictionless Data Package: `datapackage.json` and the machine CSV in one zip.

The descriptor is built with `frictionless` (so it is a valid Data Package by construction):
the table schema (types, the primary key, the allowed statuses and genders), the licences
of the sources behind the rows, each source with its retrieval date, the provenance (batch ids,
data vintage, disclosure control) under the `kuntamittari` property, and the same CSV the API
serves as `text/csv` (RFC 4180, provenance in its own columns).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any, get_args

from frictionless import Package, Resource, Schema, fields

from api.formats import Answer, machine_frame
from readout.downloads import csv_machine
from readout.model import ValueStatus

#: Licence texts as the sources write them -> (SPDX-style name, URL).
KNOWN_LICENCES: dict[str, tuple[str, str]] = {
    "cc by 4.0": ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-4.0": ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc0": ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "cc0 1.0": ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
STATUSES = list(get_args(ValueStatus))  # the readout's status vocabulary


def _licence(text: str) -> dict[str, str]:
    known = KNOWN_LICENCES.get(text.strip().lower())
    if known:
        return {"name": known[0], "path": known[1], "title": text}
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-") or "unknown"
    return {"name": slug, "title": text}


def _schema() -> Schema:
    string = fields.StringField
    return Schema(
        fields=[
            string(name="metric_id", title="Metric id (GET /api/v1/metrics/{id})"),
            string(name="area_code", title="Area code"),
            string(name="area_name", title="Area name (Finnish)"),
            string(name="area_type", title="Area type (kunta, maakunta, hyvinvointialue, maa, ...)"),
            string(name="period", title="Period (year)"),
            string(name="gender", title="Group", constraints={"enum": ["total", "male", "female"]}),
            fields.NumberField(name="value", title="Value (empty when not shown: see status)"),
            string(name="unit", title="Unit (Finnish)"),
            string(name="status", title="Status of the value", constraints={"enum": STATUSES}),
            string(name="basis", title="How the value was made (source, computed, weighted, approximation)"),
            fields.IntegerField(name="batch_id", title="Load batch the value was read from"),
            string(name="source", title="Source of the value"),
            string(name="licence", title="Licence of the source"),
            string(name="retrieved", title="Date the source was retrieved (ISO 8601)"),
        ],
        primary_key=["metric_id", "area_code", "period", "gender"],
    )


def descriptor(answer: Answer, name: str, resource_path: str = "data.csv") -> dict[str, Any]:
    """`datapackage.json` of an answer (a dict)."""
    prov = answer.provenance
    resource = Resource(
        name="data", path=resource_path, format="csv", mediatype="text/csv", encoding="utf-8",
        title=answer.title, schema=_schema(),
    )
    package = Package(
        name=re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "kuntamittari",
        title=answer.title,
        description=prov.attribution("en") + " " + prov.disclosure("en"),
        licenses=[_licence(text) for text in prov.licences] or [{"name": "unknown", "title": "unknown"}],
        sources=[{"title": s.name, **({"version": s.retrieved.date().isoformat()} if s.retrieved else {})}
                 for s in prov.sources],
        created=prov.generated_at.isoformat(),
        resources=[resource],
    )
    out = package.to_descriptor()
    out["kuntamittari"] = prov.as_dict()
    return out


def datapackage_zip(answer: Answer, name: str) -> bytes:
    """A zip holding `datapackage.json` and `data.csv`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(descriptor(answer, name), ensure_ascii=False, indent=1))
        archive.writestr("data.csv", csv_machine(machine_frame(answer)))
    return buffer.getvalue()
