"""A steward removes a member: stewards only, never a steward or themselves; the member is
told, their open tabs are told (approval-only communities), and it is audited."""

from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from cop_app.models import AuditEntry, Community, Membership, Notification, User
from cop_app.services import communities
from cop_app.services.access import ACCESS_CHANGED
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change


@pytest.fixture
def world(
    session: Session,
    make_user: Callable[..., User],
    make_community: Callable[..., Community],
) -> tuple[Community, User, User, User]:
    steward, member, other = (make_user(session) for _ in range(3))
    community = make_community(
        session,
        steward,
        "Theatre Practice",
        visibility="approval",
        members=[member, other],
    )
    return community, steward, member, other


def _is_member(session: Session, community: Community, user: User) -> bool:
    session.expire_all()
    return (
        session.exec(
            select(Membership).where(
                Membership.community_id == community.id, Membership.user_id == user.id
            )
        ).first()
        is not None
    )


def test_a_steward_removes_a_member_who_is_told_and_loses_access(
    session: Session, world: tuple[Community, User, User, User], changes: list[Change]
) -> None:
    community, steward, member, _ = world
    before = community.member_count
    communities.check_remove_member(session, steward, community.id, member.id)
    assert not _is_member(session, community, member)
    assert session.get(Community, community.id).member_count == before - 1
    ended = [c.data for c in changes if c.kind == ACCESS_CHANGED]
    assert ended == [
        {"user_id": member.id, "reason": "You are no longer a member of Theatre Practice."}
    ]
    note = session.exec(select(Notification).where(Notification.user_id == member.id)).one()
    assert note.text.endswith("removed you from Theatre Practice")
    assert note.link == f"/c/{community.slug}"
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "membership.removed")).one()
    assert (audit.actor_id, audit.target_id) == (steward.id, member.id)


def test_members_cannot_remove_and_stewards_are_stepped_down_first(
    session: Session,
    world: tuple[Community, User, User, User],
    row_counts: Callable[[Session], dict[str, int]],
) -> None:
    community, steward, member, other = world
    before = row_counts(session)
    with pytest.raises(Forbidden):
        communities.check_remove_member(session, member, community.id, other.id)
    with pytest.raises(Invalid, match="use Leave"):
        communities.check_remove_member(session, steward, community.id, steward.id)
    communities.check_set_member_role(session, steward, community.id, member.id, "steward")
    before = row_counts(session)
    with pytest.raises(Invalid, match="Step this steward down"):
        communities.check_remove_member(session, steward, community.id, member.id)
    with pytest.raises(NotFound):
        communities.check_remove_member(session, steward, community.id, 987654)
    assert row_counts(session) == before
    assert _is_member(session, community, member) and _is_member(session, community, other)
