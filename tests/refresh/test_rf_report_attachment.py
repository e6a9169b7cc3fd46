"""An alert e-mail carries the municipality's monthly report (PDF) when the caller asks for it,
through the real SMTP server (aiosmtpd) on 127.0.0.1; a report that cannot be made never stops
the alert."""

from __future__ import annotations

import email
import io
from datetime import UTC, datetime
from email import policy

import pytest
from conftest import release
from pypdf import PdfReader

from alerts.send import send_alerts
from alerts.subscriptions import add_subscription
from refresh import run_refresh
from reports.monthly import alert_attachments


def _parts(raw: bytes) -> tuple[str, list[tuple[str, bytes]]]:
    message = email.message_from_bytes(raw, policy=policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    files = [(part.get_filename(), part.get_payload(decode=True)) for part in message.iter_attachments()]
    return body, files


@pytest.mark.slow
def test_alert_email_has_the_monthly_report_attached(warehouse, catalog, sources, configured, smtp):
    inbox, _port = smtp
    add_subscription(warehouse, "email", "hyvinvointi@kalajoki.example", areas=["208"], language="fi")
    run_refresh(warehouse, catalog)
    sources.release = release(2)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    report = run_refresh(warehouse, catalog, attachments=alert_attachments(warehouse, catalog, now=lambda: now))
    assert report.alerts["sent"] == 1 and len(inbox.messages) == 1
    body, files = _parts(inbox.messages[0][2])
    assert "Kalajoki" in body
    assert [name for name, _ in files] == ["kuukausiraportti_208_2026-11_fi.pdf"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files[0][1])).pages)
    assert "Kuukausiraportti: Kalajoki" in text and "SISÄINEN" in text
    assert "Työttömyysaste" in text


def test_a_failing_report_does_not_stop_the_alert(warehouse, catalog, sources, configured, smtp):
    inbox, _port = smtp
    add_subscription(warehouse, "email", "kirjaamo@liminka.example", areas=["425"], language="sv")
    run_refresh(warehouse, catalog, send=False)
    sources.release = release(2)
    run_refresh(warehouse, catalog, send=False)

    def broken(sub, areas):  # type: ignore[no-untyped-def]
        raise RuntimeError("typesetting failed")

    assert send_alerts(warehouse, catalog, attachments=broken).sent == 1
    body, files = _parts(inbox.messages[0][2])
    assert files == [] and "Limingo" in body  # the Swedish name, the subscriber reads Swedish
