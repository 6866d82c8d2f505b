"""What readers see of discussions: the vocabularies and the view dataclasses the states
put into their vars (never whole rows)."""

from dataclasses import dataclass, field
from datetime import datetime

KINDS = ("discussion", "question")
SORTS = ("latest", "newest", "top", "unanswered")
REACTIONS = ("helpful", "insightful", "thanks")


@dataclass
class ThreadRow:
    """A line in a thread list."""

    id: int
    community_slug: str
    community_name: str
    title: str
    kind: str
    author_name: str
    tags: list[str]
    post_count: int
    reply_count: int
    reaction_count: int
    answered: bool
    pinned: bool
    locked: bool
    last_activity_at: datetime
    unread: int = 0


@dataclass
class PostView:
    """One post as readers see it; removed posts keep their place without their text."""

    id: int
    number: int
    author_id: int
    author_name: str
    author_handle: str
    body_html: str
    created_at: datetime
    edited: bool
    removed: bool
    hidden: bool
    parent_number: int
    helpful: int
    insightful: int
    thanks: int
    mine: bool = False
    reacted: list[str] = field(default_factory=list)
    accepted: bool = False
    removed_label: str = ""  # who took a removed post away, in words


@dataclass
class ThreadView:
    """A thread's header and what the reader may do with it."""

    id: int
    community_id: int
    community_slug: str
    community_name: str
    title: str
    kind: str
    tags: list[str]
    author_id: int
    author_name: str
    post_count: int
    accepted_post_id: int
    pinned: bool
    locked: bool
    created_at: datetime
    following: bool = False
    can_reply: bool = False
    can_moderate: bool = False
    can_accept: bool = False
    is_member: bool = False
