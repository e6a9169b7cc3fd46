"""The change digest ("Mitä uutta" / "Nytt" / "What's new"): what a load changed, per municipality.

Sits above the metric layer and forecasting and below the surfaces: `snapshot` reads published
metric values, `compute` compares two snapshots with the load's evidence and decides the items,
`store` keeps them in `digest_item` (keyed by load batch) and reads them back, `text` gives each
item its words in fi/sv/en through the translation layer.
"""

from digest.store import DigestRecord, digest_for_area, digest_for_batches

__all__ = ["DigestRecord", "digest_for_area", "digest_for_batches"]
