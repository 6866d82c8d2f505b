"""Mentorship handlers: finding a mentor, answering requests, the mentor's dashboard and
one board (live through BoardRoom). Every handler resolves the caller; services re-check."""

from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app import routes
from cop_app.live import BoardRoom, link_room, on_signal, unlink_room
from cop_app.models import User
from cop_app.services import communities, mentorship, settings, stages
from cop_app.services.access import CREATOR_ROLES
from cop_app.services.communities import CommunityCard
from cop_app.services.errors import Invalid
from cop_app.services.mentorship import MentorProfileView, MentorshipRow, MentorSuggestion
from cop_app.services.stages import StageView
from cop_app.states import drafts
from cop_app.states.auth import current_user
from cop_app.states.base import Refused, call, error_toast, form_value, route_param, typed

_VERBS = {
    "pause": mentorship.check_pause,
    "resume": mentorship.check_resume,
    "complete": mentorship.check_complete,
}


def _my_page(
    session: Session, actor: User | None
) -> tuple[list[MentorshipRow], list[CommunityCard], bool, MentorProfileView | None]:
    """The page's lists, and whether the caller offers mentoring (the roles the service
    lets mentor) with their offer."""
    rows = mentorship.my_mentorships(session, actor)
    mine = communities.list_directory(session, actor, mine_only=True)
    mentors = actor is not None and actor.role in CREATOR_ROLES
    return rows, mine, mentors, mentorship.get_mentor_profile(session, actor) if mentors else None


def _board(
    session: Session, actor: User | None, board_id: str
) -> tuple[mentorship.BoardView, StageView | None, list[MentorshipRow]]:
    """The board, the mentee's stage, and for a mentor every mentee (one query) to switch
    boards in place."""
    view = mentorship.board(session, actor, board_id)
    stage = stages.stage_for(session, view.mentee_id, view.community_id)
    others = mentorship.mentor_dashboard(session, actor) if view.my_role == "mentor" else []
    return view, stage, [r for r in others if r.state in mentorship.HOLDING_STATES]


def _transition(
    session: Session, actor: User | None, verb: Any, board_id: int, reflection: Any
) -> None:
    if not isinstance(verb, str) or verb not in _VERBS:
        raise Invalid("Choose pause, resume or complete.")
    args = (reflection,) if verb == "complete" else ()
    _VERBS[verb](session, actor, board_id, *args)


