"""Who may approve a metric: the one rule, for every surface that offers an approval.

Approval decides what reaches the dashboard's default view and the public pages, so it needs a
reviewer who is really signed in: with sign-in off (`auth_mode = "none"`) every visitor counts
as an administrator for viewing, but nobody counts as a reviewer. A workshop
(`settings.workshop_mode`) lets anyone else who reaches the authoring page give a *workshop
approval*, which `metrics.approval` records on the draft without publishing it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from accounts.users import has_role

__all__ = ["ApprovalRight", "approval_right"]


class ApprovalRight(str, enum.Enum):
    """What the current user may do with a draft: nothing, a workshop approval, or approve."""

    NONE = "none"
    WORKSHOP = "workshop"
    REVIEWER = "reviewer"


def approval_right(source: str | None, roles: Iterable[str], *, workshop_mode: bool) -> ApprovalRight:
    """A reviewer signed in for real approves; in workshop mode anyone else who reaches the
    authoring page gives a workshop approval; otherwise nobody approves.

    `source` is how the user is known ('local', 'oidc'; 'none' when sign-in is off, None when
    nobody is signed in), `roles` the user's roles.
    """
    signed_in = source not in (None, "", "none")
    if signed_in and has_role(roles, "reviewer"):
        return ApprovalRight.REVIEWER
    if workshop_mode:
        return ApprovalRight.WORKSHOP
    return ApprovalRight.NONE
