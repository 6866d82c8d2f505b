"""communities.*: directory, creation and editing, joining, leaving, approval and roles."""

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cop_app.models import ActivityEvent, AuditEntry, Community, Membership, User
from cop_app.models.base import utcnow
from cop_app.services import communities, events, settings
from cop_app.services.communities import CommunityInput
from cop_app.services.errors import Forbidden, Invalid, NotFound
from cop_app.services.events import Change
from tests.worlds import counting

DOMAIN = "How research teams curate, share and reuse their data."


def form(**overrides: object) -> CommunityInput:
    values: dict[str, object] = {
        "name": "Data Stewards Network",
        "kind": "cop",
        "domain": DOMAIN,
        "description": "Monthly calls and a shared handbook.",
        "tags": "Data, Stewardship",
        "visibility": "open",
    }
    values.update(overrides)
    return communities.clean_input(**values)


def kinds(session: Session) -> list[str]:
    session.expire_all()
    return [e.kind for e in session.exec(select(ActivityEvent).order_by(ActivityEvent.id)).all()]


def audits(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


def fresh_community(engine: Engine, community_id: int) -> Community:
    """The committed state, read through another connection."""
    with Session(engine) as other:
        row = other.get(Community, community_id)
        assert row is not None
        other.expunge(row)
        return row


def fresh_membership(engine: Engine, community_id: int, user_id: int) -> Membership | None:
    with Session(engine) as other:
        row = other.exec(
            select(Membership).where(
                Membership.community_id == community_id, Membership.user_id == user_id
            )
        ).first()
        if row is not None:
            other.expunge(row)
        return row


def member_changes(changes: list[Change]) -> list[Change]:
    return [c for c in changes if c.kind == "community.members"]


# --- helpers and input ------------------------------------------------------------------------


def test_room_for_has_no_underscore() -> None:
    assert str(communities.room_for(12)) == "community-12"
    assert "_" not in str(communities.room_for(10**9))


def test_clean_input_trims_and_normalises() -> None:
    data = form(name="  Data Stewards  ", tags="Data, STEWARDSHIP data", domain=f"  {DOMAIN} ")
    assert data == CommunityInput(
        name="Data Stewards",
        kind="cop",
        domain=DOMAIN,
        description="Monthly calls and a shared handbook.",
        tags="data stewardship",
        visibility="open",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "ab"),
        ("name", "x" * 81),
        ("name", None),
        ("name", 123),
        ("kind", "club"),
        ("kind", None),
        ("kind", "COP"),
        ("domain", "too short"),
        ("domain", "d" * 501),
        ("domain", ["list"]),
        ("description", "d" * 5001),
        ("description", 5),
        ("tags", " ".join(f"t{i}" for i in range(9))),
        ("tags", "x" * 31),
        ("tags", 7),
        ("visibility", "secret"),
        ("visibility", True),
    ],
)
def test_clean_input_refuses_bad_fields(field: str, value: object) -> None:
    with pytest.raises(Invalid) as err:
        form(**{field: value})
    assert err.value.field == field


# --- create -----------------------------------------------------------------------------------


def test_members_cannot_create(session: Session, make_user, row_counts) -> None:
    member = make_user(session, role="member")
    before = row_counts(session)
    with pytest.raises(Forbidden) as err:
        communities.check_create_community(session, member, form())
    assert "mentors and admins" in err.value.message
    session.rollback()
    assert row_counts(session) == before


def test_nobody_and_suspended_mentors_cannot_create(session: Session, make_user) -> None:
    with pytest.raises(Forbidden):
        communities.check_create_community(session, None, form())
    suspended = make_user(session, role="mentor", suspended_until=utcnow() + timedelta(days=1))
    with pytest.raises(Forbidden):
        communities.check_create_community(session, suspended, form())
    assert session.exec(select(Community)).all() == []