class MentorshipState(rx.State):
    """The /mentorship page: my mentorships, requests to answer, finding a mentor."""

    as_mentee: list[MentorshipRow] = []
    as_mentor: list[MentorshipRow] = []
    my_communities: list[dict[str, str]] = []
    community_id: str = ""
    goals: str = ""
    skills: str = ""
    suggestions: list[MentorSuggestion] = []
    searched: bool = False
    errors: dict[str, str] = {}
    profile: MentorProfileView | None = None
    is_mentor: bool = False
    declining_id: int = 0
    offer_ids: list[str] = []

    async def _reload(self) -> None:
        page = await call(self, _my_page)
        if isinstance(page, Refused):
            self.as_mentee, self.as_mentor = [], []
            return
        rows, mine, self.is_mentor, self.profile = page
        self.as_mentee = [r for r in rows if r.role == "mentee"]
        self.as_mentor = [r for r in rows if r.role == "mentor"]
        self.my_communities = [{"id": str(c.id), "name": c.name} for c in mine]
        self.offer_ids = [str(i) for i in self.profile.community_ids] if self.profile else []
        if not self.community_id and self.my_communities:
            self.community_id = self.my_communities[0]["id"]

    @rx.event
    async def load(self) -> None:
        """Open the page."""
        self.errors, self.suggestions, self.searched = {}, [], False
        await self._reload()

    @rx.event
    async def mentorships_changed(self, mentorship_id: Any) -> None:
        """Signal: a request came or was answered, or a mentorship moved on; an open
        mentorship page re-reads its lists (what is being typed stays)."""
        if (self.router.url.path or "").rstrip("/") == routes.MENTORSHIP:
            await self._reload()

    @rx.event
    def set_community(self, value: Any) -> None:
        """Which community the mentee wants to grow in."""
        if isinstance(value, str) and value in {c["id"] for c in self.my_communities}:
            self.community_id = value

    @rx.event
    def set_goals(self, value: Any) -> None:
        """Goals in the mentee's own words."""
        self.goals = typed(value, settings.MENTORSHIP_GOALS_MAX)

    @rx.event
    def set_skills(self, value: Any) -> None:
        """Skills wanted, as tags."""
        self.skills = typed(value, settings.TAGS_INPUT_MAX)

    @rx.event
    async def find_mentors(self) -> Any:
        """Suggested mentors, ranked, with the reasons for each score."""
        found = await call(
            self, mentorship.suggest_mentors, self.community_id or 0, self.skills, errors="errors"
        )
        if not isinstance(found, Refused):
            self.suggestions, self.searched = found, True

    @rx.event
    async def request(self, mentor_id: Any) -> Any:
        """Ask one mentor; they are notified at once."""
        sent = await call(
            self,
            mentorship.check_request_mentorship,
            mentor_id,
            self.community_id or 0,
            self.goals,
            self.skills,
            errors="errors",
        )
        if isinstance(sent, Refused):
            return sent.toast
        await self._reload()
        self.suggestions, self.searched = [], False
        return rx.toast.success("Request sent. You will be notified of the answer.")

    @rx.event
    async def respond(self, mentorship_id: Any, accept: Any, message: Any = "") -> Any:
        """The mentor accepts (with a welcome) or declines (with a reason)."""
        answered = await call(self, mentorship.check_respond, mentorship_id, accept, message)
        if isinstance(answered, Refused):
            return answered.toast
        await self._reload()
        return rx.toast.success("Answer sent.")

    @rx.event
    def set_declining(self, mentorship_id: Any) -> None:
        """Which request the decline form answers."""
        self.declining_id = mentorship_id if isinstance(mentorship_id, int) else 0

    @rx.event
    async def decline(self, form_data: Any) -> Any:
        """Decline the chosen request with a reason the mentee will read."""
        return await self.respond(self.declining_id, False, form_value(form_data, "reason"))

    @rx.event
    async def withdraw(self, mentorship_id: Any) -> Any:
        """The mentee withdraws a request that is still waiting."""
        withdrawn = await call(self, mentorship.check_withdraw, mentorship_id)
        if isinstance(withdrawn, Refused):
            return withdrawn.toast
        await self._reload()
        return rx.toast.info("Request withdrawn.")

    @rx.event
    def toggle_offer(self, community_id: Any, on: Any) -> None:
        """Tick or untick a community the mentor offers mentoring in."""
        if not isinstance(community_id, str) or not isinstance(on, bool):
            return
        if community_id not in {c["id"] for c in self.my_communities}:
            return
        rest = [i for i in self.offer_ids if i != community_id]
        self.offer_ids = [*rest, community_id] if on else rest

    @rx.event
    async def save_profile(self, form_data: Any) -> Any:
        """A mentor's offer: capacity, availability, accepting, communities."""
        profile = await call(
            self,
            mentorship.check_update_mentor_profile,
            form_value(form_data, "capacity"),
            form_value(form_data, "availability"),
            form_value(form_data, "accepting") in ("on", True, "true"),
            [int(i) for i in self.offer_ids],
            errors="errors",
            field="profile",
        )
        if isinstance(profile, Refused):
            return None
        self.profile = profile
        return rx.toast.success("Mentor profile saved.")


def _drop_index(room: BoardRoom, card_id: int, column: Any, position: Any) -> Any:
    """Dropping before the card at `position` of the card's own column, further down, lands
    one place higher once the card has left its old place; anything else passes unchanged."""
    if not isinstance(column, str) or isinstance(position, bool) or not isinstance(position, int):
        return position
    cards = getattr(room, column) if column in mentorship.COLUMNS else []
    here = next((c for c in cards if c.id == card_id), None)
    return position - 1 if here is not None and here.position < position else position


