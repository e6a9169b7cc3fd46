"""The static site in a real browser: served by `python -m http.server` on 127.0.0.1 (no Python
of ours behind it), opened in headless Debian Chromium, checked by the public pages' axe check
(no serious or critical violation), reflowed at 320 px without sideways scrolling of the page,
with the skip link first in the tab order."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from test_public_browser import _serious  # noqa: E402  (the public pages' axe check)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("static_site")]

PAGES = ("index.html", "fi/index.html", "fi/208/index.html", "sv/478/index.html", "en/208/index.html")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(root: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("python -m http.server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("path", PAGES)
def test_static_pages_pass_axe_and_reflow(chromium: object, served: str, path: str) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(served + path, wait_until="load")
        # the charts load lazily: load them all, so their size and place are checked too
        page.evaluate("Promise.all([...document.images].map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }))")
        assert _serious(page) == []
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
        page.set_viewport_size({"width": 320, "height": 640})
        page.wait_for_timeout(200)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        images = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.getBoundingClientRect().right])")
        assert all(width > 0 and right <= 320 for width, right in images), images
    finally:
        context.close()
