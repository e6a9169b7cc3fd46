"""Who receives the digest: an e-mail address or a webhook URL, for chosen municipalities and themes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

from sqlalchemy import Engine, delete, select

from datamodel.areas import normalise_area_code
from datamodel.errors import DataError
from datamodel.schema import alert_subscription
from kuntamittari.i18n import normalise_language
from metrics.model import Theme
from metrics.service import list_areas

CHANNELS = ("email", "webhook")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class SubscriptionError(DataError):
    """A subscription cannot be stored as given (bad address, unknown area or theme)."""


@dataclass(frozen=True)
class Subscription:
    """A stored subscription."""

    subscription_id: int
    channel: str
    address: str
    language: str
    areas: tuple[str, ...]
    themes: tuple[str, ...]
    secret: str | None
    active: bool
    created_at: datetime


def _check(engine: Engine, channel: str, address: str, areas: Sequence[str], themes: Sequence[str]) -> tuple[list[str], list[str]]:
    if channel not in CHANNELS:
        raise SubscriptionError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    if channel == "email" and not EMAIL.match(address):
        raise SubscriptionError(f"not an e-mail address: {address!r}")
    if channel == "webhook":
        url = urlparse(address)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise SubscriptionError(f"not an http(s) URL: {address!r}")
    codes = [normalise_area_code(a) for a in areas]
    if not codes:
        raise SubscriptionError("choose at least one municipality (--area)")
    known = set(list_areas(engine)["code"])
    unknown = [a for a, c in zip(areas, codes, strict=True) if c not in known]
    if unknown:
        raise SubscriptionError(f"unknown area codes: {', '.join(map(str, unknown))}")
    valid_themes = {t.value for t in Theme}
    bad = [t for t in themes if t not in valid_themes]
    if bad:
        raise SubscriptionError(f"unknown themes: {', '.join(bad)} (known: {', '.join(sorted(valid_themes))})")
    return sorted(set(codes)), sorted(set(themes))


def add_subscription(engine: Engine, channel: str, address: str, *, areas: Sequence[str], themes: Sequence[str] = (),
                     language: str = "fi", secret: str | None = None) -> Subscription:
    """Create (or replace the choices of) the subscription of `address` on `channel`."""
    address = address.strip()
    codes, theme_list = _check(engine, channel, address, areas, themes)
    values = {"language": normalise_language(language), "areas": codes, "themes": theme_list, "secret": secret or None,
              "active": True}
    with engine.begin() as conn:
        existing = conn.execute(select(alert_subscription.c.subscription_id).where(
            alert_subscription.c.channel == channel, alert_subscription.c.address == address)).scalar_one_or_none()
        if existing is None:
            conn.execute(alert_subscription.insert().values(channel=channel, address=address,
                                                            created_at=datetime.now(UTC), **values))
        else:
            conn.execute(alert_subscription.update().where(alert_subscription.c.subscription_id == existing).values(**values))
    return next(s for s in list_subscriptions(engine) if s.channel == channel and s.address == address)


def list_subscriptions(engine: Engine, *, active_only: bool = False) -> list[Subscription]:
    """Every subscription (or only the active ones), oldest first."""
    stmt = select(alert_subscription).order_by(alert_subscription.c.subscription_id)
    if active_only:
        stmt = stmt.where(alert_subscription.c.active.is_(True))
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [Subscription(
        subscription_id=r["subscription_id"], channel=r["channel"], address=r["address"], language=r["language"],
        areas=tuple(r["areas"] or ()), themes=tuple(r["themes"] or ()), secret=r["secret"], active=bool(r["active"]),
        created_at=r["created_at"] if r["created_at"].tzinfo else r["created_at"].replace(tzinfo=UTC),
    ) for r in rows]


def remove_subscription(engine: Engine, address: str, channel: str | None = None) -> int:
    """Delete the subscriptions of an address (and their delivery log); returns how many."""
    stmt = delete(alert_subscription).where(alert_subscription.c.address == address.strip())
    if channel:
        stmt = stmt.where(alert_subscription.c.channel == channel)
    from datamodel.schema import alert_delivery

    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(select(alert_subscription.c.subscription_id).where(stmt.whereclause))]
        if ids:
            conn.execute(delete(alert_delivery).where(alert_delivery.c.subscription_id.in_(ids)))
        return conn.execute(stmt).rowcount or 0
