"""Deliver the digest to subscribers: once per subscription and load batch, nothing when nothing changed.

For each active subscription, the batches with digest items that were loaded after it was
created and not yet delivered to it are pending. Their items for the subscription's areas and
themes go out as one e-mail (SMTP: `smtp_*` settings) or one webhook POST (JSON, signed with
HMAC-SHA256 in `X-Kuntamittari-Signature` when the subscription has a secret); an e-mail carries
what the optional `attachments` provider gives for its municipalities (the CLI passes the
monthly report PDF; a provider that fails never stops the alert). Every pending
batch then gets a row in `alert_delivery` (`sent`, or `empty` when none of its items concern the
subscriber), so running the send again sends nothing; a `failed` delivery is tried again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Protocol

import httpx
from sqlalchemy import Engine, delete, select
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from alerts.message import Attachment, area_names, compose_email, webhook_body
from alerts.subscriptions import Subscription, list_subscriptions
from datamodel.schema import alert_delivery
from digest.store import batches_with_items, digest_for_batches
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Kuntamittari-Signature"
#: Files for one e-mail: called with the subscription and the municipalities its items concern.
AttachmentProvider = Callable[[Subscription, Sequence[str]], Sequence[Attachment]]


class DeliveryError(Exception):
    """A message could not be handed over (SMTP refused, webhook answered an error)."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Sends through the configured SMTP server (TLS: starttls, ssl or none; login when a user is set)."""

    def send(self, message: EmailMessage) -> None:
        s = get_settings()
        if not s.smtp_host or not s.smtp_sender:
            raise DeliveryError("SMTP is not configured (KUNTAMITTARI_SMTP_HOST and KUNTAMITTARI_SMTP_SENDER)")
        context = ssl.create_default_context()
        try:
            if s.smtp_tls == "ssl":
                server: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
            else:
                server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            with server:
                if s.smtp_tls == "starttls":
                    server.starttls(context=context)
                if s.smtp_user:
                    server.login(s.smtp_user, s.smtp_password.get_secret_value())
                server.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {exc}") from exc


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _Retry(Exception):
    pass


def post_webhook(url: str, payload: dict, secret: str | None, *, transport: httpx.BaseTransport | None = None) -> None:
    """POST the JSON body (signed when `secret`); timeouts and 429/5xx are retried with back-off."""
    s = get_settings()
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "kuntamittari"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)

    def once() -> None:
        with httpx.Client(transport=transport, timeout=s.webhook_timeout_seconds) as client:
            try:
                response = client.post(url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise _Retry(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(f"webhook {url}: HTTP {response.status_code}")

    retrying = Retrying(stop=stop_after_attempt(s.refresh_retries), retry=retry_if_exception_type(_Retry),
                        wait=wait_exponential(multiplier=s.refresh_retry_wait_seconds, max=s.refresh_retry_max_wait_seconds),
                        reraise=True)
    try:
        retrying(once)
    except _Retry as exc:
        raise DeliveryError(f"webhook {url}: {exc}") from exc


@dataclass
class AlertReport:
    """How many subscriptions got a message, had nothing new, or failed (with reasons)."""

    sent: int = 0
    empty: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "empty": self.empty, "failed": self.failed}


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _pending(engine: Engine, sub: Subscription, batches: list[tuple[int, datetime | None]]) -> list[int]:
    with engine.connect() as conn:
        done = set(conn.execute(select(alert_delivery.c.batch_id).where(
            alert_delivery.c.subscription_id == sub.subscription_id,
            alert_delivery.c.status.in_(("sent", "empty")))).scalars())
    return [b for b, at in batches if b not in done and (_utc(at) is None or _utc(at) >= sub.created_at)]  # type: ignore[operator]


def _record(engine: Engine, sub: Subscription, batch_ids: list[int], status: str, items: int, error: str | None) -> None:
    with engine.begin() as conn:
        conn.execute(delete(alert_delivery).where(alert_delivery.c.subscription_id == sub.subscription_id,
                                                  alert_delivery.c.batch_id.in_(batch_ids)))
        conn.execute(alert_delivery.insert(), [
            {"subscription_id": sub.subscription_id, "batch_id": b, "status": status, "items": items,
             "attempted_at": datetime.now(UTC), "error": error} for b in batch_ids])


def _attachments(provider: AttachmentProvider | None, sub: Subscription, records: Sequence[object]) -> Sequence[Attachment]:
    """The provider's files for the areas of `records`; none (and a warning) when it fails."""
    if provider is None:
        return ()
    areas = sorted({str(getattr(r, "area_code")) for r in records})
    try:
        return tuple(provider(sub, areas))
    except Exception as exc:  # noqa: BLE001 - a report that cannot be made must not stop the alert
        logger.warning("alert to %s goes without attachments: %s", sub.address, exc)
        return ()


def send_alerts(engine: Engine, catalog: Catalog, *, mailer: Mailer | None = None,
                webhook_transport: httpx.BaseTransport | None = None,
                on_sent: Callable[[Subscription, int], None] | None = None,
                attachments: AttachmentProvider | None = None) -> AlertReport:
    """Deliver every pending batch to every active subscription (see the module docstring)."""
    report = AlertReport()
    batches = batches_with_items(engine)
    subs = list_subscriptions(engine, active_only=True)
    if not batches or not subs:
        return report
    names = area_names(engine)
    mailer = mailer or SmtpMailer()
    for sub in subs:
        pending = _pending(engine, sub, batches)
        if not pending:
            continue
        records = digest_for_batches(engine, pending, areas=sub.areas, themes=sub.themes)
        if not records:
            _record(engine, sub, pending, "empty", 0, None)
            report.empty += 1
            continue
        try:
            if sub.channel == "email":
                files = _attachments(attachments, sub, records)
                mailer.send(compose_email(sub, records, catalog, names, get_settings().smtp_sender or "kuntamittari@localhost",
                                          files))
            else:
                post_webhook(sub.address, webhook_body(sub, records, catalog, names), sub.secret, transport=webhook_transport)
        except DeliveryError as exc:
            logger.warning("alert to %s failed: %s", sub.address, exc)
            _record(engine, sub, pending, "failed", len(records), str(exc))
            report.failed += 1
            report.errors.append(f"{sub.channel} {sub.address}: {exc}")
            continue
        _record(engine, sub, pending, "sent", len(records), None)
        report.sent += 1
        if on_sent:
            on_sent(sub, len(records))
    return report
