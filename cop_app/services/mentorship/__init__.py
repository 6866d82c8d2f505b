"""Mentorship: mentor profiles, explainable matching, requests and the pairing's life
(a transition table), the pair's board with practice-linked goals, and the session log.

Write path (as in discussions): `access_*` loads and proves, the verb validates and writes
one transaction with an activity event, and the rooms that show the change hear of it on
commit. Privacy: only the pair and admins see a mentorship; everyone else gets NotFound.
Activity summaries name people and the community, never goals, card titles or notes.

Board rules: cards change only while the mentorship is active. A paused board is read-only
for cards; its session log stays open (a pair records why they paused). Requested,
declined, withdrawn and completed boards are read-only archives.

Practice-linked goals: a card may carry a `requirement` from `REQUIREMENTS`. The
wiring (services/wiring.py) shows every recorded event to `check_requirements(session, event)`;
`scan_requirements` checks a board against what already happened (since the mentorship
started) when a card is added or the pair resumes. A met goal gets its evidence, moves
to done, records "board.goal_met" and tells the mentor. A new artifact kind (say
"publish_resource") is one more `REQUIREMENTS` entry; nothing else changes.

The package is split by reason to change (core vocabulary, views, access, profiles, matching,
lifecycle, goals, board, notes, reads); this module re-exports the public names, so callers
import `cop_app.services.mentorship` as one module.
"""

from cop_app.services.mentorship.access import (
    MentorshipAccess,
    access_board,
    access_card,
    access_mentorship,
    read_only_reason,
)
from cop_app.services.mentorship.board import (
    CardInput,
    add_card,
    clean_card_input,
    delete_card,
    edit_card,
    move_card,
)
from cop_app.services.mentorship.core import (
    COLUMN_LABELS,
    COLUMNS,
    HOLDING_STATES,
    OPEN_STATES,
    STATE_LABELS,
    STATES,
    TRANSITIONS,
    Transition,
    allowed_transitions,
    board_room,
)
from cop_app.services.mentorship.goals import (
    REQUIREMENTS,
    Evidence,
    Predicate,
    Requirement,
    check_requirements,
    requirement_options,
    scan_requirements,
    taken_evidence,
)
from cop_app.services.mentorship.lifecycle import (
    add_reflection,
    complete,
    pause,
    request_mentorship,
    respond,
    resume,
    withdraw,
)
from cop_app.services.mentorship.matching import score_mentor, suggest_mentors
from cop_app.services.mentorship.notes import add_session_note, session_notes
from cop_app.services.mentorship.profiles import get_mentor_profile, update_mentor_profile
from cop_app.services.mentorship.reads import (
    board,
    board_snapshot,
    mentor_dashboard,
    my_mentorships,
)
from cop_app.services.mentorship.views import (
    BoardView,
    CardView,
    MentorProfileView,
    MentorshipRow,
    MentorSuggestion,
    SessionNoteView,
)

__all__ = [
    "COLUMNS",
    "COLUMN_LABELS",
    "HOLDING_STATES",
    "OPEN_STATES",
    "REQUIREMENTS",
    "STATES",
    "STATE_LABELS",
    "TRANSITIONS",
    "BoardView",
    "CardInput",
    "CardView",
    "Evidence",
    "MentorProfileView",
    "MentorSuggestion",
    "MentorshipAccess",
    "MentorshipRow",
    "Predicate",
    "Requirement",
    "SessionNoteView",
    "Transition",
    "access_board",
    "access_card",
    "access_mentorship",
    "add_card",
    "add_reflection",
    "add_session_note",
    "allowed_transitions",
    "board",
    "board_room",
    "board_snapshot",
    "check_requirements",
    "clean_card_input",
    "complete",
    "delete_card",
    "edit_card",
    "get_mentor_profile",
    "mentor_dashboard",
    "move_card",
    "my_mentorships",
    "pause",
    "read_only_reason",
    "request_mentorship",
    "requirement_options",
    "respond",
    "resume",
    "scan_requirements",
    "score_mentor",
    "session_notes",
    "suggest_mentors",
    "taken_evidence",
    "update_mentor_profile",
    "withdraw",
]
