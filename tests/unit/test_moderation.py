"""moderation.*: flags (readers only, once each, a daily cap), auto-hide by distinct reporters,
the queue (admins everywhere, stewards in their communities), review (dismiss / hide /
keep hidden / restore / delete, audited) and suspensions (sessions revoked, dates parsed, scope checked, audited).

Every refusal is checked to write nothing at all (row counts and every row unchanged)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from cop_app.models import (
    ActivityEvent,
    AuditEntry,
    Community,
    Flag,
    Membership,
    Post,
    Thread,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import accounts, discussions, moderation, settings
from cop_app.services.activity import feed_room
from cop_app.services.errors import DomainError, Forbidden, Invalid, NotFound, RateLimited
from cop_app.services.events import Change
from tests.factories import DEFAULT_PASSWORD, password_hash_for
from tests.worlds import OLD, fresh, refused
from tests.worlds import ModerationWorld as World

FUTURE = "2099-01-31"


pytestmark = pytest.mark.usefixtures("relaxed_intervals")


@pytest.fixture
def w(moderation_world: World) -> World:
    """This module's world: `tests.worlds.moderation_world`."""
    return moderation_world


# --- helpers ----------------------------------------------------------------------------------


def events(w: World, kind: str | None = None) -> list[ActivityEvent]:
    w.session.expire_all()
    stmt = select(ActivityEvent).order_by(col(ActivityEvent.id))
    if kind is not None:
        stmt = stmt.where(ActivityEvent.kind == kind)
    return list(w.session.exec(stmt).all())


def audits(w: World) -> list[AuditEntry]:
    w.session.expire_all()
    return list(w.session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all())


def flags(w: World, kind: str, target_id: int) -> list[Flag]:
    w.session.expire_all()
    return list(
        w.session.exec(
            select(Flag)
            .where(Flag.target_type == kind, Flag.target_id == target_id)
            .order_by(col(Flag.id))
        ).all()
    )


def flag(w: World, who: User, kind: str, target_id: int, reason: str = "spam", note: str = ""):
    return moderation.check_flag(w.session, who, kind, target_id, reason, note)


def hide_by_three(w: World, kind: str, target_id: int) -> None:
    for reporter in (w.r1, w.r2, w.r3):
        flag(w, reporter, kind, target_id)


def token_for(w: World, user: User) -> str:
    return accounts.check_sign_in(w.session, user.email, DEFAULT_PASSWORD, "tests").token


# --- flag -------------------------------------------------------------------------------------


def test_flag_records_the_report_and_an_activity_event(w: World, changes: list[Change]) -> None:
    changes.clear()
    row = flag(w, w.r1, "post", w.reply.id, "off-topic", "  drifting away  ")
    assert (row.target_type, row.target_id, row.reporter_id, row.status) == (
        "post",
        w.reply.id,
        w.r1.id,
        "open",
    )
    assert (row.community_id, row.author_id, row.reason, row.note) == (
        w.guild.id,
        w.author.id,
        "off-topic",
        "drifting away",
    )
    [event] = events(w, "moderation.flagged")
    assert (event.actor_id, event.community_id, event.target_type, event.target_id) == (
        w.r1.id,
        w.guild.id,
        "post",
        w.reply.id,
    )
    assert "Mateo Garcia flagged" in event.summary and "off-topic" in event.summary
    activity_changes = [c for c in changes if c.kind == "activity"]
    assert len(activity_changes) == 1
    assert set(activity_changes[0].rooms) == {feed_room(0), feed_room(w.steward.id)}
    assert not fresh(w, Post, w.reply.id).hidden


def test_flag_a_thread_and_other_with_a_note(w: World) -> None:
    row = flag(w, w.r1, "thread", w.thread.id, "other", "Posted in the wrong community")
    assert (row.target_type, row.reason, row.note) == (
        "thread",
        "other",
        "Posted in the wrong community",
    )


def test_cannot_flag_what_you_cannot_read(w: World) -> None:
    # The circle is approval-only: an outsider cannot read its threads, so cannot flag them.
    refused(w, Forbidden, moderation.check_flag, w.outsider, "thread", w.circle_thread.id, "spam")
    circle_post = w.session.exec(select(Post).where(Post.thread_id == w.circle_thread.id)).one()
    refused(w, Forbidden, moderation.check_flag, w.r1, "post", circle_post.id, "spam")
    refused(w, NotFound, moderation.check_flag, w.r1, "thread", 987_654, "spam")
    refused(w, NotFound, moderation.check_flag, w.r1, "post", 987_654, "spam")


