"""The authoring page's review block: who may approve (`accounts.approval`) and the buttons.

A reviewer signed in for real approves (or confirms a workshop approval); in workshop mode anyone
else on the page gives a workshop approval that leaves the metric a draft; otherwise the block
says why nobody here can approve (with sign-in off: how to turn on workshop mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from accounts.approval import ApprovalRight, approval_right
from kuntamittari.i18n import t
from kuntamittari.settings import get_settings
from metrics.approval import awaits_reviewer, workshop_approve
from metrics.authoring import AuthoringError, OpenedMetric, approve_metric, parse_yaml
from metrics.authoring_store import HistoryEntry, SaveResult, StoreError
from metrics.model import MetricStatus
from readout.formatting import format_date, format_datetime
from readout.text import escape_markdown

Done = Callable[[SaveResult, str, bool], None]  # (saved, message, approved for real)


def right_of(user: Any) -> ApprovalRight:
    """The one rule applied to the page's user (None when nobody is signed in)."""
    source = getattr(user, "source", None) if user is not None else None
    roles = getattr(user, "roles", ()) if user is not None else ()
    return approval_right(source, roles, workshop_mode=get_settings().workshop_mode)


def review_block(store: Any, opened: OpenedMetric, user: Any, lang: str, done: Done) -> None:
    """The review state of the opened metric and what this user may do with it."""
    st.header(t("authoring.approve_heading", lang))
    metric = parse_yaml(opened.text, opened.metric_id)
    waiting = awaits_reviewer(metric)
    if waiting and metric.workshop_approval is not None:
        record = metric.workshop_approval
        by = t("workshop.mode.by", lang, by=record.by) if record.by else ""
        st.info(t("workshop.mode.awaiting", lang, date=format_date(record.date, lang), by=by))
    right = right_of(user)
    if right is ApprovalRight.NONE:
        signin_off = get_settings().auth_mode == "none"
        st.caption(t("workshop.mode.signin_off", lang) if signin_off else t("authoring.approve_role", lang))
    elif right is ApprovalRight.WORKSHOP:
        if metric.status is MetricStatus.DRAFT and not waiting:
            _button(store, opened, user, lang, done, workshop=True)
    else:
        _button(store, opened, user, lang, done, workshop=False, confirm=waiting)


def _button(store: Any, opened: OpenedMetric, user: Any, lang: str, done: Done, *, workshop: bool,
            confirm: bool = False) -> None:
    """A reviewer's approval (publishes), or a workshop approval (recorded on the draft only)."""
    label = t("workshop.mode.approve_button", lang) if workshop else (
        t("workshop.mode.confirm_button", lang) if confirm else t("authoring.approve_button", lang))
    if not st.button(label, key="au_workshop_approve" if workshop else "au_approve"):
        return
    by = getattr(user, "email", "") or ""
    try:
        if workshop:
            saved = workshop_approve(store, opened.metric_id, opened.fingerprint, by)
        else:
            saved = approve_metric(store, opened.metric_id, opened.fingerprint, by)
    except AuthoringError as exc:
        for message in exc.messages:
            st.error(escape_markdown(message.render(lang)), icon=":material/error:")  # quotes the file: never markup
        return
    except StoreError as exc:
        st.error(t(exc.key, lang, **exc.params))
        return
    message = (t("workshop.mode.approved", lang, metric_id=saved.metric_id) if workshop
               else t("authoring.approved", lang, metric_id=saved.metric_id))
    done(saved, message, not workshop)


def history_label(entry: HistoryEntry, lang: str) -> str:
    """'3 · 1.12.2026 klo 10.22 · alice@…' (who and when, where the store knows them; the time in
    the reader's format, as every page writes it)."""
    if entry.kind == "conflict":
        name = t("authoring.history_conflict", lang, version=entry.version)
    elif entry.kind == "shipped":
        name = t("catalogue.history_shipped", lang, version=entry.version)
    else:
        name = entry.version
    if not entry.author:  # the files store keeps the time in the version name itself
        return name
    return f"{name} · {format_datetime(entry.saved_at, lang)} · {entry.author}"
