"""One fingerprint of the catalogue's definitions (`metrics.catalog.catalogue_key`): the API's
ETags and published tables key on every definition, the publication's disclosure decisions on
the approved ones only, and a catalogue with the same definitions has the same key in any process."""

from __future__ import annotations

import hashlib

from metrics.catalog import Catalog, catalogue_key, load_catalog
from metrics.model import MetricStatus


def _sha(metrics) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    for metric in sorted(metrics, key=lambda m: m.id):
        digest.update(metric.model_dump_json().encode("utf-8"))
    return digest.hexdigest()


def test_the_key_follows_the_definitions_and_drafts_only_where_asked() -> None:
    shipped = load_catalog()
    metrics = dict(shipped.metrics)
    first = next(iter(sorted(metrics)))
    assert catalogue_key(shipped) == _sha(metrics.values())
    assert catalogue_key(shipped, drafts=False) == _sha(shipped.approved())
    assert catalogue_key(Catalog(metrics=dict(metrics))) == catalogue_key(shipped)  # another replica's copy
    drafted = Catalog(metrics={**metrics, "x_draft": metrics[first].model_copy(update={"id": "x_draft",
                                                                                       "status": MetricStatus.DRAFT})})
    assert catalogue_key(drafted) != catalogue_key(shipped)
    assert catalogue_key(drafted, drafts=False) == catalogue_key(shipped, drafts=False)
    changed = Catalog(metrics={**metrics, first: metrics[first].model_copy(update={"decimals": 3})})
    assert catalogue_key(changed, drafts=False) != catalogue_key(shipped, drafts=False)