def test_hidden_items_cannot_be_flagged_by_members(w: World) -> None:
    hide_by_three(w, "post", w.reply.id)
    refused(w, NotFound, moderation.check_flag, w.r4, "post", w.reply.id, "spam")


def test_signed_out_and_suspended_members_cannot_flag(w: World) -> None:
    refused(w, Forbidden, moderation.check_flag, None, "thread", w.thread.id, "spam")
    moderation.check_suspend(w.session, w.admin, w.r1.id, "Repeated spam", FUTURE)
    r1 = fresh(w, User, w.r1.id)
    err = refused(w, Forbidden, moderation.check_flag, r1, "thread", w.thread.id, "spam")
    assert "suspended" in err.message


def test_cannot_flag_own_post_or_thread(w: World) -> None:
    err = refused(w, Invalid, moderation.check_flag, w.author, "post", w.reply.id, "spam")
    assert "own" in err.message
    refused(w, Invalid, moderation.check_flag, w.author, "thread", w.thread.id, "spam")


@pytest.mark.parametrize("note", ["", "   ", None])
def test_other_needs_a_note(w: World, note: Any) -> None:
    err = refused(w, Invalid, moderation.check_flag, w.r1, "thread", w.thread.id, "other", note)
    assert err.field == "note"


@pytest.mark.parametrize(
    ("kind", "target", "reason", "note", "field"),
    [
        ("thread", None, "bogus", "", "reason"),
        ("thread", None, "", "", "reason"),
        ("thread", None, None, "", "reason"),
        ("thread", None, "SPAM", "", "reason"),
        ("user", None, "spam", "", "target_type"),
        ("", None, "spam", "", "target_type"),
        (["thread"], None, "spam", "", "target_type"),
        ("thread", "abc", "spam", "", "target_id"),
        ("thread", -1, "spam", "", "target_id"),
        ("thread", True, "spam", "", "target_id"),
        ("thread", None, "spam", "x" * 501, "note"),
        ("thread", None, "spam", 42, "note"),
    ],
)
def test_flag_refuses_invalid_input(
    w: World, kind: Any, target: Any, reason: Any, note: Any, field: str
) -> None:
    target = w.thread.id if target is None else target
    err = refused(w, Invalid, moderation.check_flag, w.r1, kind, target, reason, note)
    assert err.field == field