@pytest.mark.parametrize("role", ["mentor", "admin"])
def test_mentor_or_admin_creates_and_stewards(
    engine: Engine, session: Session, make_user, changes, role: str
) -> None:
    creator = make_user(session, role=role)
    created = communities.check_create_community(session, creator, form(visibility="approval"))

    row = fresh_community(engine, created.id)
    assert (row.slug, row.name, row.kind, row.visibility) == (
        "data-stewards-network",
        "Data Stewards Network",
        "cop",
        "approval",
    )
    assert (row.tags, row.member_count, row.created_by) == ("data stewardship", 1, creator.id)
    membership = fresh_membership(engine, created.id, creator.id)
    assert (membership.role, membership.status) == ("steward", "active")
    assert kinds(session) == ["community.created"]
    event = session.exec(select(ActivityEvent)).one()
    assert (event.actor_id, event.community_id, event.target_id) == (
        creator.id,
        created.id,
        created.id,
    )
    assert Change("community.created", (), {"id": created.id}) in changes


def test_duplicate_name_is_refused_case_insensitively(
    session: Session, make_user, row_counts
) -> None:
    mentor = make_user(session, role="mentor")
    communities.check_create_community(session, mentor, form())
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        communities.check_create_community(session, mentor, form(name="data STEWARDS network"))
    assert err.value.field == "name"
    session.rollback()
    assert row_counts(session) == before


def test_slugs_stay_unique(session: Session, make_user) -> None:
    mentor = make_user(session, role="mentor")
    slugs = [
        communities.check_create_community(session, mentor, form(name=name)).slug
        for name in ("Data Science!", "Data Science?", "data-science", "¡¡¡", "Ωμέγα")
    ]
    assert slugs[:3] == ["data-science", "data-science-2", "data-science-3"]
    assert slugs[3] == "community"
    assert len(set(slugs)) == len(slugs)
    assert all(len(s) <= 60 for s in slugs)


def test_long_names_give_bounded_slugs(session: Session, make_user) -> None:
    mentor = make_user(session, role="mentor")
    first = communities.check_create_community(session, mentor, form(name="A" * 80))
    second = communities.check_create_community(session, mentor, form(name="A" * 79 + "!"))
    assert first.slug == "a" * 50
    assert second.slug == "a" * 50 + "-2"


# --- directory --------------------------------------------------------------------------------


def _directory_fixture(session: Session, make_user, make_community):
    me, other = make_user(session), make_user(session)
    python = make_community(session, other, "Python Guild", tags="python programming", members=[me])
    rlang = make_community(session, other, "R Users", kind="coi", tags="statistics r")
    pending = make_community(
        session,
        other,
        "Open Science Circle",
        visibility="approval",
        tags="open-science",
        pending=[me],
    )
    return me, python, rlang, pending


def test_directory_lists_everything_with_my_role(
    session: Session, make_user, make_community
) -> None:
    me, python, rlang, pending = _directory_fixture(session, make_user, make_community)
    cards = {c.id: c for c in communities.list_directory(session, me)}
    assert set(cards) == {python.id, rlang.id, pending.id}
    assert (cards[python.id].my_role, cards[python.id].my_status) == ("member", "active")
    assert (cards[pending.id].my_role, cards[pending.id].my_status) == ("", "pending")
    assert (cards[rlang.id].my_role, cards[rlang.id].my_status) == ("", "")
    assert cards[rlang.id].kind_label == "Community of Interest"
    assert cards[python.id].kind_label == "Community of Practice"
    assert cards[python.id].tags == ["python", "programming"]
    assert cards[python.id].member_count == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("python", {"Python Guild"}),
        ("GUILD", {"Python Guild"}),
        ("statistics", {"R Users"}),
        ("open-sci", {"Open Science Circle"}),
        ("  ", {"Python Guild", "R Users", "Open Science Circle"}),
        ("no such thing", set()),
    ],
)
def test_directory_search_by_name_and_tag(
    session: Session, make_user, make_community, query: str, expected: set[str]
) -> None:
    me, *_ = _directory_fixture(session, make_user, make_community)
    assert {c.name for c in communities.list_directory(session, me, query)} == expected


def test_directory_kind_filter_and_mine_only(session: Session, make_user, make_community) -> None:
    me, python, rlang, _pending = _directory_fixture(session, make_user, make_community)
    assert [c.id for c in communities.list_directory(session, me, kind="coi")] == [rlang.id]
    assert {c.id for c in communities.list_directory(session, me, kind="cop")} == {
        python.id,
        _pending.id,
    }
    mine = communities.list_directory(session, me, mine_only=True)
    assert [c.id for c in mine] == [python.id]  # a pending request is not "mine"


