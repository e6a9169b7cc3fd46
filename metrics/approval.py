"""Who may approve a metric, and the workshop approval that never publishes anything.

Approval decides what reaches the dashboard's default view and the public pages, so it needs a
reviewer who is really signed in: with sign-in off (`auth_mode = "none"`) every visitor counts
as an administrator for viewing, but nobody counts as a reviewer.

A workshop (`settings.workshop_mode`) lets participants practise the whole life cycle. There a
participant without the reviewer role may *approve in the workshop*: the draft gets a
`workshop_approval` record (day, who) and stays `status: draft`, so every surface that shows
approved metrics only (dashboard default view, public summary, reports, API) keeps it out
without knowing about workshops at all. A reviewer's approval (`metrics.authoring.approve_metric`)
sets `status: approved` and removes the record. The record lives in the metric file itself, so
it travels with the metric through the history, restores and any store.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterable

from accounts.users import has_role
from metrics.authoring import AuthoringError, FormMessage, parse_yaml, render_yaml
from metrics.authoring_store import MetricStore, SaveResult
from metrics.model import AnyMetric, MetricStatus, WorkshopApproval

logger = logging.getLogger(__name__)

__all__ = ["ApprovalRight", "approval_right", "awaits_reviewer", "workshop_approve"]


class ApprovalRight(str, enum.Enum):
    """What the current user may do with a draft: nothing, a workshop approval, or approve."""

    NONE = "none"
    WORKSHOP = "workshop"
    REVIEWER = "reviewer"


def approval_right(source: str | None, roles: Iterable[str], *, workshop_mode: bool) -> ApprovalRight:
    """The one rule: a reviewer signed in for real approves; in workshop mode anyone else who
    reaches the authoring page gives a workshop approval; otherwise nobody approves.

    `source` is how the user is known ('local', 'oidc'; 'none' when sign-in is off, None when
    nobody is signed in), `roles` the user's roles.
    """
    signed_in = source not in (None, "", "none")
    if signed_in and has_role(roles, "reviewer"):
        return ApprovalRight.REVIEWER
    if workshop_mode:
        return ApprovalRight.WORKSHOP
    return ApprovalRight.NONE


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
