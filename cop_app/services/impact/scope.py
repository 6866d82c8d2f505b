"""Who may see which figures: the one access helper of the impact dashboard.

A view is "all" (admins: every community), one community (admins, or its active stewards)
or "mentees" (a mentor: the mentorship section for their own mentees only). A dashboard
room's id carries the view and the period, so the room check is this same helper.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from cop_app.models import Community, MentorProfile, Mentorship, User
from cop_app.services.access import require_user
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.impact import period as periods
from cop_app.services.moderation import stewarded_ids

ALL = "all"
MENTEES = "mentees"
_SHIFT = 100_000  # days since 1970 stay below this until the year 2243


@dataclass(frozen=True)
class Scope:
    """What one view covers: `community_ids` None is every community; `mentor_id` set means
    only that mentor's pairs (and only the mentorship section)."""

    view: str  # "all", "c<id>" or "mentees"
    community_ids: tuple[int, ...] | None
    mentor_id: int = 0

    @property
    def mentor_only(self) -> bool:
        """A mentor's view: the mentorship section alone."""
        return self.mentor_id > 0


def is_mentor(session: Session, user: User) -> bool:
    """Mentors (by role, or with a mentor offer, or with a pair) see their mentees' section."""
    if user.role in ("mentor", "admin"):
        return True
    offer = session.exec(select(MentorProfile.id).where(MentorProfile.user_id == user.id))
    if offer.first() is not None:
        return True
    pair = session.exec(select(Mentorship.id).where(Mentorship.mentor_id == user.id))
    return pair.first() is not None


def options(session: Session, actor: User | None) -> list[dict[str, str]]:
    """The views this person may pick, in order; Forbidden when there is none."""
    user = require_user(actor)
    scope = stewarded_ids(session, user)
    rows: list[dict[str, str]] = []
    if scope is None:
        rows.append({"id": ALL, "name": "All communities"})
    query = select(Community.id, Community.name).order_by(Community.name, Community.id)
    if scope is not None:
        query = query.where(col(Community.id).in_(scope or [-1]))
    rows += [{"id": f"c{i}", "name": n} for i, n in session.exec(query).all()]
    if is_mentor(session, user):
        rows.append({"id": MENTEES, "name": "My mentees"})
    if not rows:
        raise Forbidden("The impact dashboard is for admins, stewards and mentors.")
    return rows


def access_view(session: Session, actor: User | None, view: object) -> Scope:
    """Prove the actor may see this view and return its scope (the one access helper)."""
    user = require_user(actor)
    if not isinstance(view, str) or not view:
        raise Invalid("Choose what to show.", "view")
    if view == MENTEES:
        if not is_mentor(session, user):
            raise Forbidden("The mentorship figures are for mentors, about their own mentees.")
        return Scope(MENTEES, None, user.id or 0)
    scope = stewarded_ids(session, user)
    if view == ALL:
        if scope is not None:
            raise Forbidden("Only admins see every community's figures.")
        return Scope(ALL, None)
    if not (view.startswith("c") and view[1:].isdigit()):
        raise Invalid("Choose what to show.", "view")
    cid = int(view[1:])
    if scope is not None and cid not in scope:
        raise Forbidden("Stewards see the figures of the communities they steward only.")
    if session.get(Community, cid) is None:
        raise NotFound("That community does not exist.")
    return Scope(view, (cid,))


def room_ident(scope: Scope, period: periods.Period | int) -> int:
    """The id of the dashboard room showing this scope over this period: the view code
    (0 every community, 2*id one community, 2*mentor+1 a mentor's pairs) and the period."""
    a, b = periods.encode(period)
    if scope.mentor_only:
        code = scope.mentor_id * 2 + 1
    elif scope.community_ids is None:
        code = 0
    else:
        code = scope.community_ids[0] * 2
    return (code * _SHIFT + a) * _SHIFT + b


def decode_ident(ident: int) -> tuple[str, int, int, int]:
    """(view, mentor id, a, b) of a room id (see `room_ident`)."""
    rest, b = divmod(ident, _SHIFT)
    code, a = divmod(rest, _SHIFT)
    if code == 0:
        return ALL, 0, a, b
    if code % 2:
        return MENTEES, code // 2, a, b
    return f"c{code // 2}", 0, a, b


def access_room(
    session: Session, actor: User | None, ident: int, now: datetime
) -> tuple[Scope, periods.Period]:
    """The scope and period of a room the actor may watch; Forbidden otherwise (a mentor's
    room belongs to that mentor alone)."""
    view, mentor_id, a, b = decode_ident(ident)
    scope = access_view(session, actor, view)
    if scope.mentor_only and scope.mentor_id != mentor_id:
        raise Forbidden("These mentorship figures are another mentor's.")
    return scope, periods.decode(a, b, now)


def scope_of_room(ident: int) -> Scope:
    """The scope a room id names, for re-reading a room whose access was checked on link."""
    view, mentor_id, _, _ = decode_ident(ident)
    if view == ALL:
        return Scope(ALL, None)
    if view == MENTEES:
        return Scope(MENTEES, None, mentor_id)
    return Scope(view, (int(view[1:]),))