def test_directory_search_treats_wildcards_literally(
    session: Session, make_user, make_community
) -> None:
    """Expected behaviour; FAILS today: list_directory puts the query into LIKE unescaped,
    so "%" and "_" match every community instead of only names/tags containing them."""
    me, *_ = _directory_fixture(session, make_user, make_community)
    assert communities.list_directory(session, me, "%") == []
    assert communities.list_directory(session, me, "_") == []


def test_directory_search_with_a_nul_byte_is_not_a_crash(
    session: Session, make_user, make_community
) -> None:
    """Expected behaviour; FAILS today on PostgreSQL only: the NUL reaches the LIKE parameter
    and psycopg2 raises a bare ValueError instead of a DomainError or an empty result."""
    me, *_ = _directory_fixture(session, make_user, make_community)
    try:
        assert communities.list_directory(session, me, "py\x00thon") == []
    except Invalid as err:
        assert err.field == "query"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"kind": "club"}, "kind"), ({"query": "q" * 101}, "query"), ({"query": 5}, "query")],
)
def test_directory_refuses_bad_filters(
    session: Session, make_user, kwargs: dict, field: str
) -> None:
    with pytest.raises(Invalid) as err:
        communities.list_directory(session, make_user(session), **kwargs)
    assert err.value.field == field


def test_directory_requires_a_user(session: Session) -> None:
    with pytest.raises(Forbidden):
        communities.list_directory(session, None)


def test_directory_pages_most_active_first(session: Session, make_user) -> None:
    me = make_user(session)
    now = utcnow()
    total = settings.DIRECTORY_PAGE_SIZE + 2
    for i in range(total):
        session.add(
            Community(
                slug=f"c-{i:03d}",
                name=f"C {i:03d}",
                domain=DOMAIN,
                last_activity_at=now - timedelta(minutes=i),
            )
        )
    session.commit()

    first = communities.list_directory(session, me)
    second = communities.list_directory(session, me, page=1)
    assert len(first) == settings.DIRECTORY_PAGE_SIZE
    assert [c.slug for c in first[:3]] == ["c-000", "c-001", "c-002"]
    assert [c.slug for c in second] == [f"c-{i:03d}" for i in range(total - 2, total)]
    assert communities.list_directory(session, me, page=-5) == first
    assert communities.list_directory(session, me, page=99) == []


# --- one community ----------------------------------------------------------------------------


def test_get_by_slug(session: Session, make_user, make_community) -> None:
    steward, visitor = make_user(session), make_user(session)
    community = make_community(session, steward, "Python Guild", slug="python-guild")
    card = communities.get_by_slug(session, steward, "python-guild")
    assert (card.id, card.name, card.my_role, card.my_status) == (
        community.id,
        "Python Guild",
        "steward",
        "active",
    )
    assert communities.get_by_slug(session, visitor, "python-guild").my_role == ""


@pytest.mark.parametrize(
    "slug", ["nope", "", None, 5, ["python-guild"], "x" * 61, "python-guild' OR '1'='1"]
)
def test_get_by_slug_unknown_or_hostile(
    session: Session, make_user, make_community, slug: object
) -> None:
    user = make_user(session)
    make_community(session, user, slug="python-guild")
    with pytest.raises(NotFound):
        communities.get_by_slug(session, user, slug)


def test_get_by_slug_requires_a_user(session: Session, make_community) -> None:
    make_community(session, slug="python-guild")
    with pytest.raises(Forbidden):
        communities.get_by_slug(session, None, "python-guild")


def test_list_members_stewards_first_and_no_private_data(
    session: Session, make_user, make_community
) -> None:
    steward = make_user(session, display_name="Steward", email="steward@example.org")
    member = make_user(session, display_name="Member", organisation="Lab", expertise="a b c d e")
    waiting = make_user(session)
    community = make_community(session, members=[member], stewards=[steward], pending=[waiting])

    views = communities.list_members(session, member, community.id)
    assert [(v.user_id, v.role) for v in views] == [(steward.id, "steward"), (member.id, "member")]
    assert views[1].organisation == "Lab"
    assert views[1].expertise == ["a", "b", "c"]
    assert not hasattr(views[0], "email")
    assert "steward@example.org" not in repr(views)


