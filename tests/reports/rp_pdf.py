"""Reading generated PDFs back as text, for the report tests (a module of its own, not the
conftest, so that `import` finds it whichever test directory pytest collected first)."""

from __future__ import annotations

import io
import re


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, spaces normalised (the formatter's narrow no-break spaces included)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"[ \u00a0\u202f\t]+", " ", page.extract_text() or "") for page in reader.pages]


def flat(text: str) -> str:
    """Text with every run of whitespace (line breaks of wrapped cells too) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))
