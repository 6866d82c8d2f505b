"""What mentorship reads hand to the states: small view dataclasses built for display."""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class MentorProfileView:
    """A mentor's offer as members see it."""

    user_id: int
    display_name: str
    organisation: str
    expertise: list[str]
    capacity: int
    availability: str
    accepting: bool
    community_ids: list[int]
    community_names: list[str]
    active_mentees: int
    places_free: int
    has_profile: bool = True


@dataclass
class MentorSuggestion:
    """One suggested mentor: every point of `score` is explained by one of `reasons`;
    `relevance` (the shared-expertise part of it) ranks first."""

    mentor_id: int
    display_name: str
    handle: str
    organisation: str
    expertise: list[str]
    availability: str
    capacity: int
    active_mentees: int
    places_free: int
    available: bool
    score: int
    reasons: list[str]
    relevance: int = 0
    shared_skills: list[str] = field(default_factory=list)


@dataclass
class MentorshipRow:
    """A line of a mentor's dashboard or of "my mentorships" (`role` is the viewer's side)."""

    id: int
    role: str
    mentor_id: int
    mentor_name: str
    mentee_id: int
    mentee_name: str
    other_name: str
    community_id: int
    community_name: str
    community_slug: str
    state: str
    state_label: str
    goals: str
    cards_done: int
    cards_total: int
    last_session_on: date | None
    last_activity_at: datetime
    needs_checkin: bool
    next_goal: str
    next_goal_card_id: int
    created_at: datetime


@dataclass
class CardView:
    """A card as the board shows it."""

    id: int
    title: str
    description: str
    column: str
    position: int
    due_date: date | None
    overdue: bool
    link: str
    link_title: str
    requirement: str
    requirement_label: str
    met: bool
    met_at: datetime | None
    evidence_text: str
    evidence_link: str
    link_thread_id: int = 0
    link_post_id: int = 0


@dataclass
class SessionNoteView:
    """One entry of the session log."""

    id: int
    author_id: int
    author_name: str
    date: date
    notes: str
    next_steps: str
    created_at: datetime


@dataclass
class BoardView:
    """A mentorship's page: the pair, its state, the three columns and the session log."""

    id: int
    state: str
    state_label: str
    my_role: str
    community_id: int
    community_name: str
    community_slug: str
    mentor_id: int
    mentor_name: str
    mentee_id: int
    mentee_name: str
    goals: str
    skills: list[str]
    welcome_message: str
    decline_reason: str
    reflection_mentor: str
    reflection_mentee: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    last_activity_at: datetime
    can_edit_cards: bool
    can_log_sessions: bool
    read_only_reason: str
    transitions: list[str]
    todo: list[CardView]
    doing: list[CardView]
    done: list[CardView]
    cards_total: int
    truncated: bool
    notes: list[SessionNoteView]
