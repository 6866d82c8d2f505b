"""Mentorship: mentor profiles and the communities they mentor in, mentorships (a request
that becomes a pairing), the pair's board of cards, and their session log."""

from datetime import date, datetime

from sqlmodel import Field, Index, SQLModel, UniqueConstraint

from cop_app.models.base import utcnow


class MentorProfile(SQLModel, table=True):
    """A mentor's offer: how many mentees at once, when they are free, whether they take
    new requests. Expertise stays on User.expertise; communities are MentorCommunity rows."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    capacity: int = Field(default=3)
    availability: str = Field(default="", max_length=300)
    accepting: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MentorCommunity(SQLModel, table=True):
    """A community a mentor offers to mentor in (matching ranks these mentors higher)."""

    __table_args__ = (UniqueConstraint("mentor_id", "community_id", name="uq_mentor_community"),)

    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int = Field(foreign_key="user.id")
    community_id: int = Field(foreign_key="community.id", index=True)


class Mentorship(SQLModel, table=True):
    """A mentee's request to a mentor in one community, and the pairing it becomes.

    state: requested -> active | declined | withdrawn; active <-> paused; active | paused ->
    completed. `last_activity_at` moves with every card change and session note."""

    __table_args__ = (
        Index("ix_mentorship_mentor_state", "mentor_id", "state"),
        Index("ix_mentorship_mentee_state", "mentee_id", "state"),
        Index("ix_mentorship_community_state", "community_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mentor_id: int = Field(foreign_key="user.id")
    mentee_id: int = Field(foreign_key="user.id")
    community_id: int = Field(foreign_key="community.id")
    goals: str = Field(max_length=2000)
    skills: str = Field(default="", max_length=300)
    state: str = Field(default="requested", max_length=12)
    decline_reason: str = Field(default="", max_length=500)
    welcome_message: str = Field(default="", max_length=1000)
    reflection_mentor: str = Field(default="", max_length=1000)
    reflection_mentee: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = Field(default=None)
    ended_at: datetime | None = Field(default=None)
    last_activity_at: datetime = Field(default_factory=utcnow)


class BoardCard(SQLModel, table=True):
    """One card on a mentorship board. A `requirement` card is a practice-linked goal: it
    is met (evidence filled in, moved to done) when the mentee does the thing in the
    community; `evidence_type`/`evidence_id` name the artifact (a thread or a post)."""

    __table_args__ = (
        Index("ix_boardcard_board_column", "mentorship_id", "column", "position"),
        UniqueConstraint("created_by", "client_key", name="uq_boardcard_creator_client_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mentorship_id: int = Field(foreign_key="mentorship.id")
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=2000)
    column: str = Field(default="todo", max_length=8)
    position: int = Field(default=0)
    due_date: date | None = Field(default=None)
    link_thread_id: int | None = Field(default=None, foreign_key="thread.id")
    link_post_id: int | None = Field(default=None, foreign_key="post.id")
    requirement: str | None = Field(default=None, max_length=30)
    evidence_text: str = Field(default="", max_length=300)
    evidence_link: str = Field(default="", max_length=300)
    evidence_type: str = Field(default="", max_length=20)
    evidence_id: int | None = Field(default=None)
    met_at: datetime | None = Field(default=None)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    # The idempotency key of the new-card draft: adding it again returns this card.
    client_key: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SessionNote(SQLModel, table=True):
    """What a mentoring session covered and what comes next; both of the pair see it."""

    __table_args__ = (Index("ix_sessionnote_mentorship_date", "mentorship_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    mentorship_id: int = Field(foreign_key="mentorship.id")
    author_id: int = Field(foreign_key="user.id")
    date: date
    notes: str = Field(max_length=5000)
    next_steps: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
