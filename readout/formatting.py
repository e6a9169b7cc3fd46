"""Numbers, changes, periods and dates as a reader of each language expects them.

Finnish and Swedish (as written in Finland) use a decimal comma and a space between thousands;
we use U+202F NARROW NO-BREAK SPACE as the group separator (Babel's CLDR data gives U+00A0), so a
number never wraps across lines and looks like typeset Finnish text. English uses the British
conventions (1,234.5; 3 Nov 2026). Rounding is half-up, as people round by hand, not banker's
rounding (Babel's default would show 3.25 as 3,2).

No Streamlit here: pages, the CLI, exports and tests all format through these functions.
"""

from __future__ import annotations

import decimal
import logging
import math
from datetime import date, datetime
from typing import Any

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal as _babel_decimal

logger = logging.getLogger(__name__)

NARROW_NBSP = "\u202f"
MINUS = "\u2212"
LOCALES: dict[str, str] = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
MISSING = "–"  # en dash: shown for a value that does not exist


def _locale(lang: str) -> str:
    return LOCALES.get((lang or "fi")[:2].lower(), LOCALES["fi"])


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA or anything that is not a number."""
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def format_number(value: Any, lang: str, decimals: int = 1, *, signed: bool = False) -> str:
    """`value` with `decimals` fixed decimals in the conventions of `lang` ('–' when missing).

    `signed=True` always shows the sign (+1,2 / −1,2) for changes; zero has no sign.
    """
    if is_missing(value):
        return MISSING
    decimals = max(0, int(decimals))
    number = decimal.Decimal(repr(float(value)))
    quantum = decimal.Decimal(1).scaleb(-decimals)
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_HALF_UP
        rounded = number.quantize(quantum)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0,0"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = _babel_decimal(abs(rounded), format=pattern, locale=_locale(lang), decimal_quantization=True)
    if lang[:2] in ("fi", "sv"):
        text = text.replace("\u00a0", NARROW_NBSP).replace(" ", NARROW_NBSP)
    if rounded < 0:
        return (MINUS if lang[:2] in ("fi", "sv") else "-") + text
    if signed and rounded > 0:
        return "+" + text
    return text


def format_change(value: Any, lang: str, decimals: int = 1) -> str:
    """A signed difference (+1,2 / −0,4 / 0,0)."""
    return format_number(value, lang, decimals, signed=True)


def format_integer(value: Any, lang: str) -> str:
    """A count (row counts, populations) without decimals."""
    return format_number(value, lang, 0)


def format_period(period: str | None, lang: str) -> str:
    """'2011' -> '2011'; '2011Q3' -> '2011/3' (fi), '2011 Q3' (sv, en); '2011M07' -> '7/2011' / 'Jul 2011'."""
    if not period:
        return MISSING
    code = str(period)
    if len(code) == 6 and code[4] == "Q":
        return f"{code[:4]}/{code[5]}" if lang[:2] == "fi" else f"{code[:4]} Q{code[5]}"
    if len(code) == 7 and code[4] == "M":
        month = int(code[5:])
        if lang[:2] == "en":
            return _babel_date(date(int(code[:4]), month, 1), format="MMM yyyy", locale=_locale(lang))
        return f"{month}/{code[:4]}"
    return code


def format_date(value: date | datetime | str | None, lang: str) -> str:
    """A calendar date: 3.11.2026 (fi, sv) or 3 Nov 2026 (en); '–' when missing or unreadable."""
    parsed = _to_date(value)
    if parsed is None:
        return MISSING
    if lang[:2] == "en":
        return _babel_date(parsed, format="d MMM yyyy", locale=_locale(lang))
    return f"{parsed.day}.{parsed.month}.{parsed.year}"


def format_datetime(value: datetime | str | None, lang: str) -> str:
    """Date and time to the minute: 3.11.2026 klo 14.05 / 3.11.2026 kl. 14.05 / 3 Nov 2026, 14:05."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return MISSING
    if not isinstance(value, datetime):
        try:  # pandas Timestamp and friends
            value = value.to_pydatetime()  # type: ignore[union-attr]
        except AttributeError:
            return format_date(value, lang)  # type: ignore[arg-type]
    day = format_date(value, lang)
    if lang[:2] == "fi":
        return f"{day} klo {value.hour}.{value.minute:02d}"
    if lang[:2] == "sv":
        return f"{day} kl. {value.hour}.{value.minute:02d}"
    return f"{day}, {value.hour:02d}:{value.minute:02d}"


def _to_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).date()
        except ValueError:
            return None
    try:  # pandas Timestamp / numpy datetime64
        return value.to_pydatetime().date()  # type: ignore[no-any-return]
    except (AttributeError, ValueError):
        return None


def vega_number_format(lang: str) -> dict[str, Any]:
    """A Vega `formatLocale` for charts: the same separators as `format_number`."""
    if lang[:2] in ("fi", "sv"):
        return {"decimal": ",", "thousands": NARROW_NBSP, "grouping": [3], "currency": ["", "\u00a0€"], "minus": MINUS}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]}


def format_percent(share: Any, lang: str, decimals: int = 0) -> str:
    """A share 0-1 as a percentage: 71 % (fi, sv: narrow no-break space) or 71% (en)."""
    if is_missing(share):
        return MISSING
    number = format_number(float(share) * 100, lang, decimals)
    return f"{number}%" if lang[:2] == "en" else f"{number}{NARROW_NBSP}%"


def with_unit(number: str, unit: str, lang: str) -> str:
    """A formatted number and its unit: '9,4 %' (fi, sv), '9.4%' (en), '524 henkilöä'."""
    if not unit or number == MISSING:
        return number
    if unit == "%":
        return f"{number}%" if lang[:2] == "en" else f"{number}{NARROW_NBSP}%"
    return f"{number} {unit}"
