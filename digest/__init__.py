"""The change digest ("Mitä uutta" / "Nytt" / "What's new"): what a load changed, per municipality.

Sits above the metric layer and forecasting and below the surfaces: `snapshot` reads published
metric values, `compute` compares two snapshots with the load's evidence and decides the items,
`store` keeps them in `digest_item` (keyed by load batch) and reads them back. The words of an
item in fi/sv/en are the readout's (`readout.digest`), like every other word a surface shows.
"""

from digest.store import DigestRecord, digest_for_area, digest_for_batches

__all__ = ["DigestRecord", "digest_for_area", "digest_for_batches"]