class BoardState(rx.State):
    """One reader of one board: what they may do; the cards and notes are the room's."""

    found: bool = False
    missing: str = ""
    mentorship_id: int = 0
    my_role: str = ""
    other_name: str = ""
    community_name: str = ""
    community_slug: str = ""
    goals: str = ""
    mentee_id: int = 0
    stage: StageView | None = None
    other_boards: list[MentorshipRow] = []
    new_title: str = ""
    new_requirement: str = ""
    new_due: str = ""
    editing_id: int = 0
    dragging_id: int = 0
    edit_title: str = ""
    edit_text: str = ""
    errors: dict[str, str] = {}
    requirement_options: list[dict[str, str]] = []

    async def _load(self) -> None:
        found = await call(self, _board, route_param(self, "id"))
        if isinstance(found, Refused):
            self.found, self.missing = False, found.error.message
            unlink_room(self, BoardRoom)
            return
        view, stage, others = found
        await link_room(self, mentorship.board_room(view.id))  # first: it may be busy
        self.found, self.missing, self.other_boards = True, "", others
        self.mentorship_id, self.my_role = view.id, view.my_role
        self.other_name = view.mentee_name if view.my_role == "mentor" else view.mentor_name
        self.community_name, self.community_slug = view.community_name, view.community_slug
        self.goals, self.mentee_id, self.stage = view.goals, view.mentee_id, stage
        self.requirement_options = mentorship.requirement_options()

    @rx.event
    async def load(self) -> None:
        """on_load of /mentorship/boards/[id]: only the pair and admins get in."""
        self.errors, self.editing_id, self.dragging_id = {}, 0, 0
        await self._load()
        kept = await drafts.restore(self, await current_user(self), self._draft_scope())
        self.new_title = kept.get("title") if self.found else ""

    def _draft_scope(self) -> str:
        return f"card:{self.mentorship_id}"

    @rx.event
    async def set_new_title(self, value: Any) -> None:
        """The new card's title as typed (kept in this browser until the card is added)."""
        self.new_title = typed(value, settings.BOARD_CARD_TITLE_MAX)
        await drafts.keep(self, await current_user(self), self._draft_scope(), title=self.new_title)

    @rx.event
    def set_new_requirement(self, value: Any) -> None:
        """An optional practice requirement that completes the card on its own."""
        keys = {o["value"] for o in self.requirement_options}
        self.new_requirement = value if isinstance(value, str) and value in keys else ""

    @rx.event
    def set_new_due(self, value: Any) -> None:
        """An optional due date (YYYY-MM-DD)."""
        self.new_due = value[: settings.DATE_INPUT_MAX] if isinstance(value, str) else ""

    @rx.event
    async def add_card(self) -> Any:
        """Add a goal card to To do."""
        actor = await current_user(self)
        scope = self._draft_scope()
        key = await drafts.keep(self, actor, scope, title=self.new_title)
        fields = (
            self.new_title,
            "",
            self.new_due or None,
            None,
            None,
            self.new_requirement or None,
        )
        added = await call(
            self,
            lambda session, user: mentorship.check_add_card(
                session,
                user,
                self.mentorship_id,
                mentorship.clean_card_input(*fields),
                client_key=key or None,
            ),
            actor=actor,
            errors="errors",
            field="card",
        )
        if isinstance(added, Refused):
            return None
        await drafts.clear(self, actor, scope)
        self.new_title, self.new_requirement, self.new_due = "", "", ""
        return None

    @rx.event
    async def move(self, card_id: Any, column: Any, position: Any) -> Any:
        """Move a card to a column and position (buttons work by keyboard)."""
        moved = await call(self, mentorship.check_move_card, card_id, column, position)
        return moved.toast if isinstance(moved, Refused) else None

    @rx.event
    def drag_start(self, card_id: Any) -> None:
        """Remember which card this tab is dragging; the drop is checked like any move."""
        if isinstance(card_id, int) and not isinstance(card_id, bool) and 0 < card_id <= 2**62:
            self.dragging_id = card_id

    @rx.event
    def drag_end(self) -> None:
        """A drag ended (dropped or cancelled): forget the card so no stale drop can move it."""
        self.dragging_id = 0

    @rx.event
    async def drop(self, column: Any, position: Any) -> Any:
        """Drop the dragged card before the card at `position` of `column` (or at its end);
        the same service path as `move`, so the same checks."""
        card_id, self.dragging_id = self.dragging_id, 0
        room = await self.get_state(BoardRoom)
        index = _drop_index(room, card_id, column, position)
        moved = await call(self, mentorship.check_move_card, card_id, column, index)
        return moved.toast if isinstance(moved, Refused) else None

    @rx.event
    async def start_edit(self, card_id: Any) -> Any:
        """Open a card's editor."""
        room = await self.get_state(BoardRoom)
        for card in [*room.todo, *room.doing, *room.done]:
            if card.id == card_id:
                self.editing_id = card.id
                self.edit_title, self.edit_text = card.title, card.description
                return None
        return error_toast(Invalid("That card is not on this board."))

    @rx.event
    def set_edit_title(self, value: Any) -> None:
        """Title in the card editor."""
        self.edit_title = typed(value, settings.BOARD_CARD_TITLE_MAX)

    @rx.event
    def set_edit_text(self, value: Any) -> None:
        """Description in the card editor."""
        self.edit_text = typed(value, settings.BOARD_CARD_DESCRIPTION_MAX)

    @rx.event
    def cancel_edit(self) -> None:
        """Close the card editor."""
        self.editing_id = 0

    @rx.event
    async def save_edit(self) -> Any:
        """Save the card being edited (its other fields stay as they are)."""
        room = await self.get_state(BoardRoom)
        card = next(
            (c for c in [*room.todo, *room.doing, *room.done] if c.id == self.editing_id), None
        )
        if card is None:
            return error_toast(Invalid("That card is not on this board."))
        fields = (
            self.edit_title,
            self.edit_text,
            card.due_date.isoformat() if card.due_date else None,
            card.link_thread_id or None,
            card.link_post_id or None,
            card.requirement or None,
        )
        saved = await call(
            self,
            lambda session, user: mentorship.check_edit_card(
                session, user, card.id, mentorship.clean_card_input(*fields)
            ),
            errors="errors",
            field="edit",
            one_field=True,
        )
        if isinstance(saved, Refused):
            return None
        self.editing_id = 0
        return None

    @rx.event
    async def delete_card(self, card_id: Any) -> Any:
        deleted = await call(self, mentorship.check_delete_card, card_id)
        return deleted.toast if isinstance(deleted, Refused) else None

    @rx.event
    async def add_note(self, form_data: Any) -> Any:
        """Log a session: date, notes, agreed next steps."""
        logged = await call(
            self,
            mentorship.check_add_session_note,
            self.mentorship_id,
            form_value(form_data, "date"),
            form_value(form_data, "notes"),
            form_value(form_data, "next_steps"),
            errors="errors",
            field="note",
        )
        if isinstance(logged, Refused):
            return None
        return rx.toast.success("Session logged.")

    @rx.event
    async def complete(self, form_data: Any) -> Any:
        """Complete the mentorship with a short reflection."""
        return await self.transition("complete", form_data)

    @rx.event
    async def transition(self, verb: Any, form_data: Any = None) -> Any:
        """Pause, resume or complete (with a short reflection) the mentorship."""
        reflection = form_value(form_data, "reflection")
        done = await call(
            self,
            _transition,
            verb,
            self.mentorship_id,
            reflection,
            errors="errors",
            field="transition",
        )
        if isinstance(done, Refused):
            return done.toast
        return rx.toast.success("Mentorship updated.")


on_signal("mentorship", MentorshipState.mentorships_changed)
