"""Compose an alert from digest items: an e-mail (plain text + HTML) or a webhook JSON body.

The sentences are the digest's own (`readout.digest.item_sentence`) in the subscriber's language;
every item links back to the metric page of its municipality (`public_base_url`). An e-mail may
carry attachments (the municipality's monthly report as PDF, made by `reports`, which the caller
passes in: this package never imports the surfaces).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine

from alerts.subscriptions import Subscription
from digest.store import DigestRecord
from readout.digest import digest_title, item_sentence
from kuntamittari.i18n import PRIMARY, pick, t
from kuntamittari.settings import get_settings
from metrics.catalog import Catalog
from metrics.areas import official_names
from metrics.service import list_areas


@dataclass(frozen=True)
class Attachment:
    """A file attached to an alert e-mail."""

    filename: str
    content: bytes
    mime: str = "application/pdf"


def area_names(engine: Engine) -> dict[str, dict[str, str]]:
    """Area code -> {fi, sv, en} names (`metrics.areas.official_names`: Finnish where another
    language has none)."""
    names = official_names(list_areas(engine))
    return {code: {lang: names[lang][code] for lang in names} for code in names[PRIMARY]}


def metric_url(metric_id: str, area_code: str, lang: str) -> str:
    """The metric page of one municipality in the dashboard."""
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/metric_detail?{urlencode({'metric': metric_id, 'area': area_code, 'lang': lang})}"


def _by_area(records: Sequence[DigestRecord]) -> dict[str, list[DigestRecord]]:
    out: dict[str, list[DigestRecord]] = {}
    for rec in sorted(records, key=lambda r: (r.area_code, r.theme, r.metric_id, r.kind, r.period)):
        out.setdefault(rec.area_code, []).append(rec)
    return out


def compose_email(sub: Subscription, records: Sequence[DigestRecord], catalog: Catalog,
                  names: Mapping[str, Mapping[str, str]], sender: str,
                  attachments: Sequence[Attachment] = ()) -> EmailMessage:
    """A multipart/alternative message: plain text first, then the same content as HTML (inside
    multipart/mixed with the attachments, when there are any)."""
    lang = sub.language
    groups = _by_area(records)
    area_list = ", ".join(pick(dict(names.get(a, {"fi": a})), lang) for a in groups)
    title = digest_title(lang)
    plain = [t("alerts.email.intro", lang, count=len(records), areas=area_list), ""]
    body = [f"<h1>{html.escape(title)}</h1>",
            f"<p>{html.escape(t('alerts.email.intro', lang, count=len(records), areas=area_list))}</p>"]
    for area, items in groups.items():
        name = pick(dict(names.get(area, {"fi": area})), lang)
        plain += [f"== {name} ==", ""]
        body.append(f"<h2>{html.escape(name)}</h2><ul>")
        for rec in items:
            sentence, url = item_sentence(rec, catalog, lang), metric_url(rec.metric_id, area, lang)
            plain += [f"- {sentence}", f"  {url}"]
            body.append(f'<li><a href="{html.escape(url, quote=True)}">{html.escape(sentence)}</a></li>')
        plain.append("")
        body.append("</ul>")
    footer = t("alerts.email.footer", lang, address=sub.address)
    plain.append(footer)
    body.append(f"<p><small>{html.escape(footer)}</small></p>")
    msg = EmailMessage()
    msg["Subject"] = t("alerts.email.subject", lang, title=title, areas=area_list)
    msg["From"] = sender
    msg["To"] = sub.address
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or None)
    msg["Content-Language"] = lang
    msg.set_content("\n".join(plain))
    msg.add_alternative(f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><body>{"".join(body)}</body></html>',
                        subtype="html")
    for item in attachments:
        maintype, _, subtype = item.mime.partition("/")
        msg.add_attachment(item.content, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename)
    return msg


def webhook_body(sub: Subscription, records: Sequence[DigestRecord], catalog: Catalog,
                 names: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The JSON a municipal system receives: structured items plus their sentence and link."""
    lang = sub.language
    return {
        "event": "kuntamittari.digest",
        "generated_at": datetime.now(UTC).isoformat(),
        "language": lang,
        "batch_ids": sorted({r.batch_id for r in records}),
        "items": [
            {"batch_id": r.batch_id, "area_code": r.area_code,
             "area_name": pick(dict(names.get(r.area_code, {"fi": r.area_code})), lang),
             "metric_id": r.metric_id, "theme": r.theme, "kind": r.kind, "period": r.period, "payload": r.payload,
             "text": item_sentence(r, catalog, lang), "url": metric_url(r.metric_id, r.area_code, lang)}
            for r in sorted(records, key=lambda r: (r.area_code, r.metric_id, r.kind, r.period))
        ],
    }
