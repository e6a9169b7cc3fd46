"""Reading the query parameters of `/api/v1/data`: metrics, areas, periods, comparisons, groups.

Each reader returns clean values or raises a 400 problem naming the parameter and the value
(unknown metric, area, period; a draft metric or a non-public area without a token; a request
over the limits of `Settings.api_max_*`). Lists are comma-separated (`area=208,244`) and may
also be repeated (`area=208&area=244`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Engine

from api.context import Access
from api.problems import Problem, bad_parameter
from kuntamittari.i18n import PRIMARY
from kuntamittari.settings import LANGUAGES, Settings
from metrics import service
from metrics.catalog import Catalog
from metrics.warehouse import years
from readout.publication import GENDERS, public_area_codes

PUBLIC_COMPARE: tuple[str, ...] = ("region", "county", "finland")
INTERNAL_COMPARE: tuple[str, ...] = (*PUBLIC_COMPARE, "pilot", "similar")
_PERIOD = re.compile(r"^(\d{4})([QM]\d{1,2})?$")
_RANGE = re.compile(r"^(\d{4})\s*(?:-|\.\.)\s*(\d{4})$")


def split(values: Sequence[str] | str | None) -> list[str]:
    """'a,b' / ['a', 'b,c'] -> ['a', 'b', 'c'] (blanks dropped, order kept, duplicates once)."""
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return list(dict.fromkeys(p.strip() for item in items for p in item.split(",") if p.strip()))


def metric_ids(raw: Sequence[str] | str | None, catalog: Catalog, access: Access, settings: Settings) -> list[str]:
    """Known metric ids the caller may read (drafts only with an author token)."""
    ids = split(raw)
    if not ids:
        raise bad_parameter("metric", None, "parameter 'metric' is required (one or more metric ids)", kind="missing-parameter")
    if len(ids) > settings.api_max_metrics:
        raise bad_parameter("metric", ",".join(ids), f"at most {settings.api_max_metrics} metrics per call",
                            kind="too-many-values")
    for metric_id in ids:
        check_metric(metric_id, catalog, access)
    return ids


def check_metric(metric_id: str, catalog: Catalog, access: Access) -> None:
    """404-like 400 for an unknown id; 401/403 for a draft the caller may not read."""
    metric = catalog.metrics.get(metric_id)
    if metric is None:
        raise bad_parameter("metric", metric_id, f"unknown metric '{metric_id}'", kind="unknown-metric",
                            allowed=sorted(m.id for m in catalog.approved()))
    if metric.status.value == "approved":
        return
    if not access.internal:
        raise Problem(401, "token-required", f"metric '{metric_id}' is not published; reading it needs a bearer token "
                      "for a role that may see drafts", parameter="metric", value=metric_id,
                      headers={"WWW-Authenticate": 'Bearer realm="kuntamittari"'})
    if not access.drafts:
        raise Problem(403, "role-required", f"metric '{metric_id}' is a draft; the token's role may not read drafts",
                      parameter="metric", value=metric_id)


def area_codes(raw: Sequence[str] | str | None, compare: Sequence[str] | str | None, engine: Engine, access: Access,
               settings: Settings, areas: pd.DataFrame) -> list[str]:
    """Known area codes (official forms: '208', 'MK17', 'HVA19', 'SSS') plus their comparison areas."""
    asked = split(raw)
    if not asked:
        raise bad_parameter("area", None, "parameter 'area' is required (one or more area codes)", kind="missing-parameter")
    known = set(areas["code"].astype(str))
    public = public_area_codes(areas)
    codes: list[str] = []
    for value in asked:
        code = service.normalise_area_code(value)
        if code not in known:
            raise bad_parameter("area", value, f"unknown area '{value}'", kind="unknown-area")
        if not access.internal and code not in public:
            raise bad_parameter("area", value, f"area '{value}' is not in the public data (municipalities, regions, "
                                "wellbeing services counties and Finland are)", kind="area-not-public")
        codes.append(code)
    kinds = split(compare)
    allowed = INTERNAL_COMPARE if access.internal else PUBLIC_COMPARE
    for kind in kinds:
        if kind not in allowed:
            raise bad_parameter("compare", kind, f"unknown comparison '{kind}'", allowed=list(allowed), kind="invalid-parameter")
    for code in list(codes):
        for kind in kinds:
            other = service.comparison_target(engine, code, kind)
            if other and other not in codes:
                codes.append(other)
    if len(codes) > settings.api_max_areas:
        raise bad_parameter("area", ",".join(asked), f"at most {settings.api_max_areas} areas per call (comparison "
                            "areas included); use the bulk download for all municipalities", kind="too-many-values")
    return codes


def periods(raw: Sequence[str] | str | None, engine: Engine, settings: Settings) -> tuple[list[str] | None, bool]:
    """Period codes ('2011', ranges '2005-2011'), or None for all; and whether 'latest' was asked."""
    items = split(raw)
    if not items:
        return None, False
    if items == ["latest"]:
        return None, True
    known = set(years(engine))
    out: list[str] = []
    for item in items:
        found = _RANGE.match(item)
        if found:
            first, last = int(found.group(1)), int(found.group(2))
            if first > last:
                raise bad_parameter("period", item, f"period range '{item}' runs backwards", kind="invalid-parameter")
            out += [str(y) for y in range(first, last + 1) if y in known]
            continue
        match = _PERIOD.match(item)
        if match is None or int(match.group(1)) not in known:
            shown = f"{min(known)}–{max(known)}" if known else "none"
            raise bad_parameter("period", item, f"unknown period '{item}' (years with data: {shown})", kind="unknown-period")
        out.append(item)
    out = list(dict.fromkeys(out))
    if len(out) > settings.api_max_periods:
        raise bad_parameter("period", ",".join(items), f"at most {settings.api_max_periods} periods per call",
                            kind="too-many-values")
    if not out:
        raise bad_parameter("period", ",".join(items), "no year with data in the asked range", kind="unknown-period")
    return out, False


def genders(raw: Sequence[str] | str | None, codes: Sequence[str], access: Access, areas: pd.DataFrame) -> list[str]:
    """'total' (default), 'male', 'female'; the public data splits municipalities only."""
    items = split(raw) or ["total"]
    for item in items:
        if item not in GENDERS:
            raise bad_parameter("gender", item, f"unknown group '{item}'", allowed=list(GENDERS), kind="invalid-parameter")
    if not access.internal and any(g != "total" for g in items):
        types = dict(zip(areas["code"].astype(str), areas["area_type"].astype(str), strict=True))
        others = [c for c in codes if types.get(c) != "kunta"]
        if others:
            raise bad_parameter("gender", ",".join(items), "the public data has men and women separately for "
                                f"municipalities only, not for {', '.join(others)}", kind="invalid-parameter")
    return items


def language(raw: str | None, accept_language: str | None) -> str:
    """fi, sv or en: `lang=` wins, else the first supported language of Accept-Language, else fi."""
    if raw:
        if raw.strip().lower() not in LANGUAGES:
            raise bad_parameter("lang", raw, f"unknown language '{raw}'", allowed=list(LANGUAGES))
        return raw.strip().lower()
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return PRIMARY
