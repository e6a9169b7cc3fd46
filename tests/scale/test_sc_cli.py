"""`kuntamittari catalogue ...` and `kuntamittari health`: help, exit codes, one-line messages."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.catalogue_words import counts_line, exported_line, seeded_line
from cli.main import app
from datamodel.bootstrap import downgrade, forget
from datamodel.engine import make_engine
from kuntamittari.settings import get_settings

runner = CliRunner()


@pytest.fixture
def db(bundled_engine: Engine, tmp_path: Path, database_catalogue: None) -> str:
    """A private copy of the bundled database, with the catalogue in the database."""
    path = tmp_path / "cli.sqlite"
    shutil.copyfile(bundled_engine.url.database, path)  # type: ignore[arg-type]
    return f"sqlite:///{path}"


@pytest.mark.parametrize("command", [["catalogue", "export"], ["catalogue", "import"], ["catalogue", "seed"],
                                     ["catalogue", "status"], ["catalogue", "history"], ["health"]])
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output) > 200


def test_status_export_import_history(db: str, tmp_path: Path) -> None:
    status = runner.invoke(app, ["catalogue", "status", "--db", db])
    assert status.exit_code == 0, status.output
    assert "35 mittaria: 35 hyväksyttyä, 0 luonnosta" in status.output
    out = tmp_path / "export"
    exported = runner.invoke(app, ["catalogue", "export", "--out", str(out), "--db", db])
    assert exported.exit_code == 0 and "35" in exported.output
    path = out / "economy_services" / "population.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("decimals: 0", "decimals: 2"), encoding="utf-8")
    imported = runner.invoke(app, ["catalogue", "import", str(out), "--author", "git", "--db", db])
    assert imported.exit_code == 0, imported.output
    assert "0 uutta, 1 muuttunut, 34 ennallaan" in imported.output  # one changed metric in the singular
    history = runner.invoke(app, ["catalogue", "history", "population", "--db", db])
    lines = history.output.strip().splitlines()
    assert history.exit_code == 0
    assert lines[0].split()[:2] == ["2", "import"] and lines[0].split()[4:] == ["git", "approved"]
    assert lines[1].split()[:2] == ["1", "seed"]
    # a broken file: exit 1, one line naming the file, no traceback
    path.write_text(path.read_text(encoding="utf-8").replace("decimals: 2", "decimals: kaksi"), encoding="utf-8")
    refused = runner.invoke(app, ["catalogue", "import", str(out), "--db", db])
    assert refused.exit_code == 1 and "population.yaml" in refused.output and "Traceback" not in refused.output
    missing = runner.invoke(app, ["catalogue", "history", "ei_ole", "--db", db])
    assert missing.exit_code == 1


def test_catalogue_commands_say_when_the_catalogue_is_files(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUNTAMITTARI_CATALOGUE_SOURCE", "directory")
    get_settings.cache_clear()
    result = runner.invoke(app, ["catalogue", "export", "--out", str(tmp_path / "x"), "--db", db])
    assert result.exit_code == 2 and "KUNTAMITTARI_CATALOGUE_SOURCE=database" in result.output


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_health_ready_and_not_ready(db: str, tmp_path: Path) -> None:
    runner.invoke(app, ["catalogue", "seed", "--db", db])
    ready = runner.invoke(app, ["health", "--db", db, "--json"])
    assert ready.exit_code == 0, ready.output
    payload = json.loads(ready.output)
    assert payload["ready"] and [c["name"] for c in payload["checks"]] == ["database", "migrations", "catalogue"]
    assert payload["checks"][2]["metrics"] == 35
    # no database file: not ready, and nothing is created
    gone = tmp_path / "gone.sqlite"
    result = runner.invoke(app, ["health", "--db", f"sqlite:///{gone}"])
    assert result.exit_code == 1 and "gone.sqlite" in result.output and not gone.exists()
    # the app server does not answer
    dead = runner.invoke(app, ["health", "--db", db, "--url", f"http://127.0.0.1:{_dead_port()}", "--timeout", "1"])
    assert dead.exit_code == 1 and "sovelluspalvelin: EI VALMIS" in dead.output
    # code newer than the schema (a deployment that forgot `kuntamittari init`)
    engine = make_engine(db)
    downgrade(engine, "0008")
    engine.dispose()
    forget()
    behind = runner.invoke(app, ["health", "--db", db])
    assert behind.exit_code == 1 and "0008" in behind.output and "kuntamittari init" in behind.output


def test_health_on_an_empty_catalogue(db: str) -> None:
    empty = runner.invoke(app, ["health", "--db", db])  # the bundled copy has the table, nothing seeded
    assert empty.exit_code == 1 and "kuntamittari init" in empty.output


def test_waiting_for_readiness_stops_at_the_first_pass_or_when_told() -> None:
    """`health --wait`, the tests and the load benchmark share one waiting rule."""
    from metrics.readiness import Check, wait_until

    calls: list[int] = []

    def flaky() -> list[Check]:
        calls.append(1)
        return [Check("server", len(calls) >= 3, "server_ok")]

    assert wait_until(flaky, 30, interval=0.01)[0].ok and len(calls) == 3
    calls.clear()
    assert not wait_until(flaky, 30, interval=0.01, gave_up=lambda: True)[0].ok and len(calls) == 1
    calls.clear()
    assert not wait_until(flaky, 0, interval=0.01)[0].ok and len(calls) == 1


def test_catalogue_summaries_count_each_number_with_its_own_phrase() -> None:
    report = SimpleNamespace(added=["a"], updated=[], unchanged=["b", "c"], held_back=["d"], written=["a"])
    assert seeded_line(report, "metrics", "sv") == (
        "Levererade definitioner (metrics): 1 tillagd, 0 uppdaterade, 2 oförändrade, 1 väntar (redigerade här).")
    assert exported_line(report, 1, "out", "en") == "Exported 1 metric to out (1 file written, 2 unchanged)."
    assert counts_line({"approved": 1, "draft": 2}, 3, "fi") == "3 mittaria: 1 hyväksytty, 2 luonnosta, 0 poistettua käytöstä"
