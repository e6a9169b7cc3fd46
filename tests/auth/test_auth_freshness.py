"""Cache freshness: a load committed by `kuntamittari load-sotkanet` shows on the very next page run.

Same process, same AppTest, no cache cleared: the cached readout and the publication's disclosure
decisions are keyed by the warehouse's data version (newest batch, batch count, area counter),
so the new batch makes a new key. Before, a 10-minute time-to-live served the old value.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from datamodel.engine import make_engine
from metrics.freshness import data_version

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 180
KALAJOKI_SOTKANET_REGION = 95  # datamodel/data/sotkanet-2013/areas.csv
OLD, NEW = "51,0", "77,7"  # relative indebtedness (Sotkanet 3181), Kalajoki 2011, in Finnish


def _page_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "metric") for e in at.get(kind)]
    parts += [e.proto.body for e in at.get("html")]
    return "\n".join(parts)


def _has_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![0-9A-Za-z#.,]){re.escape(number)}(?![0-9])", text) is not None


def test_new_batch_shows_on_the_next_run(private_app_env: Path, tmp_path: Path) -> None:
    db_url = f"sqlite:///{private_app_env}"
    engine: Engine = make_engine(db_url)
    before = data_version(engine)
    at = AppTest.from_file(str(ROOT / "public_app.py"), default_timeout=TIMEOUT)
    at.query_params["area"] = "208"
    at.query_params["lang"] = "fi"
    at.run()
    assert not at.exception
    assert _has_number(_page_text(at), OLD) and not _has_number(_page_text(at), NEW)
    at.run()  # a plain rerun: same data version, same value (from the cache)
    assert _has_number(_page_text(at), OLD)

    release = tmp_path / "indicator_3181.json"
    release.write_text(json.dumps([{"indicator": 3181, "region": KALAJOKI_SOTKANET_REGION, "year": 2011,
                                    "gender": "total", "value": 77.7, "absValue": None}]))
    done = subprocess.run([sys.executable, "-m", "cli", "load-sotkanet", str(release), "--db", db_url],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert data_version(engine) != before
    engine.dispose()

    at.run()  # the next page run, nothing cleared
    assert not at.exception
    text = _page_text(at)
    assert _has_number(text, NEW), "the committed value is not shown"
