"""Writing a site without ever showing half of one: build aside, then swap in one rename.

`out` (e.g. `site/`) is a symbolic link to the newest complete build (`site.20261130T2150Z/`
next to it). A publish writes into a hidden staging directory; when every page is written the
build gets its final name and a new link replaces `out` with `os.replace`, which is atomic, so a
web server serving `out` sees either the old site or the new one, never a mix. The previous
build is removed afterwards. A failed publish removes its staging directory and leaves `out`
as it was. A lock file next to `out` keeps two publishes from writing the same site at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path


class PublishBusy(RuntimeError):
    """Another publish to the same directory is running."""


@contextmanager
def publish_lock(out: Path) -> Iterator[None]:
    """Hold `.<name>.lock` next to `out` for the whole publish (`PublishBusy` when taken)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishBusy(str(out)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def staging(out: Path) -> Iterator[Path]:
    """A fresh directory next to `out` (same file system, so the final rename is cheap); removed
    when the block fails or does not swap it in."""
    path = Path(tempfile.mkdtemp(prefix=f".{out.name}.build-", dir=out.parent))
    path.chmod(0o755)  # mkdtemp makes it private; a web server's user must read the site
    try:
        yield path
    finally:
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)


def swap_in(build: Path, out: Path) -> Path:
    """Make the finished `build` the site at `out`; returns the build's final path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = out.parent / f"{out.name}.{stamp}"
    build.rename(final)
    previous: Path | None = None
    if out.is_symlink():
        previous = out.parent / os.readlink(out)
    elif out.exists():  # a plain directory from before (or made by hand): moved aside once
        previous = out.parent / f"{out.name}.{stamp}-old"
        out.rename(previous)
    link = out.parent / f".{out.name}.link-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(final.name)  # relative: the pair can be moved or mounted elsewhere together
    os.replace(link, out)
    if previous is not None and previous.resolve() != final.resolve() and previous.name.startswith(f"{out.name}."):
        shutil.rmtree(previous, ignore_errors=True)
    return final