def test_flag_once_per_member_per_item(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    err = refused(w, Invalid, moderation.check_flag, w.r1, "thread", w.thread.id, "harmful")
    assert "already flagged" in err.message
    # Another member may; the same member may flag a different item.
    flag(w, w.r2, "thread", w.thread.id)
    flag(w, w.r1, "post", w.reply.id)
    assert len(flags(w, "thread", w.thread.id)) == 2


def test_flag_daily_cap(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "FLAGS_PER_DAY", 2)
    # A flag from two days ago does not count towards today's cap.
    w.session.add(
        Flag(
            target_type="thread",
            target_id=w.circle_thread.id,
            community_id=w.circle.id,
            author_id=w.circle_author.id,
            reporter_id=w.r1.id,
            reason="spam",
            created_at=utcnow() - timedelta(days=2),
        )
    )
    w.session.commit()
    flag(w, w.r1, "thread", w.thread.id)
    flag(w, w.r1, "post", w.reply.id)
    err = refused(w, RateLimited, moderation.check_flag, w.r1, "post", w.opening.id, "spam")
    assert err.retry_after > 0 and "2" in err.message
    flag(w, w.r2, "post", w.opening.id)  # the cap is per member


# --- auto-hide --------------------------------------------------------------------------------


def test_third_distinct_reporter_hides_a_thread(w: World, changes: list[Change]) -> None:
    assert settings.FLAG_AUTO_HIDE_COUNT == 3
    flag(w, w.r1, "thread", w.thread.id)
    flag(w, w.r2, "thread", w.thread.id, "harmful")
    assert not fresh(w, Thread, w.thread.id).hidden
    assert events(w, "moderation.auto_hidden") == []
    changes.clear()
    flag(w, w.r3, "thread", w.thread.id, "off-topic")
    assert fresh(w, Thread, w.thread.id).hidden
    [hidden] = events(w, "moderation.auto_hidden")
    assert hidden.actor_id is None
    assert (hidden.community_id, hidden.target_type, hidden.target_id) == (
        w.guild.id,
        "thread",
        w.thread.id,
    )
    assert "3 flags" in hidden.summary
    assert any(c.kind == "thread.hidden" for c in changes)  # readers' rooms hear of it
    # Members no longer see it, in the list or by id; moderators still can open it.
    listed = discussions.list_threads(w.session, w.r4, w.guild.id)
    assert w.thread.id not in [t.id for t in listed]
    with pytest.raises(NotFound):
        discussions.access_thread(w.session, w.r4, w.thread.id)
    assert discussions.access_thread(w.session, w.steward, w.thread.id).thread.hidden


def test_third_reporter_hides_a_post_and_readers_see_it_removed(w: World) -> None:
    hide_by_three(w, "post", w.reply.id)
    assert fresh(w, Post, w.reply.id).hidden
    assert [e.target_id for e in events(w, "moderation.auto_hidden")] == [w.reply.id]
    thread = fresh(w, Thread, w.thread.id)
    assert not thread.hidden
    views = {v.id: v for v in discussions.post_views(w.session, w.r4, thread, limit=10)}
    assert views[w.reply.id].removed and views[w.reply.id].hidden
    assert views[w.reply.id].body_html == ""
    assert views[w.reply.id].removed_label.startswith("Hidden automatically after reports")
    assert not views[w.opening.id].removed
    moderation.check_review(w.session, w.steward, "keep_hidden", "post", w.reply.id)
    views = {v.id: v for v in discussions.post_views(w.session, w.r4, thread, limit=10)}
    assert views[w.reply.id].removed_label == "Hidden by moderators."
    moderation.check_review(w.session, w.steward, "delete", "post", w.reply.id)
    views = {v.id: v for v in discussions.post_views(w.session, w.r4, thread, limit=10)}
    assert views[w.reply.id].removed_label == "Removed by moderators."


def test_auto_hiding_the_accepted_answer_clears_it(w: World) -> None:
    answer = discussions.check_post_reply(
        w.session, w.r4, w.thread.id, "Fix the shared clock fixture."
    )
    discussions.check_accept_answer(w.session, w.author, w.thread.id, answer.id)
    hide_by_three(w, "post", answer.id)
    assert fresh(w, Post, answer.id).hidden
    assert fresh(w, Thread, w.thread.id).accepted_post_id is None


def test_repeated_flags_from_one_member_never_hide(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    flag(w, w.r2, "thread", w.thread.id)
    refused(w, Invalid, moderation.check_flag, w.r2, "thread", w.thread.id, "harmful")
    assert not fresh(w, Thread, w.thread.id).hidden


def test_dismissed_flags_do_not_count_towards_hiding(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    flag(w, w.r2, "thread", w.thread.id)
    moderation.check_review(w.session, w.steward, "dismiss", "thread", w.thread.id)
    flag(w, w.r3, "thread", w.thread.id)
    assert not fresh(w, Thread, w.thread.id).hidden
    assert events(w, "moderation.auto_hidden") == []


def newcomer(w: World, handle: str, *, joins: Community | None = None) -> User:
    """A brand-new account, optionally a fresh member of one community."""
    user = User(
        email=f"{handle}@example.org",
        display_name=handle.title(),
        handle=handle,
        password_hash=password_hash_for(DEFAULT_PASSWORD),
    )
    w.session.add(user)
    w.session.flush()
    if joins is not None:
        w.session.add(Membership(community_id=joins.id, user_id=user.id, status="active"))
    w.session.commit()
    return user


def test_three_brand_new_non_members_cannot_hide_an_admins_thread(w: World) -> None:
    data = discussions.clean_thread_input("discussion", "Release rota", "Who ships this week?", "")
    admins = discussions.check_create_thread(w.session, w.admin2, w.guild.id, data)
    for handle in ("throwaway1", "throwaway2", "throwaway3"):
        flag(w, newcomer(w, handle), "thread", admins.id, "harmful")
    assert not fresh(w, Thread, admins.id).hidden
    assert events(w, "moderation.auto_hidden") == []
    # The flags are kept and reach the queue all the same.
    assert len(flags(w, "thread", admins.id)) == 3
    [item] = [i for i in moderation.queue(w.session, w.admin) if i.target_id == admins.id]
    assert (item.flag_count, item.hidden) == (3, False)


def test_three_members_with_standing_still_hide_it(w: World) -> None:
    data = discussions.clean_thread_input("discussion", "Release rota", "Who ships this week?", "")
    admins = discussions.check_create_thread(w.session, w.admin2, w.guild.id, data)
    hide_by_three(w, "thread", admins.id)
    assert fresh(w, Thread, admins.id).hidden
    assert "3 flags" in events(w, "moderation.auto_hidden")[0].summary


def test_members_without_standing_do_not_count_until_reporters_with_it_do(w: World) -> None:
    new_member = newcomer(w, "newbie", joins=w.guild)  # a member, but a day-old account
    old_reader = w.admin2  # an admin: always counts
    quiet = newcomer(w, "quiet", joins=w.guild)  # old account, but never contributed
    quiet.created_at = utcnow() - OLD
    w.session.add(quiet)
    w.session.commit()
    assert not moderation.has_flag_standing(w.session, new_member, w.guild.id)
    assert not moderation.has_flag_standing(w.session, quiet, w.guild.id)
    assert not moderation.has_flag_standing(w.session, w.r1, w.circle.id)  # not a member there
    assert moderation.has_flag_standing(w.session, w.steward, w.guild.id)
    assert moderation.has_flag_standing(w.session, old_reader, w.guild.id)
    for person in (new_member, quiet, w.r1):
        flag(w, person, "thread", w.thread.id)
    assert not fresh(w, Thread, w.thread.id).hidden  # one of three counts
    flag(w, w.steward, "thread", w.thread.id)
    assert not fresh(w, Thread, w.thread.id).hidden
    flag(w, old_reader, "thread", w.thread.id)
    assert fresh(w, Thread, w.thread.id).hidden


# --- queue ------------------------------------------------------------------------------------


def test_queue_for_admins_lists_everything_most_flagged_first(w: World) -> None:
    flag(w, w.r1, "post", w.reply.id, "off-topic")
    flag(w, w.r1, "thread", w.thread.id, "spam")
    flag(w, w.r2, "thread", w.thread.id, "other", "Copied from a vendor blog")
    flag(w, w.admin, "thread", w.circle_thread.id, "harmful")
    items = moderation.queue(w.session, w.admin)
    assert [(i.target_type, i.target_id, i.flag_count) for i in items] == [
        ("thread", w.thread.id, 2),
        ("post", w.reply.id, 1),  # flagged before the circle thread
        ("thread", w.circle_thread.id, 1),
    ]
    top = items[0]
    assert sorted(top.reasons) == ["other: Copied from a vendor blog", "spam"]
    assert (top.community_id, top.community_name) == (w.guild.id, "Engineering Craft Guild")
    assert (top.author_id, top.author_name, top.author_suspended) == (
        w.author.id,
        "Hannah Kowalski",
        False,
    )
    assert top.title == w.thread.title and not top.hidden
    assert top.link == f"/c/engineering-craft/t/{w.thread.id}"
    assert top.first_flagged_at is not None
    assert items[1].reasons == ["off-topic"]
    assert items[1].link.endswith(f"#post-{w.reply.number}")
    assert items[2].community_name == "Surgical Technique Exchange"


def test_queue_for_stewards_is_their_communities_only(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    flag(w, w.admin, "thread", w.circle_thread.id, "harmful")
    assert [i.target_id for i in moderation.queue(w.session, w.steward)] == [w.thread.id]
    assert [i.target_id for i in moderation.queue(w.session, w.other_steward)] == [
        w.circle_thread.id
    ]


def test_queue_is_refused_to_plain_members(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    err = refused(w, Forbidden, moderation.queue, w.r4)
    assert "admins and stewards" in err.message
    refused(w, Forbidden, moderation.queue, None)


def test_queue_shows_hidden_items_and_suspended_authors(w: World) -> None:
    hide_by_three(w, "thread", w.thread.id)
    moderation.check_suspend(w.session, w.admin, w.author.id, "Spam campaign", FUTURE)
    [item] = moderation.queue(w.session, w.admin)
    assert item.hidden and item.author_suspended and item.flag_count == 3


def test_queue_drops_resolved_items(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    flag(w, w.r1, "post", w.reply.id)
    moderation.check_review(w.session, w.admin, "dismiss", "thread", w.thread.id)
    assert [i.target_type for i in moderation.queue(w.session, w.admin)] == ["post"]


def test_queue_reasons_belong_to_their_own_item_kind(w: World) -> None:
    """A thread and a post that share an id number are different items."""
    assert w.thread.id == w.opening.id  # a fresh database: thread 1 and post 1
    flag(w, w.r1, "thread", w.thread.id, "spam")
    flag(w, w.r2, "post", w.opening.id, "harmful")
    items = {(i.target_type, i.target_id): i for i in moderation.queue(w.session, w.admin)}
    assert items[("thread", w.thread.id)].reasons == ["spam"]
    assert items[("post", w.opening.id)].reasons == ["harmful"]


# --- review -----------------------------------------------------------------------------------


def test_dismiss_resolves_flags_and_unhides_an_auto_hidden_item(w: World) -> None:
    hide_by_three(w, "thread", w.thread.id)
    assert moderation.check_review(
        w.session, w.steward, "dismiss", "thread", w.thread.id, "Fair question"
    ) == ("dismiss")
    assert not fresh(w, Thread, w.thread.id).hidden
    assert {f.status for f in flags(w, "thread", w.thread.id)} == {"dismissed"}
    assert {f.resolved_by for f in flags(w, "thread", w.thread.id)} == {w.steward.id}
    assert all(f.resolved_at is not None for f in flags(w, "thread", w.thread.id))
    assert w.thread.id in [t.id for t in discussions.list_threads(w.session, w.r4, w.guild.id)]
    [entry] = audits(w)
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        w.steward.id,
        "content.dismiss",
        "thread",
        w.thread.id,
    )
    assert (entry.reason, entry.before, entry.after) == ("Fair question", "hidden", "visible")
    [event] = events(w, "moderation.dismiss")
    assert event.actor_id == w.steward.id and event.community_id == w.guild.id
    assert moderation.queue(w.session, w.steward) == []


def test_hide_then_restore_are_audited(w: World) -> None:
    flag(w, w.r1, "post", w.reply.id, "harmful")
    moderation.check_review(w.session, w.admin, "hide", "post", w.reply.id, "Personal attack")
    assert fresh(w, Post, w.reply.id).hidden
    assert [f.status for f in flags(w, "post", w.reply.id)] == ["actioned"]
    moderation.check_review(w.session, w.admin, "restore", "post", w.reply.id, "Edited since")
    assert not fresh(w, Post, w.reply.id).hidden
    assert [(a.action, a.reason, a.before, a.after) for a in audits(w)] == [
        ("content.hide", "Personal attack", "visible", "hidden"),
        ("content.restore", "Edited since", "hidden", "visible"),
    ]
    assert [e.kind for e in events(w) if e.kind.startswith("moderation.")][-2:] == [
        "moderation.hide",
        "moderation.restore",
    ]


def test_hide_works_without_flags(w: World) -> None:
    moderation.check_review(w.session, w.steward, "hide", "thread", w.thread.id)
    assert fresh(w, Thread, w.thread.id).hidden


def test_restore_something_not_hidden_is_invalid(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    err = refused(w, Invalid, moderation.check_review, w.admin, "restore", "thread", w.thread.id)
    assert "not hidden" in err.message


def test_hide_something_hidden_and_dismiss_without_flags_are_invalid(w: World) -> None:
    moderation.check_review(w.session, w.admin, "hide", "thread", w.thread.id)
    err = refused(w, Invalid, moderation.check_review, w.admin, "hide", "thread", w.thread.id)
    assert "already hidden" in err.message
    err = refused(w, Invalid, moderation.check_review, w.admin, "dismiss", "post", w.reply.id)
    assert "no open flags" in err.message


def test_confirmed_spam_leaves_the_queue_and_stays_hidden(w: World) -> None:
    hide_by_three(w, "post", w.reply.id)
    assert moderation.check_review(w.session, w.steward, "keep_hidden", "post", w.reply.id) == (
        "keep_hidden"
    )
    assert fresh(w, Post, w.reply.id).hidden
    assert {f.status for f in flags(w, "post", w.reply.id)} == {"actioned"}
    assert moderation.queue(w.session, w.steward) == []
    [entry] = audits(w)
    assert (entry.action, entry.before, entry.after) == ("content.keep_hidden", "hidden", "hidden")
    assert [e.summary for e in events(w, "moderation.keep_hidden")] == [
        f"{w.steward.display_name} kept hidden Reply #{w.reply.number} in “{w.thread.title}”"
    ]


def test_keep_hidden_is_only_for_hidden_items(w: World) -> None:
    flag(w, w.r1, "post", w.reply.id)
    err = refused(w, Invalid, moderation.check_review, w.admin, "keep_hidden", "post", w.reply.id)
    assert "not hidden" in err.message


def test_delete_removes_a_post_for_good_and_is_audited(w: World) -> None:
    hide_by_three(w, "post", w.reply.id)
    moderation.check_review(w.session, w.admin, "delete", "post", w.reply.id, "Spam links")
    post = fresh(w, Post, w.reply.id)
    assert post.hidden and post.deleted_at is not None
    assert {f.status for f in flags(w, "post", w.reply.id)} == {"actioned"}
    assert moderation.queue(w.session, w.admin) == []
    [entry] = audits(w)
    assert (entry.action, entry.reason, entry.after) == ("content.delete", "Spam links", "deleted")


def test_delete_a_visible_thread_hides_it_and_removes_its_opening(w: World) -> None:
    flag(w, w.r1, "thread", w.thread.id)
    moderation.check_review(w.session, w.steward, "delete", "thread", w.thread.id)
    assert fresh(w, Thread, w.thread.id).hidden
    assert fresh(w, Post, w.opening.id).deleted_at is not None
    assert w.thread.id not in [t.id for t in discussions.list_threads(w.session, w.r4, w.guild.id)]
    assert [a.action for a in audits(w)] == ["content.delete"]


def test_review_is_for_moderators_of_that_community(w: World) -> None:
    hide_by_three(w, "thread", w.thread.id)
    for actor in (w.r4, w.author, w.outsider, w.other_steward, None):
        err = refused(
            w, Forbidden, moderation.check_review, actor, "dismiss", "thread", w.thread.id
        )
        assert err.message
    refused(w, Forbidden, moderation.check_review, w.steward, "hide", "thread", w.circle_thread.id)
    assert fresh(w, Thread, w.thread.id).hidden


@pytest.mark.parametrize(
    ("action", "kind", "target", "reason", "error"),
    [
        ("purge", "thread", None, "", Invalid),
        ("", "thread", None, "", Invalid),
        ("hide", "user", None, "", Invalid),
        ("hide", "thread", "x", "", Invalid),
        ("hide", "thread", None, "r" * 501, Invalid),
        ("hide", "thread", 987_654, "", NotFound),
    ],
)
def test_review_refuses_invalid_input(
    w: World, action: Any, kind: Any, target: Any, reason: Any, error: type[DomainError]
) -> None:
    target = w.thread.id if target is None else target
    refused(w, error, moderation.check_review, w.admin, action, kind, target, reason)


# --- suspend ----------------------------------------------------------------------------------


def test_admin_suspends_a_member_and_their_sessions_end(w: World, changes: list[Change]) -> None:
    token = token_for(w, w.author)
    other_token = token_for(w, w.r1)
    assert accounts.user_for_token(w.session, token).id == w.author.id
    user = moderation.check_suspend(w.session, w.admin, w.author.id, "  Spam campaign  ", FUTURE)
    assert user.suspended_until == datetime(2099, 1, 31, tzinfo=UTC)
    assert user.suspension_reason == "Spam campaign"
    assert moderation.is_suspended(fresh(w, User, w.author.id))
    assert accounts.user_for_token(w.session, token) is None
    assert accounts.user_for_token(w.session, other_token).id == w.r1.id  # others untouched
    [entry] = audits(w)
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        w.admin.id,
        "user.suspend",
        "user",
        w.author.id,
    )
    assert (entry.reason, entry.before, entry.after) == (
        "Spam campaign",
        "active",
        "until 31 Jan 2099",
    )
    [event] = events(w, "moderation.suspended")
    assert (event.actor_id, event.target_type, event.target_id) == (w.admin.id, "user", w.author.id)
    assert "Hannah Kowalski" in event.summary
    # Signing in again is refused, and so is every verb the old row might still reach.
    with pytest.raises(Forbidden):
        accounts.check_sign_in(w.session, w.author.email, DEFAULT_PASSWORD, "tests")
    w.session.rollback()
    with pytest.raises(Forbidden):
        discussions.check_post_reply(
            w.session, fresh(w, User, w.author.id), w.thread.id, "Still here"
        )


@pytest.mark.parametrize("until", ["", None])
def test_empty_until_suspends_indefinitely(w: World, until: Any) -> None:
    token = token_for(w, w.author)
    user = moderation.check_suspend(w.session, w.admin, w.author.id, "Harassment", until)
    assert user.suspended_until is not None and user.suspended_until.year == 9999
    assert moderation.is_suspended(fresh(w, User, w.author.id))
    assert accounts.user_for_token(w.session, token) is None
    assert audits(w)[-1].after == "until further notice"


def test_suspending_again_records_the_previous_end(w: World) -> None:
    moderation.check_suspend(w.session, w.admin, w.author.id, "First strike", FUTURE)
    moderation.check_suspend(w.session, w.admin, w.author.id, "Second strike", "2099-06-30")
    before = audits(w)[-1].before
    assert before.startswith("2099-01-31")
    assert fresh(w, User, w.author.id).suspended_until == datetime(2099, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "until",
    [
        "2000-01-01",  # past
        (utcnow() - timedelta(days=1)).date().isoformat(),  # yesterday
        utcnow().date().isoformat(),  # today began already
        "31/12/2099",
        "2099-02-30",
        "tomorrow",
        "2099-13-01",
        20991231,
        ["2099-01-31"],
    ],
)
def test_bad_until_is_refused(w: World, until: Any) -> None:
    token = token_for(w, w.author)
    err = refused(
        w, Invalid, moderation.check_suspend, w.admin, w.author.id, "Spam campaign", until
    )
    assert err.field == "until"
    assert accounts.user_for_token(w.session, token) is not None


def test_past_until_says_future(w: World) -> None:
    err = refused(
        w, Invalid, moderation.check_suspend, w.admin, w.r1.id, "Spam campaign", "2000-01-01"
    )
    assert "future" in err.message
    err = refused(
        w, Invalid, moderation.check_suspend, w.admin, w.r1.id, "Spam campaign", "1/2/2099"
    )
    assert "YYYY-MM-DD" in err.message


@pytest.mark.parametrize(("reason", "field"), [("", "reason"), ("ab", "reason"), (None, "reason")])
def test_suspend_needs_a_reason(w: World, reason: Any, field: str) -> None:
    err = refused(w, Invalid, moderation.check_suspend, w.admin, w.author.id, reason, FUTURE)
    assert err.field == field


def test_steward_cannot_suspend_an_admin(w: World) -> None:
    # admin2 is a member of the guild the steward stewards: the role alone decides.
    err = refused(w, Forbidden, moderation.check_suspend, w.steward, w.admin2.id, "Rude", FUTURE)
    assert "cannot suspend an admin" in err.message


def test_steward_cannot_suspend_outside_their_communities(w: World) -> None:
    err = refused(
        w, Forbidden, moderation.check_suspend, w.steward, w.outsider.id, "Spammer", FUTURE
    )
    assert "communities they steward" in err.message
    refused(
        w, Forbidden, moderation.check_suspend, w.steward, w.circle_author.id, "Spammer", FUTURE
    )


def test_steward_cannot_suspend_someone_who_only_asked_to_join(w: World) -> None:
    """A pending request is not membership (the card, the member list and the error say so)."""
    w.session.add(Membership(community_id=w.circle.id, user_id=w.outsider.id, status="pending"))
    w.session.commit()
    err = refused(
        w,
        Forbidden,
        moderation.check_suspend,
        w.other_steward,
        w.outsider.id,
        "Spam request",
        FUTURE,
    )
    assert "communities they steward" in err.message


def test_steward_suspends_a_member_of_their_community(w: World) -> None:
    moderation.check_suspend(w.session, w.steward, w.r1.id, "Spam links", FUTURE)
    assert moderation.is_suspended(fresh(w, User, w.r1.id))
    assert audits(w)[-1].actor_id == w.steward.id


def test_admin_may_suspend_another_admin(w: World) -> None:
    moderation.check_suspend(w.session, w.admin, w.admin2.id, "Account compromised", FUTURE)
    assert moderation.is_suspended(fresh(w, User, w.admin2.id))


def test_members_and_visitors_cannot_suspend(w: World) -> None:
    err = refused(w, Forbidden, moderation.check_suspend, w.r1, w.r2.id, "Spam links", FUTURE)
    assert "admins and stewards" in err.message
    refused(w, Forbidden, moderation.check_suspend, None, w.r2.id, "Spam links", FUTURE)


def test_nobody_suspends_themselves(w: World) -> None:
    err = refused(
        w, Invalid, moderation.check_suspend, w.admin, w.admin.id, "Taking a break", FUTURE
    )
    assert "yourself" in err.message
    refused(w, Invalid, moderation.check_suspend, w.steward, w.steward.id, "Taking a break", FUTURE)


@pytest.mark.parametrize(
    ("user_id", "error"), [(987_654, NotFound), ("x", Invalid), (None, Invalid), (0, Invalid)]
)
def test_suspend_unknown_person(w: World, user_id: Any, error: type[DomainError]) -> None:
    refused(w, error, moderation.check_suspend, w.admin, user_id, "Spam links", FUTURE)


def test_suspended_steward_cannot_moderate(w: World) -> None:
    moderation.check_suspend(w.session, w.admin, w.steward.id, "Abuse of power", FUTURE)
    steward = fresh(w, User, w.steward.id)
    refused(w, Forbidden, moderation.check_suspend, steward, w.r1.id, "Spam links", FUTURE)
    refused(w, Forbidden, moderation.check_review, steward, "hide", "thread", w.thread.id)
    refused(w, Forbidden, moderation.queue, steward)


# --- reactivate -------------------------------------------------------------------------------


def test_admin_reactivates(w: World) -> None:
    moderation.check_suspend(w.session, w.admin, w.author.id, "Spam campaign", FUTURE)
    user = moderation.check_reactivate(w.session, w.admin, w.author.id, "Appeal accepted")
    assert user.suspended_until is None and user.suspension_reason == ""
    assert not moderation.is_suspended(fresh(w, User, w.author.id))
    entry = audits(w)[-1]
    assert (entry.action, entry.target_id, entry.reason, entry.before, entry.after) == (
        "user.reactivate",
        w.author.id,
        "Appeal accepted",
        "suspended",
        "active",
    )
    assert events(w, "moderation.reactivated")[0].target_id == w.author.id
    token = token_for(w, w.author)  # signing in works again
    assert accounts.user_for_token(w.session, token).id == w.author.id


def test_reactivate_is_for_admins_only(w: World) -> None:
    moderation.check_suspend(w.session, w.steward, w.r1.id, "Spam links", FUTURE)
    err = refused(w, Forbidden, moderation.check_reactivate, w.steward, w.r1.id)
    assert "admins" in err.message
    refused(w, Forbidden, moderation.check_reactivate, w.r2, w.r1.id)
    refused(w, Forbidden, moderation.check_reactivate, None, w.r1.id)
    assert moderation.is_suspended(fresh(w, User, w.r1.id))


def test_reactivate_someone_not_suspended_is_invalid(w: World) -> None:
    err = refused(w, Invalid, moderation.check_reactivate, w.admin, w.r1.id)
    assert "not suspended" in err.message
    # A suspension that has ended counts as not suspended.
    r2 = fresh(w, User, w.r2.id)
    r2.suspended_until = utcnow() - timedelta(hours=1)
    w.session.add(r2)
    w.session.commit()
    refused(w, Invalid, moderation.check_reactivate, w.admin, w.r2.id)
    refused(w, NotFound, moderation.check_reactivate, w.admin, 987_654)
    refused(w, Invalid, moderation.check_reactivate, w.admin, "me")
