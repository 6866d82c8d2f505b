"""Services announce when what a person may see changes (live.py then drops the rooms their
open tabs lost): sign-out, a new password, suspension, a site role, a steward role, leaving
an approval-only community. Nothing is announced when nothing changed."""

import pytest
from sqlmodel import Session

from cop_app.services import accounts, communities, feed, moderation, users
from cop_app.services.access import ACCESS_CHANGED
from cop_app.services.errors import Forbidden
from cop_app.services.events import Change


def _access_changes(changes: list[Change]) -> list[tuple[int, str]]:
    return [(c.data["user_id"], c.data["reason"]) for c in changes if c.kind == ACCESS_CHANGED]


def test_sign_out_announces_the_sessions_owner_once(
    session: Session, make_user, changes, default_password: str
) -> None:
    user = make_user(session)
    token = accounts.check_sign_in(session, user.email, default_password, "tests").token
    accounts.check_sign_out(session, token)
    accounts.check_sign_out(session, token)  # already revoked: nothing more to tell
    accounts.check_sign_out(session, "not-a-session-token-at-all")
    assert _access_changes(changes) == [(user.id, "You were signed out.")]
    assert accounts.user_for_token(session, token) is None


def test_a_new_password_announces_the_other_sessions_end(
    session: Session, make_user, changes, default_password: str
) -> None:
    user = make_user(session)
    accounts.check_change_password(
        session, user, default_password, "a fresh long passphrase 42", "k"
    )
    assert _access_changes(changes) == [
        (user.id, "You were signed out because your password was changed.")
    ]


def test_suspension_announces_the_suspended(session: Session, make_user, changes) -> None:
    admin, member = make_user(session, role="admin"), make_user(session)
    moderation.check_suspend(session, admin, member.id, "Spam links")
    assert _access_changes(changes) == [(member.id, "Your account was suspended.")]


def test_a_role_change_announces_the_person_only_when_it_changes(
    session: Session, make_user, changes
) -> None:
    admin, other = make_user(session, role="admin"), make_user(session, role="admin")
    users.check_set_role(session, admin, other.id, "admin")
    users.check_set_role(session, admin, other.id, "member")
    assert _access_changes(changes) == [(other.id, "Your site role changed to member.")]


def test_leaving_announces_only_an_approval_only_community(
    session: Session, make_user, make_community, changes
) -> None:
    member, waiting = make_user(session), make_user(session)
    closed = make_community(
        session, make_user(session), members=[member], pending=[waiting], visibility="approval"
    )
    open_one = make_community(session, make_user(session), members=[member])
    communities.check_leave(session, member, open_one.id)
    communities.check_leave(session, waiting, closed.id)  # a request withdrawn: it saw nothing
    assert _access_changes(changes) == []
    communities.check_leave(session, member, closed.id)
    assert _access_changes(changes) == [
        (member.id, f"You are no longer a member of {closed.name}.")
    ]


def test_a_steward_stepped_down_is_announced(
    session: Session, make_user, make_community, changes
) -> None:
    first, second = make_user(session), make_user(session)
    community = make_community(session, first, members=[second])
    communities.check_set_member_role(session, first, community.id, second.id, "steward")
    assert _access_changes(changes) == []
    communities.check_set_member_role(session, second, community.id, first.id, "member")
    assert _access_changes(changes) == [
        (first.id, f"You are no longer a steward of {community.name}.")
    ]


def test_access_feed_room(session: Session, make_user, make_community) -> None:
    admin, steward, member = (
        make_user(session, role="admin"),
        make_user(session),
        make_user(session),
    )
    make_community(session, steward, members=[member])
    assert feed.access_feed_room(session, admin) == 0
    assert feed.access_feed_room(session, steward) == steward.id
    for user in (member, None):
        with pytest.raises(Forbidden):
            feed.access_feed_room(session, user)


def test_an_approval_only_member_list_is_for_members(
    session: Session, make_user, make_community
) -> None:
    member, outsider = make_user(session), make_user(session)
    closed = make_community(session, make_user(session), members=[member], visibility="approval")
    names = [m.display_name for m in communities.list_members(session, member, closed.id)]
    assert member.display_name in names
    with pytest.raises(Forbidden):
        communities.list_members(session, outsider, closed.id)