def test_pending_requests_are_for_stewards_only(
    session: Session, make_user, make_community
) -> None:
    steward, member, outsider, waiting = (make_user(session) for _ in range(4))
    admin = make_user(session, role="admin")
    community = make_community(session, steward, members=[member], pending=[waiting])

    for viewer in (steward, admin):
        pending = communities.list_members(session, viewer, community.id, "pending")
        assert [v.user_id for v in pending] == [waiting.id]
    for viewer in (member, outsider, waiting):
        with pytest.raises(Forbidden):
            communities.list_members(session, viewer, community.id, "pending")
    # Anyone signed in sees the active members, never the pending ones.
    assert waiting.id not in [
        v.user_id for v in communities.list_members(session, outsider, community.id)
    ]


def test_list_members_unknown_community_or_nobody(
    session: Session, make_user, make_community
) -> None:
    community = make_community(session, make_user(session))
    with pytest.raises(NotFound):
        communities.list_members(session, make_user(session), community.id + 1000)
    with pytest.raises(Forbidden):
        communities.list_members(session, None, community.id)


def test_list_members_is_one_page(session: Session, make_user, make_community) -> None:
    people = [
        User(email=f"m{i}@example.org", display_name=f"M {i}", password_hash="-")
        for i in range(settings.MEMBERS_PAGE_SIZE + 3)
    ]
    session.add_all(people)
    session.commit()
    community = make_community(session, members=people)
    assert community.member_count == settings.MEMBERS_PAGE_SIZE + 3
    views = communities.list_members(session, people[0], community.id)
    assert len(views) == settings.MEMBERS_PAGE_SIZE


def test_member_views_and_member_count(session: Session, make_user, make_community) -> None:
    steward, member, waiting = make_user(session), make_user(session), make_user(session)
    community = make_community(session, steward, members=[member], pending=[waiting])
    assert [v.user_id for v in communities.member_views(session, community.id, "active")] == [
        steward.id,
        member.id,
    ]
    assert [v.user_id for v in communities.member_views(session, community.id, "pending")] == [
        waiting.id
    ]
    assert communities.member_count(session, community.id) == 2
    assert communities.member_count(session, community.id + 1000) == 0


# --- join / leave -----------------------------------------------------------------------------


def test_join_open_community(
    engine: Engine, session: Session, make_user, make_community, changes
) -> None:
    steward, joiner = make_user(session), make_user(session)
    community = make_community(session, steward)
    before = fresh_community(engine, community.id)
    seen_committed: list[bool] = []

    def check_committed(change: Change) -> None:
        if change.kind == "community.members":
            seen_committed.append(fresh_membership(engine, community.id, joiner.id) is not None)

    events.subscribe(check_committed)
    try:
        status = communities.check_join(session, joiner, community.id).my_status
    finally:
        events.unsubscribe(check_committed)

    assert status == "active"
    after = fresh_community(engine, community.id)
    assert after.member_count == before.member_count + 1 == 2
    assert after.last_activity_at >= before.last_activity_at
    membership = fresh_membership(engine, community.id, joiner.id)
    assert (membership.role, membership.status) == ("member", "active")
    assert member_changes(changes) == [
        Change("community.members", (communities.room_for(community.id),), {})
    ]
    assert seen_committed == [True]  # listeners hear of it only once it is committed
    assert kinds(session) == ["community.joined"]


def test_join_approval_community_waits(
    engine: Engine, session: Session, make_user, make_community, changes
) -> None:
    steward, joiner = make_user(session), make_user(session)
    community = make_community(session, steward, visibility="approval")

    assert communities.check_join(session, joiner, community.id).my_status == "pending"

    assert fresh_community(engine, community.id).member_count == 1
    membership = fresh_membership(engine, community.id, joiner.id)
    assert (membership.role, membership.status) == ("member", "pending")
    assert kinds(session) == ["community.join_requested"]
    assert len(member_changes(changes)) == 1


