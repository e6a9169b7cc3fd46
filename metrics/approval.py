"""The workshop approval that never publishes anything.

Who may approve is `accounts.approval.approval_right`. A workshop (`settings.workshop_mode`) lets
participants practise the whole life cycle: a participant without the reviewer role may *approve
in the workshop*. The draft gets a `workshop_approval` record (day, who) and stays
`status: draft`, so every surface that shows approved metrics only (dashboard default view,
public summary, reports, API) keeps it out without knowing about workshops at all. A reviewer's
approval (`metrics.authoring.approve_metric`) sets `status: approved` and removes the record. The
record lives in the metric file itself, so it travels with the metric through the history,
restores and any store.
"""

from __future__ import annotations

import datetime as dt
import logging

from metrics.authoring import AuthoringError, FormMessage, parse_yaml, render_yaml
from metrics.authoring_store import MetricStore, SaveResult
from metrics.model import AnyMetric, MetricStatus, WorkshopApproval

logger = logging.getLogger(__name__)

__all__ = ["awaits_reviewer", "workshop_approve"]


def awaits_reviewer(metric: AnyMetric) -> bool:
    """A draft approved in a workshop that a reviewer has not confirmed yet."""
    return metric.status is MetricStatus.DRAFT and metric.workshop_approval is not None


def workshop_approve(store: MetricStore, metric_id: str, expected_fingerprint: str, by: str | None,
                     today: dt.date | None = None) -> SaveResult:
    """Record a workshop approval on a draft; it stays a draft (nothing is published).

    Like a reviewer's approval it needs the Swedish and English texts (the same check), so the
    exercise teaches what a real approval asks for. Saved through the store: conflict-checked,
    kept in the history.
    """
    opened = store.open(metric_id)
    metric = parse_yaml(opened.text, metric_id)
    if metric.status is not MetricStatus.DRAFT:
        raise AuthoringError([FormMessage("error", "not_draft", "status", {}, "workshop.msg")])
    missing = [key for key, texts in (("name", metric.name), ("description", metric.description), ("unit", metric.unit))
               if not (texts.sv and texts.en)]
    if missing:
        raise AuthoringError([FormMessage("error", "approve_translations", key, {"languages": "sv, en"}) for key in missing])
    record = WorkshopApproval(date=today or dt.date.today(), by=by or None)
    updated = metric.model_copy(update={"workshop_approval": record})
    logger.info("metric %s approved in a workshop by %s", metric_id, by or "(sign-in off)")
    return store.save(metric_id, metric.theme.value, render_yaml(type(metric).model_validate(updated.model_dump())),
                      expected_fingerprint)
