"""Discussions: threads and replies, questions with accepted answers, reactions, mentions,
follows, read marks and the notifications they cause (through services/notifications.py).

Write path (Zulip's actions): each verb is a pair. `check_x(session, actor, ...)` loads and
proves access through the `access_*` helpers, applies the actor's limits (rate limits, the
draft's idempotency key) and validates, then calls `do_x(session, <rows>, <clean values>,
now=...)`, the one place that writes: rows and counters, the activity event, and the change
announced to the rooms on commit.

Commit rule: do_ functions never commit (they flush what they need ids for); the check_
function commits once, at the outer edge. Seeds and imports call do_ with past `now`s and
commit themselves. Reads never write or commit.

The package is split by reason to change (views, access, rooms, guards, common, threads,
posts, reactions, reads, lists); this module re-exports the public names, so callers use
`cop_app.services.discussions` as one module.
"""

from cop_app.services.discussions.access import (
    ThreadAccess,
    access_post,
    access_thread,
    require_member,
)
from cop_app.services.discussions.lists import (
    could_help,
    followed_unread,
    followed_unread_many,
    home_latest,
    latest_marks,
    latest_rows,
    list_threads,
    read_marks,
)
from cop_app.services.discussions.posts import (
    check_delete_post,
    check_edit_post,
    check_post_reply,
    do_delete_post,
    do_edit_post,
    do_post_reply,
    post_revisions,
)
from cop_app.services.discussions.reactions import (
    check_accept_answer,
    check_toggle_reaction,
    do_accept_answer,
    do_toggle_reaction,
    reactors,
)
from cop_app.services.discussions.reads import (
    accepted_post,
    get_thread,
    mention_candidates,
    open_thread,
    post_to_edit,
    post_views,
    quotable_text,
    read_posts,
    removed_text,
)
from cop_app.services.discussions.rooms import (
    announce_members,
    announce_thread,
    list_room,
    thread_room,
)
from cop_app.services.discussions.threads import (
    ThreadInput,
    check_create_thread,
    check_mark_read,
    check_moderate_thread,
    check_open_thread,
    check_read_more,
    check_set_following,
    clean_thread_input,
    do_create_thread,
    do_mark_read,
    do_moderate_thread,
    do_set_following,
)
from cop_app.services.discussions.views import (
    KINDS,
    REACTIONS,
    SORTS,
    PostView,
    ThreadRow,
    ThreadView,
)
from cop_app.services.notifications import (
    NotificationView,
    unread_and_latest,
    unread_and_latest_many,
    user_room,
)
from cop_app.services.notifications import bell as notifications
from cop_app.services.notifications import mark_all_read as mark_notifications_read

__all__ = [
    "KINDS",
    "REACTIONS",
    "SORTS",
    "NotificationView",
    "PostView",
    "ThreadAccess",
    "ThreadInput",
    "ThreadRow",
    "ThreadView",
    "accepted_post",
    "access_post",
    "access_thread",
    "announce_members",
    "announce_thread",
    "check_accept_answer",
    "check_create_thread",
    "check_delete_post",
    "check_edit_post",
    "check_mark_read",
    "check_moderate_thread",
    "check_open_thread",
    "check_post_reply",
    "check_read_more",
    "check_set_following",
    "check_toggle_reaction",
    "clean_thread_input",
    "could_help",
    "do_accept_answer",
    "do_create_thread",
    "do_delete_post",
    "do_edit_post",
    "do_mark_read",
    "do_moderate_thread",
    "do_post_reply",
    "do_set_following",
    "do_toggle_reaction",
    "followed_unread",
    "followed_unread_many",
    "get_thread",
    "home_latest",
    "latest_marks",
    "latest_rows",
    "list_room",
    "list_threads",
    "mark_notifications_read",
    "mention_candidates",
    "notifications",
    "open_thread",
    "post_revisions",
    "post_to_edit",
    "post_views",
    "quotable_text",
    "reactors",
    "read_marks",
    "read_posts",
    "removed_text",
    "require_member",
    "thread_room",
    "unread_and_latest",
    "unread_and_latest_many",
    "user_room",
]
