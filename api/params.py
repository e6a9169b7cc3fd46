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

from api import language as language_rule
from api.context import Access
from api.problems import Problem, bad_parameter
from kuntamittari.settings import LANGUAGES, Language, Settings
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
        raise bad_parameter("metric", None, "metric_required", kind="missing-parameter")
    if len(ids) > settings.api_max_metrics:
        raise bad_parameter("metric", ",".join(ids), "too_many_metrics", kind="too-many-values",
                            limit=settings.api_max_metrics)
    for metric_id in ids:
        check_metric(metric_id, catalog, access)
    return ids


def check_metric(metric_id: str, catalog: Catalog, access: Access) -> None:
    """404-like 400 for an unknown id; 401/403 for a draft the caller may not read."""
    metric = catalog.metrics.get(metric_id)
    if metric is None:
        raise bad_parameter("metric", metric_id, "unknown_metric", kind="unknown-metric",
                            allowed=sorted(m.id for m in catalog.approved()), metric=metric_id)
    if metric.status.value == "approved":
        return
    if not access.internal:
        raise Problem(401, "token-required", "metric_unpublished", words={"metric": metric_id},
                      parameter="metric", value=metric_id,
                      headers={"WWW-Authenticate": 'Bearer realm="kuntamittari"'})
    if not access.drafts:
        raise Problem(403, "role-required", "metric_draft", words={"metric": metric_id},
                      parameter="metric", value=metric_id)


def area_codes(raw: Sequence[str] | str | None, compare: Sequence[str] | str | None, engine: Engine, access: Access,
               settings: Settings, areas: pd.DataFrame) -> list[str]:
    """Known area codes (official forms: '208', 'MK17', 'HVA19', 'SSS') plus their comparison areas."""
    asked = split(raw)
    if not asked:
        raise bad_parameter("area", None, "area_required", kind="missing-parameter")
    known = set(areas["code"].astype(str))
    public = public_area_codes(areas)
    codes: list[str] = []
    for value in asked:
        code = service.normalise_area_code(value)
        if code not in known:
            raise bad_parameter("area", value, "unknown_area", kind="unknown-area", area=value)
        if not access.internal and code not in public:
            raise bad_parameter("area", value, "area_not_public", kind="area-not-public", area=value)
        codes.append(code)
    kinds = split(compare)
    allowed = INTERNAL_COMPARE if access.internal else PUBLIC_COMPARE
    for kind in kinds:
        if kind not in allowed:
            raise bad_parameter("compare", kind, "unknown_comparison", allowed=list(allowed), kind="invalid-parameter",
                                comparison=kind)
    for code in list(codes):
        for kind in kinds:
            other = service.comparison_target(engine, code, kind)
            if other and other not in codes:
                codes.append(other)
    if len(codes) > settings.api_max_areas:
        raise bad_parameter("area", ",".join(asked), "too_many_areas", kind="too-many-values", limit=settings.api_max_areas)
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
                raise bad_parameter("period", item, "period_backwards", kind="invalid-parameter", period=item)
            out += [str(y) for y in range(first, last + 1) if y in known]
            continue
        match = _PERIOD.match(item)
        if match is None or int(match.group(1)) not in known:
            if not known:
                raise bad_parameter("period", item, "unknown_period_no_data", kind="unknown-period", period=item)
            raise bad_parameter("period", item, "unknown_period", kind="unknown-period", period=item,
                                first=str(min(known)), last=str(max(known)))
        out.append(item)
    out = list(dict.fromkeys(out))
    if len(out) > settings.api_max_periods:
        raise bad_parameter("period", ",".join(items), "too_many_periods", kind="too-many-values",
                            limit=settings.api_max_periods)
    if not out:
        raise bad_parameter("period", ",".join(items), "no_year_in_range", kind="unknown-period")
    return out, False


def genders(raw: Sequence[str] | str | None, codes: Sequence[str], access: Access, areas: pd.DataFrame) -> list[str]:
    """'total' (default), 'male', 'female'; the public data splits municipalities only."""
    items = split(raw) or ["total"]
    for item in items:
        if item not in GENDERS:
            raise bad_parameter("gender", item, "unknown_group", allowed=list(GENDERS), kind="invalid-parameter", group=item)
    if not access.internal and any(g != "total" for g in items):
        types = dict(zip(areas["code"].astype(str), areas["area_type"].astype(str), strict=True))
        others = [c for c in codes if types.get(c) != "kunta"]
        if others:
            raise bad_parameter("gender", ",".join(items), "groups_municipalities_only", kind="invalid-parameter",
                                areas=", ".join(others))
    return items


def language(raw: str | None, accept_language: str | None, default: Language) -> Language:
    """fi, sv or en by the API's one rule (`api.language.choose`); an unknown `lang=` is a 400."""
    if raw and language_rule.from_query(raw) is None:
        raise bad_parameter("lang", raw, "unknown_language", allowed=list(LANGUAGES), language=raw)
    return language_rule.choose(raw, accept_language, default)
