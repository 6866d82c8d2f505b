"""access.*: who may touch what; missing, deactivated and suspended actors can do nothing."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from cop_app.models import Membership, User
from cop_app.models.base import utcnow
from cop_app.services import access
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change


def test_creator_roles() -> None:
    assert set(access.CREATOR_ROLES) == {"mentor", "admin"}


def test_require_user_refuses_nobody() -> None:
    with pytest.raises(Forbidden) as err:
        access.require_user(None)
    assert err.value.message == "Sign in to do this."
    with pytest.raises(Forbidden):
        access.require_user(User(email="x@example.org", display_name="Unsaved", password_hash="-"))


def test_require_user_accepts_an_active_user(session: Session, make_user) -> None:
    user = make_user(session)
    assert access.require_user(user) is user


def test_require_user_refuses_deactivated(session: Session, make_user) -> None:
    user = make_user(session, is_active=False)
    with pytest.raises(Forbidden) as err:
        access.require_user(user)
    assert "deactivated" in err.value.message


def test_require_user_refuses_suspended_until_the_suspension_ends(
    session: Session, make_user
) -> None:
    suspended = make_user(session, suspended_until=utcnow() + timedelta(days=1))
    with pytest.raises(Forbidden) as err:
        access.require_user(suspended)
    assert "suspended" in err.value.message

    served = make_user(session, suspended_until=utcnow() - timedelta(minutes=1))
    assert access.require_user(served) is served


@pytest.mark.parametrize("role", ["member", "mentor"])
def test_require_admin_refuses_other_roles(session: Session, make_user, role: str) -> None:
    with pytest.raises(Forbidden) as err:
        access.require_admin(make_user(session, role=role))
    assert err.value.message == "Only admins can do this."


def test_require_admin(session: Session, make_user) -> None:
    admin = make_user(session, role="admin")
    assert access.require_admin(admin) is admin
    with pytest.raises(Forbidden):
        access.require_admin(None)
    suspended_admin = make_user(
        session, role="admin", suspended_until=utcnow() + timedelta(hours=1)
    )
    with pytest.raises(Forbidden):
        access.require_admin(suspended_admin)


def test_membership_of(session: Session, make_user, make_community) -> None:
    steward, member, outsider = make_user(session), make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])
    found = access.membership_of(session, community.id, member.id)
    assert found is not None and (found.role, found.status) == ("member", "active")
    assert access.membership_of(session, community.id, steward.id).role == "steward"
    assert access.membership_of(session, community.id, outsider.id) is None
    assert access.membership_of(session, community.id + 1000, member.id) is None


def test_access_community(session: Session, make_user, make_community) -> None:
    user = make_user(session)
    community = make_community(session)
    assert access.access_community(session, user, community.id).id == community.id
    with pytest.raises(NotFound):
        access.access_community(session, user, community.id + 1000)
    with pytest.raises(Forbidden):
        access.access_community(session, None, community.id)


def test_access_community_as_steward(session: Session, make_user, make_community) -> None:
    steward, member, outsider = make_user(session), make_user(session), make_user(session)
    pending_steward = make_user(session)
    admin = make_user(session, role="admin")
    community = make_community(session, steward, members=[member])
    session.add(
        Membership(
            community_id=community.id, user_id=pending_steward.id, role="steward", status="pending"
        )
    )
    session.commit()

    found, actor = access.access_community_as_steward(session, steward, community.id)
    assert (found.id, actor.id) == (community.id, steward.id)
    found, actor = access.access_community_as_steward(session, admin, community.id)
    assert (found.id, actor.id) == (community.id, admin.id)  # admins steward everything
    for user in (member, outsider, pending_steward):
        with pytest.raises(Forbidden) as err:
            access.access_community_as_steward(session, user, community.id)
        assert err.value.message == "Only this community's stewards can do this."
    with pytest.raises(NotFound):
        access.access_community_as_steward(session, steward, community.id + 1000)
    with pytest.raises(Forbidden):
        access.access_community_as_steward(session, None, community.id)


def test_access_community_content(session: Session, make_user, make_community) -> None:
    steward, member, outsider = make_user(session), make_user(session), make_user(session)
    waiting, admin = make_user(session), make_user(session, role="admin")
    closed = make_community(
        session, steward, members=[member], pending=[waiting], visibility="approval"
    )
    open_one = make_community(session)
    for user in (steward, member, admin):
        assert access.access_community_content(session, user, closed.id).id == closed.id
    for user in (outsider, waiting):
        with pytest.raises(Forbidden) as err:
            access.access_community_content(session, user, closed.id)
        assert err.value.message == f"Join {closed.name} to see its discussions and members."
    assert access.access_community_content(session, outsider, open_one.id).id == open_one.id
    with pytest.raises(Forbidden):
        access.access_community_content(session, None, open_one.id)
    for bad in (closed.id + 1000, "x", None, True, -1):
        with pytest.raises((NotFound, Invalid)):
            access.access_community_content(session, member, bad)


def test_may_see_inside(session: Session, make_user, make_community) -> None:
    member, outsider = make_user(session), make_user(session)
    admin = make_user(session, role="admin")
    closed = make_community(session, members=[member], visibility="approval")
    mine = access.membership_of(session, closed.id, member.id)
    assert access.may_see_inside(closed, member, mine)
    assert not access.may_see_inside(closed, outsider, None)
    assert access.may_see_inside(closed, admin, None)
    mine.status = "pending"
    assert not access.may_see_inside(closed, member, mine)


def test_access_self(session: Session, make_user) -> None:
    me, other = make_user(session), make_user(session)
    assert access.access_self(me, me.id) is me
    for user_id in (other.id, str(me.id), None):
        with pytest.raises(NotFound):
            access.access_self(me, user_id)
    with pytest.raises(Forbidden):
        access.access_self(None, me.id)


def test_an_access_change_is_announced_after_commit_only(
    session: Session, make_user, changes
) -> None:
    user = make_user(session)
    access.announce_access_change(session, user.id, "You were signed out.")
    session.rollback()
    assert changes == []
    access.announce_access_change(session, user.id, "You were signed out.")
    session.commit()
    assert changes == [
        Change(access.ACCESS_CHANGED, (), {"user_id": user.id, "reason": "You were signed out."})
    ]
