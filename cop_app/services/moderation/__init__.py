"""Moderation: flags, the queue, hide/restore, and suspensions — every action audited.

Content kinds register a `Target` adapter, so a later kind (library resources) is flagged,
queued, hidden and restored by this same code.
"""

from cop_app.services.moderation.flags import (
    QueueItem,
    check_flag,
    check_review,
    do_flag,
    do_review,
    has_flag_standing,
    open_flag_count,
    queue,
)
from cop_app.services.moderation.suspensions import (
    INDEFINITE,
    check_reactivate,
    check_suspend,
    do_reactivate,
    do_suspend,
    is_suspended,
)
from cop_app.services.moderation.targets import (
    REVIEW_VERBS,
    TARGETS,
    Target,
    TargetInfo,
    stewarded_ids,
)

__all__ = [
    "INDEFINITE",
    "REVIEW_VERBS",
    "TARGETS",
    "QueueItem",
    "Target",
    "TargetInfo",
    "check_flag",
    "check_reactivate",
    "check_review",
    "check_suspend",
    "do_flag",
    "do_reactivate",
    "do_review",
    "do_suspend",
    "has_flag_standing",
    "is_suspended",
    "open_flag_count",
    "queue",
    "stewarded_ids",
]