@pytest.mark.parametrize(
    ("visibility", "message"), [("open", "already a member"), ("approval", "waiting for a steward")]
)
def test_double_join_is_refused(
    engine: Engine,
    session: Session,
    make_user,
    make_community,
    row_counts,
    visibility: str,
    message: str,
) -> None:
    joiner = make_user(session)
    community = make_community(session, make_user(session), visibility=visibility)
    communities.check_join(session, joiner, community.id)
    before = row_counts(session)
    count = fresh_community(engine, community.id).member_count
    with pytest.raises(Invalid) as err:
        communities.check_join(session, joiner, community.id)
    assert message in err.value.message
    session.rollback()
    assert row_counts(session) == before
    assert fresh_community(engine, community.id).member_count == count


def test_join_unknown_community_or_nobody(session: Session, make_user, make_community) -> None:
    community = make_community(session, make_user(session))
    with pytest.raises(NotFound):
        communities.check_join(session, make_user(session), community.id + 1000)
    with pytest.raises(Forbidden):
        communities.check_join(session, None, community.id)


def test_leave(engine: Engine, session: Session, make_user, make_community, changes) -> None:
    steward, member = make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])
    assert community.member_count == 2

    communities.check_leave(session, member, community.id)

    assert fresh_membership(engine, community.id, member.id) is None
    assert fresh_community(engine, community.id).member_count == 1
    assert kinds(session) == ["community.left"]
    assert member_changes(changes) == [
        Change("community.members", (communities.room_for(community.id),), {})
    ]


def test_withdraw_a_pending_request(
    engine: Engine, session: Session, make_user, make_community
) -> None:
    waiting = make_user(session)
    community = make_community(
        session, make_user(session), visibility="approval", pending=[waiting]
    )
    communities.check_leave(session, waiting, community.id)
    assert fresh_membership(engine, community.id, waiting.id) is None
    assert fresh_community(engine, community.id).member_count == 1


def test_leave_without_membership(session: Session, make_user, make_community) -> None:
    community = make_community(session, make_user(session))
    with pytest.raises(Invalid) as err:
        communities.check_leave(session, make_user(session), community.id)
    assert "not a member" in err.value.message
    with pytest.raises(Forbidden):
        communities.check_leave(session, None, community.id)
    with pytest.raises(NotFound):
        communities.check_leave(session, make_user(session), community.id + 1000)


def test_last_steward_cannot_leave(
    engine: Engine, session: Session, make_user, make_community, row_counts
) -> None:
    steward, member = make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])
    before = row_counts(session)
    with pytest.raises(Invalid) as err:
        communities.check_leave(session, steward, community.id)
    assert "only steward" in err.value.message
    session.rollback()
    assert row_counts(session) == before
    assert fresh_membership(engine, community.id, steward.id).role == "steward"


def test_a_steward_may_leave_when_another_remains(
    engine: Engine, session: Session, make_user, make_community
) -> None:
    first, second = make_user(session), make_user(session)
    community = make_community(session, first, stewards=[second])
    communities.check_leave(session, first, community.id)
    assert fresh_membership(engine, community.id, first.id) is None
    assert fresh_community(engine, community.id).member_count == 1


# --- approval ---------------------------------------------------------------------------------


@pytest.mark.parametrize("decider", ["steward", "admin"])
def test_approve_a_request(
    engine: Engine, session: Session, make_user, make_community, changes, decider: str
) -> None:
    steward, waiting = make_user(session), make_user(session)
    admin = make_user(session, role="admin")
    community = make_community(session, steward, visibility="approval", pending=[waiting])
    actor = steward if decider == "steward" else admin

    communities.check_decide_request(session, actor, community.id, waiting.id, True)

    membership = fresh_membership(engine, community.id, waiting.id)
    assert (membership.role, membership.status) == ("member", "active")
    assert fresh_community(engine, community.id).member_count == 2
    assert kinds(session) == ["community.request_approved"]
    [entry] = audits(session)
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        actor.id,
        "membership.approved",
        "user",
        waiting.id,
    )
    assert (entry.before, entry.after) == ("pending", "active")
    assert len(member_changes(changes)) == 1


def test_decline_a_request(
    engine: Engine, session: Session, make_user, make_community, changes
) -> None:
    steward, waiting = make_user(session), make_user(session)
    community = make_community(session, steward, visibility="approval", pending=[waiting])

    communities.check_decide_request(session, steward, community.id, waiting.id, False)

    assert fresh_membership(engine, community.id, waiting.id) is None
    assert fresh_community(engine, community.id).member_count == 1
    assert kinds(session) == ["community.request_declined"]
    [entry] = audits(session)
    assert (entry.action, entry.before, entry.after) == (
        "membership.declined",
        "pending",
        "removed",
    )
    assert len(member_changes(changes)) == 1


