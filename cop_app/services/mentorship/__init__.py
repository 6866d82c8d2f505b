"""Mentorship: mentor profiles, explainable matching, requests and the pairing's life
(a transition table), the pair's board with practice-linked goals, and the session log.

Write path (as in discussions): `check_x` loads and proves (`access_*`), validates and
commits; `do_x` writes the rows with an activity event, given clean values and a `now`
(seeds call it with past times), and the rooms that show the change hear of it on commit.
Privacy: only the pair and admins see a mentorship; everyone else gets NotFound.
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
    check_add_card,
    check_delete_card,
    check_edit_card,
    check_move_card,
    clean_card_input,
    do_add_card,
    do_delete_card,
    do_edit_card,
    do_move_card,
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
    announce_stage_changes,
    check_requirements,
    requirement_options,
    scan_requirements,
    taken_evidence,
)
from cop_app.services.mentorship.lifecycle import (
    check_add_reflection,
    check_complete,
    check_pause,
    check_request_mentorship,
    check_respond,
    check_resume,
    check_withdraw,
    do_add_reflection,
    do_request_mentorship,
    do_respond,
    do_transition,
)
from cop_app.services.mentorship.matching import score_mentor, suggest_mentors
from cop_app.services.mentorship.notes import (
    check_add_session_note,
    do_add_session_note,
    session_notes,
)
from cop_app.services.mentorship.profiles import (
    check_update_mentor_profile,
    do_update_mentor_profile,
    get_mentor_profile,
)
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
    "allowed_transitions",
    "announce_stage_changes",
    "board",
    "board_room",
    "board_snapshot",
    "check_add_card",
    "check_add_reflection",
    "check_add_session_note",
    "check_complete",
    "check_delete_card",
    "check_edit_card",
    "check_move_card",
    "check_pause",
    "check_request_mentorship",
    "check_requirements",
    "check_respond",
    "check_resume",
    "check_update_mentor_profile",
    "check_withdraw",
    "clean_card_input",
    "do_add_card",
    "do_add_reflection",
    "do_add_session_note",
    "do_delete_card",
    "do_edit_card",
    "do_move_card",
    "do_request_mentorship",
    "do_respond",
    "do_transition",
    "do_update_mentor_profile",
    "get_mentor_profile",
    "mentor_dashboard",
    "my_mentorships",
    "read_only_reason",
    "requirement_options",
    "scan_requirements",
    "score_mentor",
    "session_notes",
    "suggest_mentors",
    "taken_evidence",
]
