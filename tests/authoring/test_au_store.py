"""The metric file store: atomic saves, refused concurrent edits, history and restore."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from metrics.authoring_store import (
    AlreadyExistsError,
    ConflictError,
    InvalidIdError,
    MetricNotFoundError,
    MetricStore,
    atomic_write_text,
    fingerprint,
    unified_diff,
)

V1 = "id: kuolleisuus\nstatus: draft\nname:\n  fi: Kuolleisuus\n"
V2 = V1.replace("Kuolleisuus\n", "Kuolleisuus, uusi\n")


@pytest.fixture()
def store(tmp_path: Path) -> MetricStore:
    return MetricStore(tmp_path / "definitions")


def _visible_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts))


def test_new_metric_goes_to_theme_dir_and_history(store: MetricStore) -> None:
    result = store.save("kuolleisuus", "terveys", V1, store.new("kuolleisuus").fingerprint)
    assert result.path == store.root / "terveys" / "kuolleisuus.yaml"
    assert result.path.read_text(encoding="utf-8") == V1
    assert result.fingerprint == fingerprint(V1)
    history = store.history("kuolleisuus")
    assert [h.kind for h in history] == ["saved"]
    assert history[0].path.read_text(encoding="utf-8") == V1
    assert history[0].path.parent == store.root.parent / ".history" / "kuolleisuus"


def test_second_of_two_concurrent_edits_is_refused_and_both_kept(store: MetricStore) -> None:
    store.save("kuolleisuus", "terveys", V1, "")
    alice = store.open("kuolleisuus")
    bob = store.open("kuolleisuus")
    store.save("kuolleisuus", "terveys", V2, alice.fingerprint)
    bob_text = V1.replace("draft", "draft\nowner: Bob")
    with pytest.raises(ConflictError) as info:
        store.save("kuolleisuus", "terveys", bob_text, bob.fingerprint)
    # Alice's version is live, Bob's is kept as a conflict copy, nothing lost.
    assert store.open("kuolleisuus").text == V2
    assert info.value.conflict_copy.read_text(encoding="utf-8") == bob_text
    kinds = sorted(h.kind for h in store.history("kuolleisuus"))
    assert kinds == ["conflict", "saved", "saved"]
    assert info.value.current_fingerprint == fingerprint(V2)


def test_new_metric_with_taken_id_is_refused(store: MetricStore) -> None:
    store.save("kuolleisuus", "terveys", V1, "")
    with pytest.raises(AlreadyExistsError):
        store.save("kuolleisuus", "talous", V2, "")
    assert store.open("kuolleisuus").text == V1
    assert not (store.root / "talous").exists()


def test_existing_metric_keeps_its_location(store: MetricStore) -> None:
    first = store.save("kuolleisuus", "terveys", V1, "")
    second = store.save("kuolleisuus", "talous", V2, first.fingerprint)
    assert second.path == first.path
    assert _visible_files(store.root) == ["terveys/kuolleisuus.yaml"]


def test_history_restore_roundtrip(store: MetricStore) -> None:
    first = store.save("kuolleisuus", "terveys", V1, "")
    store.save("kuolleisuus", "terveys", V2, first.fingerprint)
    oldest = store.history("kuolleisuus")[-1]
    assert store.read_version("kuolleisuus", oldest.version) == V1


def test_threads_racing_on_one_version_only_one_wins(store: MetricStore) -> None:
    base = store.save("kuolleisuus", "terveys", V1, "")
    outcomes: list[str] = []

    def edit(n: int) -> None:
        try:
            store.save("kuolleisuus", "terveys", V1 + f"owner: '{n}'\n", base.fingerprint)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 7
    assert len(store.history("kuolleisuus")) == 9


@pytest.mark.parametrize("bad", ["", "A", "../x", "a b", "kuolleisuus.yaml", "ä_mittari", "x" * 65])
def test_unsafe_ids_are_refused(store: MetricStore, bad: str) -> None:
    with pytest.raises(InvalidIdError):
        store.save(bad, "terveys", V1, "")
    assert not store.root.exists() or _visible_files(store.root) == []


def test_unknown_metric(store: MetricStore) -> None:
    with pytest.raises(MetricNotFoundError):
        store.open("ei_ole")


def test_atomic_write_leaves_old_file_when_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "m.yaml"
    target.write_text("old\n", encoding="utf-8")

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


def test_diff_shows_changed_line() -> None:
    diff = unified_diff(V1, V2)
    assert "-  fi: Kuolleisuus\n" in diff
    assert "+  fi: Kuolleisuus, uusi\n" in diff
    assert unified_diff(V1, V1) == ""