def test_only_stewards_decide(
    engine: Engine, session: Session, make_user, make_community, row_counts
) -> None:
    steward, member, outsider, waiting = (make_user(session) for _ in range(4))
    community = make_community(
        session, steward, members=[member], visibility="approval", pending=[waiting]
    )
    before = row_counts(session)
    for actor in (member, outsider, waiting):
        with pytest.raises(Forbidden):
            communities.check_decide_request(session, actor, community.id, waiting.id, True)
    with pytest.raises(Forbidden):
        communities.check_decide_request(session, None, community.id, waiting.id, True)
    session.rollback()
    assert row_counts(session) == before
    assert fresh_membership(engine, community.id, waiting.id).status == "pending"


def test_decide_without_a_pending_request(session: Session, make_user, make_community) -> None:
    steward, member, stranger = make_user(session), make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])
    for target in (member.id, stranger.id, 999_999):
        with pytest.raises(NotFound):
            communities.check_decide_request(session, steward, community.id, target, True)
    assert audits(session) == []


# --- edit -------------------------------------------------------------------------------------


def test_steward_edits_with_an_audit_trail(
    engine: Engine, session: Session, make_user, make_community, changes
) -> None:
    steward = make_user(session)
    community = make_community(
        session, steward, "Python Guild", slug="python-guild", domain=DOMAIN, tags="python"
    )

    edited = communities.check_edit_community(
        session,
        steward,
        community.id,
        form(name="Pythonistas", domain=DOMAIN, description="", tags="python, web"),
    )

    row = fresh_community(engine, community.id)
    assert (row.name, row.tags, row.slug) == ("Pythonistas", "python web", "python-guild")
    assert edited.name == "Pythonistas"
    [entry] = audits(session)
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        steward.id,
        "community.edit",
        "community",
        community.id,
    )
    assert "Python Guild" in entry.before and "Pythonistas" in entry.after
    assert "'python'" in entry.before and "python web" in entry.after
    assert "Pythonistas" not in entry.before and "Python Guild" not in entry.after
    assert kinds(session) == ["community.edited"]
    assert Change("community.edited", (communities.room_for(community.id),), {}) in changes


def test_edit_without_changes_writes_nothing(
    session: Session, make_user, make_community, changes
) -> None:
    steward = make_user(session)
    community = make_community(
        session,
        steward,
        "Python Guild",
        domain=DOMAIN,
        description="Monthly calls and a shared handbook.",
        tags="data stewardship",
    )
    communities.check_edit_community(session, steward, community.id, form(name="Python Guild"))
    assert audits(session) == []
    assert kinds(session) == []
    assert changes == []


def test_admin_may_edit_and_may_change_only_the_case_of_the_name(
    session: Session, make_user, make_community
) -> None:
    admin = make_user(session, role="admin")
    community = make_community(session, make_user(session), "Python Guild")
    edited = communities.check_edit_community(
        session, admin, community.id, form(name="PYTHON guild")
    )
    assert edited.name == "PYTHON guild"
    assert audits(session)[0].actor_id == admin.id


def test_non_stewards_cannot_edit(session: Session, make_user, make_community, row_counts) -> None:
    member, outsider, mentor = (
        make_user(session),
        make_user(session),
        make_user(session, role="mentor"),
    )
    community = make_community(session, make_user(session), "Python Guild", members=[member])
    before = row_counts(session)
    for actor in (member, outsider, mentor, None):
        with pytest.raises(Forbidden):
            communities.check_edit_community(session, actor, community.id, form(name="Hijacked"))
    session.rollback()
    assert row_counts(session) == before
    assert session.get(Community, community.id).name == "Python Guild"


def test_edit_refuses_another_communitys_name(session: Session, make_user, make_community) -> None:
    steward = make_user(session)
    make_community(session, make_user(session), "R Users")
    community = make_community(session, steward, "Python Guild")
    with pytest.raises(Invalid) as err:
        communities.check_edit_community(session, steward, community.id, form(name="r users"))
    assert err.value.field == "name"
    session.rollback()
    assert session.get(Community, community.id).name == "Python Guild"
    assert audits(session) == []


