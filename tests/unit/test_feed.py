"""feed.*: the activity history (paged, filtered, scoped to what the reader moderates), the
numbers beside the feed, the filter options, the admin-only audit log, and the live room's
window (capped, and one query however long the history)."""

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from cop_app.models import ActivityEvent, AuditEntry, AuthSession, Community, Flag, User
from cop_app.models.base import utcnow
from cop_app.services import feed, settings
from cop_app.services.errors import Forbidden, Invalid
from tests.worlds import FeedWorld as World

_tokens = itertools.count(1)


@pytest.fixture
def w(feed_world: World) -> World:
    """This module's world: `tests.worlds.feed_world`."""
    return feed_world


def add_event(
    w: World,
    kind: str,
    actor: User | None,
    community: Community | None = None,
    *,
    target_type: str = "",
    target_id: int | None = None,
    age: timedelta = timedelta(0),
    commit: bool = True,
) -> ActivityEvent:
    row = ActivityEvent(
        kind=kind,
        actor_id=actor.id if actor else None,
        community_id=community.id if community else None,
        target_type=target_type,
        target_id=target_id,
        summary=f"{kind} by {actor.display_name if actor else 'nobody'}",
        created_at=utcnow() - age,
    )
    w.session.add(row)
    if commit:
        w.session.commit()
        w.session.refresh(row)
    return row


def bulk_events(w: World, n: int, community: Community | None = None) -> None:
    w.session.add_all(
        ActivityEvent(
            kind="post.created",
            actor_id=w.member.id,
            community_id=community.id if community else None,
            summary=f"reply {i}",
        )
        for i in range(n)
    )
    w.session.commit()


def all_ids(w: World, community: Community | None = None) -> list[int]:
    stmt = select(ActivityEvent.id).order_by(col(ActivityEvent.id).desc())
    if community is not None:
        stmt = stmt.where(ActivityEvent.community_id == community.id)
    return list(w.session.exec(stmt).all())


@pytest.fixture
def mixed(w: World) -> dict[str, ActivityEvent]:
    """One event of each interesting shape."""
    return {
        "thread": add_event(
            w, "thread.created", w.member, w.guild, target_type="thread", target_id=7
        ),
        "post": add_event(w, "post.created", w.steward, w.guild, target_type="post", target_id=9),
        "joined": add_event(
            w, "community.joined", w.other, w.circle, target_type="community", target_id=2
        ),
        "signin": add_event(
            w, "user.signed_in", w.member, target_type="user", target_id=w.member.id
        ),
        "flagged": add_event(w, "moderation.flagged", w.member, w.guild),
        "auto": add_event(w, "moderation.auto_hidden", None, w.guild),
        "library": add_event(w, "resource.added", w.other, w.circle),
        "atlas": add_event(w, "community.edited", w.admin, w.atlas),
    }


# --- history ----------------------------------------------------------------------------------


def test_history_pages_newest_first_with_before_id(w: World) -> None:
    bulk_events(w, 120, w.guild)
    expected = all_ids(w)
    size = settings.ACTIVITY_PAGE_SIZE
    page1 = feed.history(w.session, w.admin)
    assert [e.id for e in page1] == expected[:size]
    page2 = feed.history(w.session, w.admin, before_id=page1[-1].id)
    assert [e.id for e in page2] == expected[size : 2 * size]
    page3 = feed.history(w.session, w.admin, before_id=str(page2[-1].id))
    assert [e.id for e in page3] == expected[2 * size :]
    assert feed.history(w.session, w.admin, before_id=page3[-1].id) == []
    for nothing in (0, "0", "", None):
        assert [e.id for e in feed.history(w.session, w.admin, before_id=nothing)] == [
            e.id for e in page1
        ]


def test_history_views_are_readable(w: World, mixed: dict[str, ActivityEvent]) -> None:
    views = {v.id: v for v in feed.history(w.session, w.admin)}
    thread = views[mixed["thread"].id]
    assert (thread.kind, thread.group, thread.actor_id, thread.actor_name) == (
        "thread.created",
        "discussion",
        w.member.id,
        "Hannah Kowalski",
    )
    assert (thread.community_id, thread.community_name) == (w.guild.id, "Engineering Craft Guild")
    assert thread.link == "/c/engineering-craft/t/7"
    assert thread.summary == "thread.created by Hannah Kowalski"
    assert thread.created_at is not None
    auto = views[mixed["auto"].id]
    assert (auto.actor_id, auto.actor_name, auto.group) == (0, "System", "moderation")
    signin = views[mixed["signin"].id]
    assert (signin.community_id, signin.community_name, signin.link) == (
        0,
        "",
        f"/u/{w.member.id}",
    )
    assert views[mixed["joined"].id].link == "/c/surgical-technique-exchange"
    assert views[mixed["library"].id].group == "library"


