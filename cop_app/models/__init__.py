"""SQLModel tables: the single source of truth for every screen and room."""

from cop_app.models.accounts import AuthSession, LoginAttempt, User
from cop_app.models.activity import ActivityEvent, AuditEntry
from cop_app.models.communities import Community, Membership
from cop_app.models.discussions import (
    FirstContribution,
    Notification,
    Post,
    PostRevision,
    Reaction,
    Thread,
    ThreadFollow,
    ThreadRead,
)
from cop_app.models.library import (
    Attachment,
    Endorsement,
    Resource,
    ResourceCredit,
    ResourceRevision,
    Reuse,
)
from cop_app.models.mentorship import (
    BoardCard,
    MentorCommunity,
    MentorProfile,
    Mentorship,
    SessionNote,
)
from cop_app.models.moderation import Flag
from cop_app.models.recovery import PasswordReset, ResetRequest
from cop_app.models.search import SearchDoc

__all__ = [
    "ActivityEvent",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "BoardCard",
    "Community",
    "Endorsement",
    "FirstContribution",
    "Flag",
    "LoginAttempt",
    "Membership",
    "MentorCommunity",
    "MentorProfile",
    "Mentorship",
    "Notification",
    "PasswordReset",
    "Post",
    "PostRevision",
    "Reaction",
    "ResetRequest",
    "Resource",
    "ResourceCredit",
    "ResourceRevision",
    "Reuse",
    "SearchDoc",
    "SessionNote",
    "Thread",
    "ThreadFollow",
    "ThreadRead",
    "User",
]