def test_edit_unknown_community(session: Session, make_user) -> None:
    with pytest.raises(NotFound):
        communities.check_edit_community(session, make_user(session, role="admin"), 999_999, form())


# --- member roles -----------------------------------------------------------------------------


def test_steward_appoints_and_steps_down_stewards(
    engine: Engine, session: Session, make_user, make_community, changes
) -> None:
    steward, member = make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])

    communities.check_set_member_role(session, steward, community.id, member.id, "steward")
    assert fresh_membership(engine, community.id, member.id).role == "steward"
    communities.check_set_member_role(session, member, community.id, steward.id, "member")
    assert fresh_membership(engine, community.id, steward.id).role == "member"

    entries = audits(session)
    assert [(e.actor_id, e.action, e.target_id, e.before, e.after) for e in entries] == [
        (steward.id, "membership.role", member.id, "member", "steward"),
        (member.id, "membership.role", steward.id, "steward", "member"),
    ]
    assert kinds(session) == ["community.role_changed", "community.role_changed"]
    assert len(member_changes(changes)) == 2


def test_a_community_keeps_at_least_one_steward(
    engine: Engine, session: Session, make_user, make_community
) -> None:
    steward = make_user(session)
    community = make_community(session, steward, members=[make_user(session)])
    with pytest.raises(Invalid) as err:
        communities.check_set_member_role(session, steward, community.id, steward.id, "member")
    assert "at least one steward" in err.value.message
    session.rollback()
    assert fresh_membership(engine, community.id, steward.id).role == "steward"
    assert audits(session) == []


def test_setting_the_same_role_is_a_no_op(session: Session, make_user, make_community) -> None:
    steward, member = make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])
    communities.check_set_member_role(session, steward, community.id, member.id, "member")
    assert audits(session) == []
    assert kinds(session) == []


@pytest.mark.parametrize("role", ["owner", "admin", "", None, 1, ["steward"]])
def test_set_member_role_refuses_unknown_roles(
    session: Session, make_user, make_community, role: object
) -> None:
    steward, member = make_user(session), make_user(session)
    community = make_community(session, steward, members=[member])
    with pytest.raises(Invalid) as err:
        communities.check_set_member_role(session, steward, community.id, member.id, role)
    assert err.value.field == "role"


def test_set_member_role_needs_an_active_member(
    session: Session, make_user, make_community
) -> None:
    steward, waiting, stranger = make_user(session), make_user(session), make_user(session)
    community = make_community(session, steward, pending=[waiting])
    for target in (waiting.id, stranger.id):
        with pytest.raises(NotFound):
            communities.check_set_member_role(session, steward, community.id, target, "steward")


def test_only_stewards_set_roles(session: Session, make_user, make_community) -> None:
    steward, member, other = make_user(session), make_user(session), make_user(session)
    community = make_community(session, steward, members=[member, other])
    for actor in (member, make_user(session), None):
        with pytest.raises(Forbidden):
            communities.check_set_member_role(session, actor, community.id, other.id, "steward")
    assert audits(session) == []


def test_a_content_card_proves_inside_access_in_one_query(
    session: Session, engine: Engine, make_user, make_community
) -> None:
    steward, member, outsider = make_user(session), make_user(session), make_user(session)
    admin = make_user(session, role="admin")
    closed = make_community(session, steward, members=[member], visibility="approval")
    with counting(engine) as seen:
        card = communities.content_card(session, member, closed.slug)
    # the community and the member's row together (any other: the test's expired user row)
    assert [q for q in seen if "membership" in q or "community" in q] == seen[-1:]
    assert card == communities.get_by_slug(session, member, closed.slug)
    assert communities.content_card(session, admin, closed.slug).my_role == "steward"
    with pytest.raises(Forbidden, match="to see its discussions"):
        communities.content_card(session, outsider, closed.slug)
    for slug in ("no-such-community", "", 7, "x" * (settings.COMMUNITY_SLUG_MAX + 1)):
        with pytest.raises(NotFound):
            communities.content_card(session, member, slug)
    with pytest.raises(Forbidden):
        communities.content_card(session, None, closed.slug)
