"""What a reader sees of the pages' escaped Markdown (AppTest hands tests the Markdown source)."""

from __future__ import annotations

import re


def shown(markdown: str) -> str:
    """Markdown that `readout.text.escape_markdown` made literal, with the backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)