def test_history_filters_by_community_group_and_person(
    w: World, mixed: dict[str, ActivityEvent]
) -> None:
    def ids(**filters: Any) -> set[int]:
        return {v.id for v in feed.history(w.session, w.admin, **filters)}

    m = {k: v.id for k, v in mixed.items()}
    assert ids() == set(m.values())
    assert ids(community_id=w.guild.id) == {m["thread"], m["post"], m["flagged"], m["auto"]}
    assert ids(community_id=str(w.circle.id)) == {m["joined"], m["library"]}
    assert ids(group="discussion") == {m["thread"], m["post"]}
    assert ids(group="moderation") == {m["flagged"], m["auto"]}
    assert ids(group="account") == {m["signin"]}
    assert ids(group="library") == {m["library"]}
    assert ids(group="mentorship") == set()
    assert ids(person_id=w.member.id) == {m["thread"], m["signin"], m["flagged"]}
    assert ids(person_id=str(w.other.id)) == {m["joined"], m["library"]}
    assert ids(community_id=w.guild.id, group="discussion", person_id=w.member.id) == {m["thread"]}
    assert ids(community_id=0, group="", person_id="0") == set(m.values())
    assert ids(community_id=987_654) == set()


@pytest.mark.parametrize(
    "filters",
    [
        {"group": "bogus"},
        {"group": 3},
        {"community_id": "abc"},
        {"community_id": -4},
        {"person_id": [1]},
        {"before_id": "x"},
        {"before_id": True},
    ],
)
def test_history_refuses_bad_filters(w: World, filters: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        feed.history(w.session, w.admin, **filters)


def test_history_group_filter_agrees_with_group_of(w: World) -> None:
    """Older pages filtered by a group show the same kinds the live list shows for it."""
    known = add_event(w, "community.joined", w.member, w.guild)
    unknown = add_event(w, "survey.answered", w.member, w.guild)  # a kind added later
    assert feed.group_of(unknown.kind) == "community"
    got = {v.id for v in feed.history(w.session, w.admin, group="community")}
    assert got == {known.id, unknown.id}


def test_history_for_stewards_is_their_communities_only(
    w: World, mixed: dict[str, ActivityEvent]
) -> None:
    m = {k: v.id for k, v in mixed.items()}
    mine = {v.id for v in feed.history(w.session, w.steward)}
    assert mine == {m["thread"], m["post"], m["flagged"], m["auto"]}  # no site-wide events
    theirs = {v.id for v in feed.history(w.session, w.other_steward)}
    assert theirs == {m["joined"], m["library"]}
    # Filtering by a community outside the scope shows nothing, not that community.
    assert feed.history(w.session, w.steward, community_id=w.circle.id) == []
    assert feed.history(w.session, w.steward, person_id=w.other.id) == []


def test_history_is_refused_to_members_and_visitors(
    w: World, mixed: dict[str, ActivityEvent]
) -> None:
    for actor in (w.member, w.other, None):
        with pytest.raises(Forbidden):
            feed.history(w.session, actor)
    w.admin.suspended_until = utcnow() + timedelta(days=1)
    w.session.add(w.admin)
    w.session.commit()
    with pytest.raises(Forbidden):
        feed.history(w.session, w.admin)


@pytest.mark.parametrize(
    ("kind", "group"),
    [
        ("user.signed_in", "account"),
        ("user.role_changed", "account"),
        ("community.joined", "community"),
        ("thread.created", "discussion"),
        ("post.reacted", "discussion"),
        ("moderation.suspended", "moderation"),
        ("library.resource_added", "library"),
        ("resource.added", "library"),
        ("mentorship.matched", "mentorship"),
        ("board.posted", "mentorship"),
        ("survey.answered", "community"),
        ("nodot", "community"),
        ("", "community"),
    ],
)
def test_group_of(kind: str, group: str) -> None:
    assert feed.group_of(kind) == group
    assert feed.group_of(kind) in feed.GROUPS


# --- summary ----------------------------------------------------------------------------------


def add_session(w: World, user: User, seen_ago: timedelta, revoked: bool = False) -> None:
    now = utcnow()
    w.session.add(
        AuthSession(
            token_hash=f"{next(_tokens):064d}",
            user_id=user.id,
            created_at=now - timedelta(days=1),
            last_seen_at=now - seen_ago,
            expires_at=now + timedelta(days=13),
            revoked_at=now if revoked else None,
        )
    )


def add_flag(w: World, community: Community, status: str = "open") -> None:
    w.session.add(
        Flag(
            target_type="post",
            target_id=next(_tokens),
            community_id=community.id,
            author_id=w.member.id,
            reporter_id=w.other.id,
            reason="spam",
            status=status,
        )
    )


def test_summary_numbers(w: World) -> None:
    add_event(w, "thread.created", w.member, w.guild, age=timedelta(minutes=5))
    add_event(w, "post.created", w.member, w.guild, age=timedelta(minutes=59))
    add_event(w, "post.created", w.member, w.guild, age=timedelta(hours=2))  # too old
    add_event(w, "community.joined", w.other, w.circle, age=timedelta(minutes=1))
    add_event(w, "user.signed_in", w.member)
    add_session(w, w.member, timedelta(seconds=10))
    add_session(w, w.member, timedelta(minutes=1))  # the same person twice counts once
    add_session(w, w.other, timedelta(minutes=4))
    add_session(w, w.steward, timedelta(minutes=6))  # outside the window
    add_session(w, w.admin, timedelta(seconds=5), revoked=True)  # signed out
    add_flag(w, w.guild)
    add_flag(w, w.guild)
    add_flag(w, w.guild, "dismissed")
    add_flag(w, w.guild, "actioned")
    add_flag(w, w.circle)
    w.session.commit()
    assert settings.ACTIVE_NOW_WINDOW == timedelta(minutes=5)

    everything = feed.summary(w.session, None)
    assert (everything.events_last_hour, everything.active_now, everything.open_flags) == (4, 2, 3)
    guild = feed.summary(w.session, [w.guild.id])
    assert (guild.events_last_hour, guild.open_flags) == (2, 2)
    both = feed.summary(w.session, [w.guild.id, w.circle.id])
    assert (both.events_last_hour, both.open_flags) == (3, 3)
    nothing = feed.summary(w.session, [])
    assert (nothing.events_last_hour, nothing.open_flags) == (0, 0)


def test_scope_for_room(w: World) -> None:
    assert feed.scope_for_room(w.session, 0) is None
    assert feed.scope_for_room(w.session, w.steward.id) == [w.guild.id]  # the pending row: no
    assert feed.scope_for_room(w.session, w.other_steward.id) == [w.circle.id]
    assert feed.scope_for_room(w.session, w.admin.id) is None
    assert feed.scope_for_room(w.session, w.member.id) == []
    assert feed.scope_for_room(w.session, 987_654) == []


# --- filter options ---------------------------------------------------------------------------


def test_filter_options_for_admins(w: World, mixed: dict[str, ActivityEvent]) -> None:
    options = feed.filter_options(w.session, w.admin)
    assert options["communities"] == [
        {"id": str(w.atlas.id), "name": "Atlas Of Maps"},
        {"id": str(w.guild.id), "name": "Engineering Craft Guild"},
        {"id": str(w.circle.id), "name": "Surgical Technique Exchange"},
    ]
    assert options["people"] == [
        {"id": str(w.admin.id), "name": "Amara Okafor"},
        {"id": str(w.member.id), "name": "Hannah Kowalski"},
        {"id": str(w.other.id), "name": "Priya Natarajan"},
        {"id": str(w.steward.id), "name": "Ravi Iyer"},
    ]


def test_filter_options_for_stewards_are_scoped(w: World, mixed: dict[str, ActivityEvent]) -> None:
    options = feed.filter_options(w.session, w.steward)
    assert options["communities"] == [{"id": str(w.guild.id), "name": "Engineering Craft Guild"}]
    # People who acted in the guild only (Priya acted in the circle, Amara in the atlas).
    assert options["people"] == [
        {"id": str(w.member.id), "name": "Hannah Kowalski"},
        {"id": str(w.steward.id), "name": "Ravi Iyer"},
    ]
    for actor in (w.member, None):
        with pytest.raises(Forbidden):
            feed.filter_options(w.session, actor)


# --- audit log --------------------------------------------------------------------------------


def add_audits(w: World, n: int) -> list[AuditEntry]:
    actions = ("user.suspend", "content.hide", "user.role", "community.edit")
    rows = [
        AuditEntry(
            actor_id=w.admin.id if i % 2 else w.steward.id,
            action=actions[i % len(actions)],
            target_type="user" if actions[i % len(actions)].startswith("user") else "thread",
            target_id=None if i == 0 else i,
            reason=f"reason {i}",
            before="before",
            after="after",
        )
        for i in range(n)
    ]
    w.session.add_all(rows)
    w.session.commit()
    return rows


def test_audit_log_newest_first_and_paged(w: World) -> None:
    add_audits(w, 60)
    ids = list(w.session.exec(select(AuditEntry.id).order_by(col(AuditEntry.id).desc())).all())
    size = settings.AUDIT_PAGE_SIZE
    page1 = feed.audit_log(w.session, w.admin)
    assert [a.id for a in page1] == ids[:size]
    page2 = feed.audit_log(w.session, w.admin, before_id=page1[-1].id)
    assert [a.id for a in page2] == ids[size:]
    assert feed.audit_log(w.session, w.admin, before_id=page2[-1].id) == []
    first = page2[-1]  # the oldest entry: no target id
    assert (first.actor_name, first.action, first.target, first.reason) == (
        "Ravi Iyer",
        "user.suspend",
        "user",
        "reason 0",
    )
    assert (first.before, first.after) == ("before", "after")
    assert page1[0].target == "thread #59" and page1[0].actor_name == "Amara Okafor"


def test_audit_log_filters_by_action_prefix(w: World) -> None:
    add_audits(w, 8)

    def actions(prefix: Any, before: Any = 0) -> list[str]:
        return [a.action for a in feed.audit_log(w.session, w.admin, prefix, before)]

    assert sorted(set(actions("user."))) == ["user.role", "user.suspend"]
    assert actions("user.") == ["user.role", "user.suspend"] * 2
    assert actions("content.hide") == ["content.hide", "content.hide"]
    assert actions("  content  ") == ["content.hide", "content.hide"]
    assert actions("nothing.") == []
    assert len(actions("")) == len(actions(None)) == 8


@pytest.mark.parametrize("prefix", ["%", "_ser.", "user_", "%.hide"])
def test_audit_log_prefix_is_literal(w: World, prefix: str) -> None:
    add_audits(w, 8)
    assert feed.audit_log(w.session, w.admin, prefix) == []


@pytest.mark.parametrize(("prefix", "before"), [(42, 0), ("x" * 41, 0), ("user.", "abc")])
def test_audit_log_refuses_bad_filters(w: World, prefix: Any, before: Any) -> None:
    with pytest.raises(Invalid):
        feed.audit_log(w.session, w.admin, prefix, before)


def test_audit_log_is_for_admins_only(w: World) -> None:
    add_audits(w, 3)
    for actor in (w.steward, w.member, None):
        with pytest.raises(Forbidden):
            feed.audit_log(w.session, actor)


# --- the live room's window -------------------------------------------------------------------


def test_latest_for_room_is_capped_and_newest_first(w: World) -> None:
    assert settings.ACTIVITY_ROOM_SIZE == 200
    bulk_events(w, 150, w.guild)
    bulk_events(w, 100, w.circle)
    bulk_events(w, 10)
    window = feed.latest_for_room(w.session, None)
    assert [e.id for e in window] == all_ids(w)[:200]
    scoped = feed.latest_for_room(w.session, [w.guild.id])
    assert [e.id for e in scoped] == all_ids(w, w.guild)
    assert feed.latest_for_room(w.session, []) == []


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent while the test runs."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_latest_for_room_queries_do_not_grow_with_history(
    w: World, engine: Engine, statements: list[str]
) -> None:
    def cost(scope: list[int] | None) -> tuple[int, int]:
        with Session(engine) as fresh:
            statements.clear()
            size = len(feed.latest_for_room(fresh, scope))
            return len(statements), size

    bulk_events(w, 5, w.guild)
    bulk_events(w, 5)
    small_all, small_scoped = cost(None), cost([w.guild.id])
    assert small_all[1] == 10 and small_scoped[1] == 5
    bulk_events(w, 500, w.guild)
    bulk_events(w, 490, w.circle)
    big_all, big_scoped = cost(None), cost([w.guild.id])
    assert big_all[1] == big_scoped[1] == settings.ACTIVITY_ROOM_SIZE
    assert big_all[0] == small_all[0]
    assert big_scoped[0] == small_scoped[0]
    assert big_all[0] <= 2  # one SELECT (and perhaps a BEGIN)
