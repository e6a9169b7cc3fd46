"""Webhook alerts reach a real local HTTP server, signed; subscriptions are validated; a failed
delivery is retried by the next send and a delivered batch is never sent twice."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from rf_releases import release
from sqlalchemy import select

from alerts.send import SIGNATURE_HEADER, send_alerts
from alerts.subscriptions import SubscriptionError, add_subscription, list_subscriptions
from datamodel.schema import alert_delivery
from refresh import run_refresh


@pytest.mark.slow
def test_webhook_signed_once_per_batch(warehouse, catalog, sources, configured, webhook_receiver, smtp):
    received, url = webhook_receiver
    inbox, _port = smtp
    add_subscription(warehouse, "webhook", url, areas=["208"], themes=["working_age"], language="en", secret="s3cret")
    run_refresh(warehouse, catalog)
    sources.release = release(2)
    report = run_refresh(warehouse, catalog)
    assert report.alerts == {"sent": 1, "empty": 0, "failed": 0}
    assert len(received.received) == 1 and inbox.messages == []
    headers, body = received.received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    doc = json.loads(body)
    assert doc["event"] == "kuntamittari.digest" and doc["language"] == "en"
    assert {i["area_code"] for i in doc["items"]} == {"208"}
    assert {i["theme"] for i in doc["items"]} == {"working_age"}  # population (economy) left out
    revised = next(i for i in doc["items"] if i["kind"] == "revised")
    assert revised["metric_id"] == "unemployment_rate" and revised["period"] == "2008"
    assert revised["text"].startswith("Unemployment rate: the source revised the value for 2008")
    assert revised["url"] == "https://mittari.kunta.example/metric_detail?metric=unemployment_rate&area=208&lang=en"
    assert send_alerts(warehouse, catalog).sent == 0 and len(received.received) == 1


@pytest.mark.slow
def test_failed_mail_is_retried_then_never_repeated(warehouse, catalog, sources, configured, smtp, monkeypatch):
    inbox, port = smtp
    add_subscription(warehouse, "email", "kirjaamo@liminka.example", areas=["425"], language="fi")
    run_refresh(warehouse, catalog)
    sources.release = release(2)
    monkeypatch.setenv("KUNTAMITTARI_SMTP_PORT", "9")  # nothing listens there
    from kuntamittari.settings import get_settings

    get_settings.cache_clear()
    report = run_refresh(warehouse, catalog)
    assert report.alerts["failed"] == 1 and inbox.messages == []
    with warehouse.connect() as conn:
        assert set(conn.execute(select(alert_delivery.c.status)).scalars()) == {"failed"}
    monkeypatch.setenv("KUNTAMITTARI_SMTP_PORT", str(port))
    get_settings.cache_clear()
    assert send_alerts(warehouse, catalog).sent == 1 and len(inbox.messages) == 1
    assert "Liminka" in inbox.messages[0][2].decode("utf-8", "replace")
    assert send_alerts(warehouse, catalog).sent == 0 and len(inbox.messages) == 1


def test_subscriptions_are_validated(warehouse):
    with pytest.raises(SubscriptionError, match="e-mail"):
        add_subscription(warehouse, "email", "not-an-address", areas=["208"])
    with pytest.raises(SubscriptionError, match="unknown area"):
        add_subscription(warehouse, "email", "a@b.fi", areas=["999"])
    with pytest.raises(SubscriptionError, match="unknown themes"):
        add_subscription(warehouse, "email", "a@b.fi", areas=["208"], themes=["weather"])
    with pytest.raises(SubscriptionError, match="http"):
        add_subscription(warehouse, "webhook", "ftp://x", areas=["208"])
    sub = add_subscription(warehouse, "email", "a@b.fi", areas=["KU208", "244"], language="sv")
    assert sub.areas == ("208", "244") and sub.language == "sv" and sub.themes == ()
    assert add_subscription(warehouse, "email", "a@b.fi", areas=["009"]).areas == ("009",)
    assert len(list_subscriptions(warehouse)) == 1
