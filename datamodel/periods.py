"""Period codes: '2011' (year), '2011Q3' (quarter), '2011M07' (month), as PxWeb writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from datamodel.errors import DataError

_PERIOD = re.compile(r"^(\d{4})(?:(Q)([1-4])|(M)(\d{1,2}))?$")


@dataclass(frozen=True, slots=True)
class Period:
    """A parsed period; `code` is the canonical form stored in `dim_period.code`."""

    code: str
    grain: str
    year: int
    quarter: int | None
    month: int | None


def parse_period(raw: object) -> Period:
    """Parse '2011', 2011, '2011Q3', '2011M7' or '2011M07' (also '2011.0' from spreadsheets).

    Raises `DataError` with the offending text, so row-level validation can report it.
    """
    text = str(raw).strip().upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    match = _PERIOD.match(text)
    if not match:
        raise DataError(f"not a period (expected 2011, 2011Q3 or 2011M07): {raw!r}")
    year = int(match.group(1))
    if not 1800 <= year <= 2200:
        raise DataError(f"year out of range: {raw!r}")
    if match.group(2):
        quarter = int(match.group(3))
        return Period(f"{year}Q{quarter}", "quarter", year, quarter, None)
    if match.group(4):
        month = int(match.group(5))
        if not 1 <= month <= 12:
            raise DataError(f"month out of range: {raw!r}")
        return Period(f"{year}M{month:02d}", "month", year, (month - 1) // 3 + 1, month)
    return Period(str(year), "year", year, None, None)
