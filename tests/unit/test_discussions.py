"""discussions.*: threads, replies, mentions, follows, reactions, answers, moderation, reads,
notifications; and the demo discussions the seed loads."""

import itertools
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from cop_app.models import (
    ActivityEvent,
    AuditEntry,
    Community,
    Membership,
    Notification,
    Post,
    PostRevision,
    Reaction,
    Thread,
    ThreadFollow,
    ThreadRead,
    User,
)
from cop_app.models.base import utcnow
from cop_app.services import discussions, events, notifications, settings
from cop_app.services.discussions import guards
from cop_app.services.errors import Forbidden, Invalid, NotFound, RateLimited
from cop_app.services.events import Change
from tests.worlds import OLD, counting, fresh, refused
from tests.worlds import DiscussionsWorld as World

REAL_POST_MIN_INTERVAL = settings.POST_MIN_INTERVAL
REAL_NEW_MEMBER_POST_MIN_INTERVAL = settings.NEW_MEMBER_POST_MIN_INTERVAL
REAL_THREAD_MIN_INTERVAL = settings.THREAD_MIN_INTERVAL

TITLE = "Flaky integration tests: quarantine or fix first?"
BODY = "Our suite fails one run in ten. Do we quarantine the flaky tests or stop and fix them?"


pytestmark = pytest.mark.usefixtures("relaxed_intervals")


@pytest.fixture
def w(discussions_world: World) -> World:
    """This module's world: `tests.worlds.discussions_world`."""
    return discussions_world


# --- helpers ----------------------------------------------------------------------------------


def start(
    w: World,
    actor: User | None = None,
    community: Community | None = None,
    *,
    kind: str = "question",
    title: str = TITLE,
    body: str = BODY,
    tags: str = "testing ci",
) -> Thread:
    data = discussions.clean_thread_input(kind, title, body, tags)
    return discussions.check_create_thread(
        w.session, actor or w.asker, (community or w.open).id, data
    )


def reply(w: World, actor: User, thread: Thread, body: str = "Agreed.", parent: Any = None) -> Post:
    return discussions.check_post_reply(w.session, actor, thread.id, body, parent)


def notes(w: World, user: User | None = None) -> list[tuple[int, str]]:
    w.session.expire_all()
    stmt = select(Notification).order_by(col(Notification.id))
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return [(n.user_id, n.kind) for n in w.session.exec(stmt).all()]


def activity_kinds(w: World) -> list[str]:
    w.session.expire_all()
    return [
        e.kind for e in w.session.exec(select(ActivityEvent).order_by(col(ActivityEvent.id))).all()
    ]


def insert_thread(
    w: World,
    community: Community,
    author: User,
    title: str,
    *,
    kind: str = "discussion",
    tags: str = "",
    age: timedelta = timedelta(days=1),
    active_age: timedelta | None = None,
    replies: int = 0,
    reactions: int = 0,
    pinned: bool = False,
    hidden: bool = False,
    posts: int = 1,
) -> Thread:
    """A thread written straight to the database (for list orderings and paging)."""
    at = utcnow() - age
    thread = Thread(
        community_id=community.id,
        author_id=author.id,
        kind=kind,
        title=title,
        tags=tags,
        post_count=max(posts, 1 + replies),
        reply_count=replies,
        reaction_count=reactions,
        pinned=pinned,
        hidden=hidden,
        created_at=at,
        last_activity_at=utcnow() - (active_age if active_age is not None else age),
    )
    w.session.add(thread)
    w.session.flush()
    for number in range(1, thread.post_count + 1):
        w.session.add(
            Post(
                thread_id=thread.id,
                number=number,
                author_id=author.id,
                body=f"{title} #{number}",
                body_html=f"<p>{title} #{number}</p>",
                created_at=at + timedelta(minutes=number),
            )
        )
    w.session.commit()
    w.session.refresh(thread)
    return thread


# --- thread input -----------------------------------------------------------------------------


def test_clean_thread_input_trims_and_normalises_tags() -> None:
    data = discussions.clean_thread_input(
        "question", f"  {TITLE}  ", f"\n{BODY}\n", "Testing, CI testing  #flaky"
    )
    assert data == discussions.ThreadInput("question", TITLE, BODY, "testing ci #flaky")


@pytest.mark.parametrize("title", ["abcd", "  abcd  ", "", None, "x" * 201, 42])
def test_clean_thread_input_refuses_a_bad_title(title: object) -> None:
    with pytest.raises(Invalid) as info:
        discussions.clean_thread_input("discussion", title, BODY, "")
    assert info.value.field == "title"


@pytest.mark.parametrize("title", ["abcde", "x" * 200])
def test_clean_thread_input_accepts_title_bounds(title: str) -> None:
    assert discussions.clean_thread_input("discussion", title, BODY, "").title == title


@pytest.mark.parametrize("body", ["", "   \n ", None, "x" * 50_001, "a\x00b", ["x"]])
def test_clean_thread_input_refuses_a_bad_body(body: object) -> None:
    with pytest.raises(Invalid) as info:
        discussions.clean_thread_input("discussion", TITLE, body, "")
    assert info.value.field == "body"


def test_clean_thread_input_accepts_the_longest_body() -> None:
    assert len(discussions.clean_thread_input("discussion", TITLE, "x" * 50_000, "").body) == 50_000


@pytest.mark.parametrize("kind", ["poll", "Question", "", None, 1])
def test_clean_thread_input_refuses_a_bad_kind(kind: object) -> None:
    with pytest.raises(Invalid) as info:
        discussions.clean_thread_input(kind, TITLE, BODY, "")
    assert info.value.field == "kind"


def test_clean_thread_input_refuses_too_many_tags() -> None:
    with pytest.raises(Invalid) as info:
        discussions.clean_thread_input("discussion", TITLE, BODY, "a b c d e f")
    assert info.value.field == "tags"


def test_room_names() -> None:
    assert str(discussions.thread_room(7)) == "thread-7"
    assert str(discussions.list_room(3)) == "threads-3"
    assert str(notifications.user_room(9)) == "user-9"


# --- create_thread ----------------------------------------------------------------------------


def test_create_thread_writes_thread_opening_post_follow_and_event(w: World) -> None:
    before = w.open.last_activity_at
    thread = start(w, tags="Testing, CI testing")
    assert (thread.kind, thread.title, thread.tags) == ("question", TITLE, "testing ci")
    assert (thread.post_count, thread.reply_count, thread.reaction_count) == (1, 0, 0)
    assert thread.author_id == w.asker.id
    assert thread.accepted_post_id is None and thread.first_reply_at is None
    posts = w.session.exec(select(Post).where(Post.thread_id == thread.id)).all()
    assert [(p.number, p.author_id, p.body) for p in posts] == [(1, w.asker.id, BODY)]
    assert posts[0].body_html.startswith("<p>Our suite fails")
    follows = w.session.exec(
        select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id)
    )
    assert follows.all() == [w.asker.id]
    read = w.session.exec(select(ThreadRead).where(ThreadRead.thread_id == thread.id)).one()
    assert (read.user_id, read.last_read_number) == (w.asker.id, 1)
    event = w.session.exec(
        select(ActivityEvent).where(ActivityEvent.kind == "thread.created")
    ).one()
    assert (event.actor_id, event.community_id, event.target_type, event.target_id) == (
        w.asker.id,
        w.open.id,
        "thread",
        thread.id,
    )
    assert "asked" in event.summary and TITLE in event.summary
    assert fresh(w, Community, w.open.id).last_activity_at > before
    assert notes(w) == []


def test_create_thread_announces_to_rooms_only_after_commit(w: World, changes) -> None:
    committed: list[int] = []

    def listener(_change: Change) -> None:  # what another connection sees at emit time
        with Session(w.engine) as other:
            committed.append(other.exec(select(func.count()).select_from(Thread)).one())

    events.subscribe(listener)
    try:
        thread = start(w)
    finally:
        events.unsubscribe(listener)
    assert committed and set(committed) == {1}
    created = [c for c in changes if c.kind == "thread.created"]
    assert len(created) == 1
    assert set(created[0].rooms) == {
        discussions.thread_room(thread.id),
        discussions.list_room(w.open.id),
    }
    home = [c for c in changes if c.kind == "home.threads"]
    assert len(home) == 1
    members = [w.steward, w.asker, w.member, w.other]
    assert set(home[0].rooms) == {notifications.user_room(u.id) for u in members}


def test_create_thread_by_a_non_member_is_forbidden(w: World, changes) -> None:
    data = discussions.clean_thread_input("question", TITLE, BODY, "")
    refused(w, Forbidden, discussions.check_create_thread, w.outsider, w.open.id, data)
    refused(w, Forbidden, discussions.check_create_thread, w.other, w.closed.id, data)
    refused(w, Forbidden, discussions.check_create_thread, w.admin, w.closed.id, data)
    assert changes == []


def test_create_thread_by_a_pending_member_of_an_approval_community_is_forbidden(w: World) -> None:
    data = discussions.clean_thread_input("question", TITLE, BODY, "")
    err = refused(w, Forbidden, discussions.check_create_thread, w.pending, w.closed.id, data)
    assert "Surgical Technique Exchange" in err.message


def test_create_thread_refuses_signed_out_suspended_and_unknown_community(w: World) -> None:
    data = discussions.clean_thread_input("question", TITLE, BODY, "")
    refused(w, Forbidden, discussions.check_create_thread, None, w.open.id, data)
    refused(w, NotFound, discussions.check_create_thread, w.asker, 999_999, data)
    refused(w, Invalid, discussions.check_create_thread, w.asker, "abc", data)
    w.asker.suspended_until = utcnow() + timedelta(days=1)
    w.session.add(w.asker)
    w.session.commit()
    refused(w, Forbidden, discussions.check_create_thread, w.asker, w.open.id, data)


def test_create_thread_in_an_approval_community_by_a_member(w: World) -> None:
    thread = start(w, w.member, w.closed, title="Port placement for obese patients in lap chole")
    assert thread.community_id == w.closed.id


def test_create_thread_mentions_notify_members_only(w: World) -> None:
    thread = start(
        w,
        w.asker,
        w.closed,
        body="@ravi-iyer and @grace-adeyemi and @nobody-here, what do you think? Also @ada-l.",
    )
    assert notes(w) == [(w.member.id, "mention")]  # grace is not in this community; ada is me
    html = w.session.exec(select(Post.body_html).where(Post.thread_id == thread.id)).one()
    assert '<span class="mention">@ravi-iyer</span>' in html
    assert '<span class="mention">@grace-adeyemi</span>' not in html
    assert "@nobody-here" in html
    assert "post.mentioned" in activity_kinds(w)


def test_thread_rate_limits(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "THREAD_MIN_INTERVAL", REAL_THREAD_MIN_INTERVAL)
    start(w)
    data = discussions.clean_thread_input("discussion", "Second thread", BODY, "")
    err = refused(w, RateLimited, discussions.check_create_thread, w.asker, w.open.id, data)
    assert re.search(r"again in \d+ seconds?", err.message)
    assert 0 < err.retry_after <= REAL_THREAD_MIN_INTERVAL.total_seconds()
    monkeypatch.setattr(settings, "THREAD_MIN_INTERVAL", timedelta(0))
    monkeypatch.setattr(settings, "THREADS_PER_DAY", 1)
    err = refused(w, RateLimited, discussions.check_create_thread, w.asker, w.open.id, data)
    assert "today's limit of 1" in err.message
    # someone else is not affected
    discussions.check_create_thread(w.session, w.member, w.open.id, data)


# --- post_reply -------------------------------------------------------------------------------


def test_replies_are_numbered_and_counted(w: World) -> None:
    thread = start(w)
    created = thread.created_at
    first = reply(w, w.member, thread, "Fix first: quarantine hides real bugs.")
    second = reply(w, w.other, thread, "Quarantine with an owner and a deadline.")
    third = reply(w, w.member, thread, "And track the flake rate.")
    assert [first.number, second.number, third.number] == [2, 3, 4]
    t = fresh(w, Thread, thread.id)
    assert (t.post_count, t.reply_count) == (4, 3)
    assert t.first_reply_at == first.created_at
    assert t.last_activity_at == third.created_at
    assert t.last_activity_at > created
    followers = w.session.exec(
        select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id)
    ).all()
    assert sorted(followers) == sorted([w.asker.id, w.member.id, w.other.id])
    read = w.session.exec(
        select(ThreadRead.last_read_number).where(
            ThreadRead.thread_id == thread.id, ThreadRead.user_id == w.member.id
        )
    ).one()
    assert read == 4
    assert activity_kinds(w).count("post.created") == 3


def test_reply_to_a_post_records_its_parent(w: World) -> None:
    thread = start(w)
    first = reply(w, w.member, thread, "Fix first.")
    answer = reply(w, w.asker, thread, "Why?", parent=first.id)
    assert answer.parent_id == first.id
    views = discussions.read_posts(w.session, w.asker, thread.id)
    assert [(v.number, v.parent_number) for v in views] == [(1, 0), (2, 0), (3, 2)]


def test_reply_to_a_post_of_another_thread_is_invalid(w: World) -> None:
    thread = start(w)
    elsewhere = start(w, w.member, title="Another thread here")
    other_post = reply(w, w.other, elsewhere, "Unrelated.")
    err = refused(
        w, Invalid, discussions.check_post_reply, w.member, thread.id, "Hi", other_post.id
    )
    assert err.field == "parent_id"
    refused(w, Invalid, discussions.check_post_reply, w.member, thread.id, "Hi", 999_999)
    refused(w, Invalid, discussions.check_post_reply, w.member, thread.id, "Hi", "nope")


def test_reply_with_a_bad_body_is_invalid(w: World) -> None:
    thread = start(w)
    for body in ("", "   ", None, "x" * 50_001, 12):
        err = refused(w, Invalid, discussions.check_post_reply, w.member, thread.id, body)
        assert err.field == "body"


def test_reply_to_a_locked_thread_is_forbidden(w: World, changes) -> None:
    thread = start(w)
    discussions.check_moderate_thread(w.session, w.steward, thread.id, locked=True)
    changes.clear()
    err = refused(w, Forbidden, discussions.check_post_reply, w.member, thread.id, "Late reply")
    assert "locked" in err.message
    refused(w, Forbidden, discussions.check_post_reply, w.steward, thread.id, "Steward reply")
    assert changes == []


def test_reply_by_non_members_is_forbidden(w: World) -> None:
    thread = start(w)
    closed = start(w, w.member, w.closed, title="Theatre list overruns")
    refused(w, Forbidden, discussions.check_post_reply, w.outsider, thread.id, "I can read this")
    refused(w, Forbidden, discussions.check_post_reply, w.admin, thread.id, "Admin, not member")
    refused(w, Forbidden, discussions.check_post_reply, w.pending, closed.id, "Not yet in")
    refused(w, Forbidden, discussions.check_post_reply, w.other, closed.id, "Not in")
    refused(w, Forbidden, discussions.check_post_reply, None, thread.id, "Signed out")
    refused(w, NotFound, discussions.check_post_reply, w.member, 999_999, "Nowhere")


def test_open_community_threads_are_readable_by_any_signed_in_user(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "Fix first.")
    access = discussions.access_thread(w.session, w.outsider, thread.id)
    assert (access.member, access.steward) == (False, False)
    rows = discussions.list_threads(w.session, w.outsider, w.open.id)
    assert [r.id for r in rows] == [thread.id]
    posts = discussions.read_posts(w.session, w.outsider, thread.id)
    assert [p.number for p in posts] == [1, 2]
    view = discussions.get_thread(w.session, w.outsider, thread.id)
    assert (view.is_member, view.can_reply, view.can_accept, view.can_moderate) == (
        False,
        False,
        False,
        False,
    )
    refused(w, Forbidden, discussions.access_thread, None, thread.id)
    refused(w, Forbidden, discussions.list_threads, None, w.open.id)


def test_approval_community_threads_are_for_members_only(w: World) -> None:
    thread = start(w, w.member, w.closed, title="Port placement for obese patients")
    for reader in (w.outsider, w.pending, w.other):
        refused(w, Forbidden, discussions.access_thread, reader, thread.id)
        refused(w, Forbidden, discussions.get_thread, reader, thread.id)
        refused(w, Forbidden, discussions.read_posts, reader, thread.id)
        refused(w, Forbidden, discussions.list_threads, reader, w.closed.id)
    assert [r.id for r in discussions.list_threads(w.session, w.asker, w.closed.id)] == [thread.id]
    # site admins read everything (and steward it)
    assert discussions.access_thread(w.session, w.admin, thread.id).steward is True


def test_reply_rate_limit_interval(w: World, monkeypatch: pytest.MonkeyPatch, changes) -> None:
    monkeypatch.setattr(settings, "POST_MIN_INTERVAL", REAL_POST_MIN_INTERVAL)
    thread = start(w)
    reply(w, w.member, thread, "First thought.")
    changes.clear()
    err = refused(
        w, RateLimited, discussions.check_post_reply, w.member, thread.id, "Second thought."
    )
    match = re.search(r"again in (\d+) seconds?", err.message)
    assert match is not None
    assert 1 <= int(match.group(1)) <= REAL_POST_MIN_INTERVAL.total_seconds()
    assert err.retry_after == int(match.group(1))
    assert err.field == "body"
    assert changes == []
    # older than the interval: allowed again
    w.session.exec(select(Post).where(Post.author_id == w.member.id)).one().created_at -= timedelta(
        seconds=10
    )
    w.session.commit()
    assert reply(w, w.member, thread, "Second thought.").number == 3


def test_new_members_wait_longer_between_replies(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "POST_MIN_INTERVAL", REAL_POST_MIN_INTERVAL)
    monkeypatch.setattr(settings, "NEW_MEMBER_POST_MIN_INTERVAL", REAL_NEW_MEMBER_POST_MIN_INTERVAL)
    thread = start(w)
    w.other.created_at = utcnow() - timedelta(hours=2)
    w.session.add(w.other)
    w.session.commit()
    post = reply(w, w.other, thread, "Hello, new here.")
    post.created_at -= timedelta(seconds=10)  # past the normal interval, not the new-member one
    w.session.add(post)
    w.session.commit()
    err = refused(w, RateLimited, discussions.check_post_reply, w.other, thread.id, "Me again.")
    seconds = int(re.search(r"again in (\d+) seconds?", err.message).group(1))
    assert 10 < seconds <= 21
    # an established member in the same position may post
    settled = reply(w, w.member, thread, "Welcome!")
    settled.created_at -= timedelta(seconds=10)
    w.session.add(settled)
    w.session.commit()
    reply(w, w.member, thread, "Welcome again.")


def test_reply_daily_cap(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "POSTS_PER_DAY", 3)
    thread = start(w)
    for n in range(3):
        reply(w, w.member, thread, f"Reply {n}")
    err = refused(w, RateLimited, discussions.check_post_reply, w.member, thread.id, "One too many")
    assert "today's limit of 3" in err.message
    assert err.retry_after == 86400
    # the asker's opening post is not a reply: they still may reply
    reply(w, w.asker, thread, "Thanks all")
    # a day later the old replies no longer count
    for p in w.session.exec(select(Post).where(Post.author_id == w.member.id)).all():
        p.created_at -= timedelta(days=1, minutes=1)
        w.session.add(p)
    w.session.commit()
    reply(w, w.member, thread, "Back again")


def test_new_members_have_a_lower_daily_cap(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "NEW_MEMBER_POSTS_PER_DAY", 2)
    thread = start(w)
    w.other.created_at = utcnow() - timedelta(hours=1)
    w.session.add(w.other)
    w.session.commit()
    reply(w, w.other, thread, "One")
    reply(w, w.other, thread, "Two")
    err = refused(w, RateLimited, discussions.check_post_reply, w.other, thread.id, "Three")
    assert "today's limit of 2" in err.message


def test_reply_numbering_uses_the_locked_row_not_a_stale_copy(w: World) -> None:
    """Two replies racing: the second writer must number after the first, not collide.

    The writer's session already holds the thread (as it does between access_thread and the
    row lock inside post_reply) when another connection commits a reply."""
    thread = start(w)
    assert w.session.get(Thread, thread.id).post_count == 1  # loaded in this session
    with Session(w.engine) as racer:
        discussions.check_post_reply(racer, racer.get(User, w.member.id), thread.id, "I was first")
    post = reply(w, w.other, thread, "I was second")
    assert post.number == 3
    t = fresh(w, Thread, thread.id)
    assert (t.post_count, t.reply_count) == (3, 2)


# --- mentions and notifications ---------------------------------------------------------------


def test_reply_mentions_notify_community_members_only(w: World, make_user, changes) -> None:
    stranger = make_user(w.session, handle="stan-ger", created_at=utcnow() - OLD)
    thread = start(w, w.asker, w.closed, title="Port placement for obese patients in lap chole")
    changes.clear()
    post = reply(
        w,
        w.member,
        thread,
        "@helen-carter did this last week; @grace-adeyemi @stan-ger @ghost may know too.",
    )
    got = notes(w)
    assert (w.steward.id, "mention") in got
    assert all(uid not in (w.other.id, stranger.id) for uid, _ in got)
    mention = w.session.exec(
        select(Notification).where(
            Notification.user_id == w.steward.id, Notification.kind == "mention"
        )
    ).one()
    assert mention.actor_id == w.member.id
    assert (mention.thread_id, mention.post_id) == (thread.id, post.id)
    assert mention.link == f"/c/surgical-technique-exchange/t/{thread.id}#post-2"
    assert "Ravi Iyer mentioned you" in mention.text
    assert '<span class="mention">@helen-carter</span>' in post.body_html
    assert 'class="mention">@grace-adeyemi' not in post.body_html
    assert "post.mentioned" in activity_kinds(w)
    rooms = {r for c in changes if c.kind == "notification" for r in c.rooms}
    assert notifications.user_room(w.steward.id) in rooms


def test_followers_hear_of_replies_but_never_the_actor(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "Fix first.")
    assert notes(w) == [(w.asker.id, "reply")]
    reply(w, w.asker, thread, "Thanks, why?")
    assert notes(w)[1:] == [(w.member.id, "reply")]
    reply(w, w.other, thread, "Quarantine with a deadline.")
    assert sorted(notes(w)[2:]) == sorted([(w.asker.id, "reply"), (w.member.id, "reply")])
    note = w.session.exec(select(Notification).order_by(col(Notification.id).desc())).first()
    assert "Grace Adeyemi replied" in note.text


def test_a_mentioned_follower_gets_only_the_mention(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "Pinging @ada-l and @grace-adeyemi")
    assert sorted(notes(w)) == sorted([(w.asker.id, "mention"), (w.other.id, "mention")])


def test_self_mention_does_not_notify(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "Note to self @ravi-iyer")
    assert notes(w, w.member) == []


def test_followers_who_left_an_approval_community_are_not_told(w: World) -> None:
    """A reply notification carries the thread title; someone who can no longer read the
    thread must not receive it (nor see it among followed threads)."""
    thread = start(w, w.asker, w.closed, title="Near miss: retained swab count")
    reply(w, w.member, thread, "We changed our count sheet after a similar case.")
    membership = w.session.exec(
        select(Membership).where(
            Membership.community_id == w.closed.id, Membership.user_id == w.member.id
        )
    ).one()
    w.session.delete(membership)
    w.session.commit()
    reply(w, w.asker, thread, "Could you share the sheet?")
    assert notes(w, w.member) == []
    assert discussions.followed_unread(w.session, w.member) == []


# --- edit_post and revisions ------------------------------------------------------------------


def test_edit_own_post_keeps_a_revision(w: World, changes) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Quarantine them.")
    changes.clear()
    edited = discussions.check_edit_post(w.session, w.member, post.id, "Fix them first, @ada-l.")
    assert edited.body == "Fix them first, @ada-l."
    assert '<span class="mention">@ada-l</span>' in edited.body_html
    assert edited.edited_at is not None
    revision = w.session.exec(select(PostRevision)).one()
    assert (revision.post_id, revision.editor_id, revision.body, revision.title) == (
        post.id,
        w.member.id,
        "Quarantine them.",
        "",
    )
    discussions.check_edit_post(w.session, w.member, post.id, "Fix them first.")
    history = discussions.post_revisions(w.session, w.outsider, post.id)
    assert [h["body_html"] for h in history] == [
        "<p>Fix them first, @ada-l.</p>\n",
        "<p>Quarantine them.</p>\n",
    ]
    assert all(h["title"] == "" and h["when"] for h in history)
    assert "post.edited" in activity_kinds(w)
    assert any(
        c.kind == "post.edited" and discussions.thread_room(thread.id) in c.rooms for c in changes
    )
    view = discussions.read_posts(w.session, w.asker, thread.id)[1]
    assert view.edited is True


def test_edit_the_opening_post_can_change_the_title(w: World) -> None:
    thread = start(w)
    opening = w.session.exec(select(Post).where(Post.thread_id == thread.id)).one()
    discussions.check_edit_post(
        w.session, w.asker, opening.id, BODY, title="Flaky tests: fix first?"
    )
    assert fresh(w, Thread, thread.id).title == "Flaky tests: fix first?"
    revision = w.session.exec(select(PostRevision)).one()
    assert (revision.title, revision.body) == (TITLE, BODY)
    err = refused(w, Invalid, discussions.check_edit_post, w.asker, opening.id, BODY, title="abcd")
    assert err.field == "title"
    assert fresh(w, Thread, thread.id).title == "Flaky tests: fix first?"


def test_title_is_ignored_when_editing_a_reply(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Quarantine.")
    discussions.check_edit_post(w.session, w.member, post.id, "Fix.", title="Hijacked title")
    assert fresh(w, Thread, thread.id).title == TITLE


def test_edit_with_no_change_writes_nothing(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Quarantine.")
    before = w.row_counts(w.session)
    discussions.check_edit_post(w.session, w.member, post.id, "  Quarantine.  ")
    assert w.row_counts(w.session) == before
    assert fresh(w, Post, post.id).edited_at is None


def test_edit_refusals(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Quarantine.")
    refused(w, Forbidden, discussions.check_edit_post, w.other, post.id, "Not mine")
    refused(w, Forbidden, discussions.check_edit_post, w.steward, post.id, "Steward, not author")
    err = refused(w, Invalid, discussions.check_edit_post, w.member, post.id, "  ")
    assert err.field == "body"
    refused(w, NotFound, discussions.check_edit_post, w.member, 999_999, "Nowhere")
    discussions.check_delete_post(w.session, w.member, post.id)
    refused(w, Invalid, discussions.check_edit_post, w.member, post.id, "Resurrect")


def test_revisions_of_a_removed_post_are_not_shown_to_readers(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Patient details I should not have posted.")
    discussions.check_edit_post(w.session, w.member, post.id, "Redacted.")
    discussions.check_delete_post(w.session, w.member, post.id)
    try:
        history = discussions.post_revisions(w.session, w.other, post.id)
    except (NotFound, Forbidden):
        return
    assert all("Patient details" not in h["body_html"] for h in history)


# --- delete_post ------------------------------------------------------------------------------


def test_delete_post_is_a_soft_delete(w: World, changes) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Regrettable reply.")
    changes.clear()
    removed = discussions.check_delete_post(w.session, w.member, post.id)
    assert removed.deleted_at is not None
    assert fresh(w, Post, post.id).body == "Regrettable reply."  # kept for moderators
    views = discussions.read_posts(w.session, w.asker, thread.id)
    assert (views[1].removed, views[1].body_html) == (True, "")
    assert (views[0].removed, views[0].body_html != "") == (False, True)
    t = fresh(w, Thread, thread.id)
    assert (t.post_count, t.reply_count) == (2, 1)  # it keeps its place
    assert "post.deleted" in activity_kinds(w)
    assert any(c.kind == "post.deleted" for c in changes)
    refused(w, Invalid, discussions.check_delete_post, w.member, post.id)


def test_only_moderators_read_a_removed_posts_kept_text(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Wrong **dosage** posted by mistake.")
    refused(w, Invalid, discussions.removed_text, w.steward, post.id)  # not removed yet
    discussions.check_delete_post(w.session, w.member, post.id)
    assert "<strong>dosage</strong>" in discussions.removed_text(w.session, w.steward, post.id)
    assert "dosage" in discussions.removed_text(w.session, w.admin, post.id)
    for reader in (w.member, w.asker, w.other):  # the author included: it is removed
        refused(w, Forbidden, discussions.removed_text, reader, post.id)
    refused(w, NotFound, discussions.removed_text, w.steward, 999_999)


def test_delete_someone_elses_post_is_forbidden(w: World) -> None:

    thread = start(w)
    post = reply(w, w.member, thread, "Mine.")
    refused(w, Forbidden, discussions.check_delete_post, w.asker, post.id)
    refused(w, Forbidden, discussions.check_delete_post, w.outsider, post.id)
    refused(w, NotFound, discussions.check_delete_post, w.member, 999_999)


def test_deleting_the_accepted_answer_clears_it(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "The answer.")
    discussions.check_accept_answer(w.session, w.asker, thread.id, post.id)
    discussions.check_delete_post(w.session, w.member, post.id)
    assert fresh(w, Thread, thread.id).accepted_post_id is None
    assert discussions.accepted_post(w.session, w.asker, thread.id) == []


# --- reactions --------------------------------------------------------------------------------


def test_toggle_reaction_on_and_off(w: World, changes) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Useful answer.")
    changes.clear()
    assert discussions.check_toggle_reaction(w.session, w.asker, post.id, "helpful") is True
    assert discussions.check_toggle_reaction(w.session, w.asker, post.id, "thanks") is True
    assert discussions.check_toggle_reaction(w.session, w.other, post.id, "helpful") is True
    p, t = fresh(w, Post, post.id), fresh(w, Thread, thread.id)
    assert (p.helpful, p.insightful, p.thanks, t.reaction_count) == (2, 0, 1, 3)
    assert discussions.reactors(w.session, w.outsider, post.id) == {
        "helpful": ["Ada Lovelace", "Grace Adeyemi"],
        "insightful": [],
        "thanks": ["Ada Lovelace"],
    }
    view = discussions.read_posts(w.session, w.asker, thread.id)[1]
    assert sorted(view.reacted) == ["helpful", "thanks"]
    assert (view.helpful, view.thanks) == (2, 1)
    assert any(
        c.kind == "post.reacted" and discussions.thread_room(thread.id) in c.rooms for c in changes
    )
    assert activity_kinds(w).count("post.reacted") == 3
    said = w.session.exec(
        select(ActivityEvent.summary)
        .where(ActivityEvent.kind == "post.reacted")
        .order_by(col(ActivityEvent.id))
    ).all()
    assert said == [
        f"Ada Lovelace found a post by Ravi Iyer helpful in “{TITLE}”",
        f"Ada Lovelace thanked Ravi Iyer for a post in “{TITLE}”",
        f"Grace Adeyemi found a post by Ravi Iyer helpful in “{TITLE}”",
    ]

    assert discussions.check_toggle_reaction(w.session, w.asker, post.id, "helpful") is False
    assert discussions.check_toggle_reaction(w.session, w.asker, post.id, "thanks") is False
    assert discussions.check_toggle_reaction(w.session, w.other, post.id, "helpful") is False
    p, t = fresh(w, Post, post.id), fresh(w, Thread, thread.id)
    assert (p.helpful, p.insightful, p.thanks, t.reaction_count) == (0, 0, 0, 0)
    assert w.session.exec(select(func.count()).select_from(Reaction)).one() == 0
    assert activity_kinds(w).count("post.reacted") == 3  # taking back is not news


def test_one_reaction_of_each_kind_per_member(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Useful.")
    for _ in range(3):
        discussions.check_toggle_reaction(w.session, w.asker, post.id, "insightful")
    assert fresh(w, Post, post.id).insightful == 1
    rows = w.session.exec(select(Reaction).where(Reaction.post_id == post.id)).all()
    assert [(r.user_id, r.kind) for r in rows] == [(w.asker.id, "insightful")]


def test_reaction_refusals(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Useful.")
    for kind in ("like", "", None, "HELPFUL"):
        err = refused(w, Invalid, discussions.check_toggle_reaction, w.asker, post.id, kind)
        assert err.field == "kind"
    refused(w, Forbidden, discussions.check_toggle_reaction, w.outsider, post.id, "helpful")
    refused(w, Forbidden, discussions.check_toggle_reaction, None, post.id, "helpful")
    refused(w, NotFound, discussions.check_toggle_reaction, w.asker, 999_999, "helpful")
    discussions.check_delete_post(w.session, w.member, post.id)
    refused(w, Invalid, discussions.check_toggle_reaction, w.asker, post.id, "helpful")
    closed = start(w, w.member, w.closed, title="Theatre checklists")
    opening = w.session.exec(select(Post).where(Post.thread_id == closed.id)).one()
    refused(w, Forbidden, discussions.check_toggle_reaction, w.other, opening.id, "thanks")


# --- accepted answers -------------------------------------------------------------------------


def test_accept_change_and_clear_an_answer(w: World, changes) -> None:
    thread = start(w)
    first = reply(w, w.member, thread, "Fix first.")
    second = reply(w, w.other, thread, "Quarantine with an owner.")
    changes.clear()
    accepted = discussions.check_accept_answer(w.session, w.asker, thread.id, first.id)
    assert accepted.accepted_post_id == first.id
    assert notes(w, w.member)[-1] == (w.member.id, "accepted")
    note = w.session.exec(select(Notification).where(Notification.kind == "accepted")).one()
    assert note.link == f"/c/engineering-craft/t/{thread.id}#post-2"
    assert "was accepted" in note.text
    assert any(
        c.kind == "thread.accepted" and discussions.thread_room(thread.id) in c.rooms
        for c in changes
    )
    assert [v.id for v in discussions.accepted_post(w.session, w.outsider, thread.id)] == [first.id]
    views = discussions.read_posts(w.session, w.asker, thread.id)
    assert [v.accepted for v in views] == [False, True, False]
    rows = discussions.list_threads(w.session, w.asker, w.open.id)
    assert rows[0].answered is True

    discussions.check_accept_answer(w.session, w.asker, thread.id, second.id)
    assert fresh(w, Thread, thread.id).accepted_post_id == second.id
    assert (w.other.id, "accepted") in notes(w, w.other)

    discussions.check_accept_answer(w.session, w.asker, thread.id, None)
    assert fresh(w, Thread, thread.id).accepted_post_id is None
    assert discussions.accepted_post(w.session, w.asker, thread.id) == []
    assert activity_kinds(w).count("thread.answer_accepted") == 3


def test_a_steward_may_accept_and_the_asker_own_reply_is_not_notified(w: World) -> None:
    thread = start(w)
    own = reply(w, w.asker, thread, "Answering myself: we fixed the clock skew.")
    discussions.check_accept_answer(w.session, w.asker, thread.id, own.id)
    assert [n for n in notes(w) if n[1] == "accepted"] == []
    theirs = reply(w, w.member, thread, "Also pin the container clock.")
    discussions.check_accept_answer(w.session, w.steward, thread.id, theirs.id)
    assert fresh(w, Thread, thread.id).accepted_post_id == theirs.id
    discussions.check_accept_answer(w.session, w.admin, thread.id, "")
    assert fresh(w, Thread, thread.id).accepted_post_id is None


def test_accept_answer_refusals(w: World) -> None:
    thread = start(w)
    answer = reply(w, w.member, thread, "Fix first.")
    opening = w.session.exec(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    opening_id = opening.one().id
    elsewhere = start(w, w.member, title="Another question")
    foreign = reply(w, w.other, elsewhere, "Elsewhere.")
    discussion = start(w, w.member, kind="discussion", title="A discussion")
    talk = reply(w, w.asker, discussion, "Talk.")

    refused(w, Forbidden, discussions.check_accept_answer, w.other, thread.id, answer.id)
    refused(w, Forbidden, discussions.check_accept_answer, w.member, thread.id, answer.id)
    refused(w, Forbidden, discussions.check_accept_answer, w.outsider, thread.id, answer.id)
    refused(w, Invalid, discussions.check_accept_answer, w.asker, thread.id, opening_id)
    refused(w, Invalid, discussions.check_accept_answer, w.asker, thread.id, foreign.id)
    refused(w, Invalid, discussions.check_accept_answer, w.asker, thread.id, 999_999)
    refused(w, Invalid, discussions.check_accept_answer, w.member, discussion.id, talk.id)
    discussions.check_delete_post(w.session, w.member, answer.id)
    refused(w, Invalid, discussions.check_accept_answer, w.asker, thread.id, answer.id)
    assert fresh(w, Thread, thread.id).accepted_post_id is None


# --- moderation -------------------------------------------------------------------------------


def test_stewards_pin_and_lock_with_an_audit_entry(w: World, changes) -> None:
    thread = start(w)
    changes.clear()
    result = discussions.check_moderate_thread(
        w.session, w.steward, thread.id, pinned=True, locked=True
    )
    assert (result.pinned, result.locked) == (True, True)
    entry = w.session.exec(select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        w.steward.id,
        "thread.moderate",
        "thread",
        thread.id,
    )
    assert entry.after == "pinned=True, locked=True"
    assert "thread.moderated" in activity_kinds(w)
    assert any(
        c.kind == "thread.moderated" and discussions.list_room(w.open.id) in c.rooms
        for c in changes
    )
    # no change, no new audit entry
    discussions.check_moderate_thread(w.session, w.steward, thread.id, pinned=True)
    assert w.session.exec(select(func.count()).select_from(AuditEntry)).one() == 1
    discussions.check_moderate_thread(w.session, w.admin, thread.id, locked=False)
    assert fresh(w, Thread, thread.id).locked is False


def test_moderation_refusals(w: World) -> None:
    thread = start(w)
    refused(w, Forbidden, discussions.check_moderate_thread, w.asker, thread.id, pinned=True)
    refused(w, Forbidden, discussions.check_moderate_thread, w.member, thread.id, locked=True)
    refused(w, Forbidden, discussions.check_moderate_thread, w.outsider, thread.id, locked=True)
    refused(w, Invalid, discussions.check_moderate_thread, w.steward, thread.id, pinned="yes")
    assert fresh(w, Thread, thread.id).pinned is False


def test_pinned_threads_come_first_in_latest(w: World) -> None:
    old = insert_thread(w, w.open, w.member, "Old but pinned", age=timedelta(days=9))
    new = insert_thread(w, w.open, w.member, "Fresh discussion", age=timedelta(hours=1))
    rows = discussions.list_threads(w.session, w.asker, w.open.id, "latest")
    assert [r.id for r in rows] == [new.id, old.id]
    discussions.check_moderate_thread(w.session, w.steward, old.id, pinned=True)
    rows = discussions.list_threads(w.session, w.asker, w.open.id, "latest")
    assert [r.id for r in rows] == [old.id, new.id]
    assert rows[0].pinned is True


def test_latest_rows_is_the_shared_first_page(w: World) -> None:
    old = insert_thread(w, w.open, w.member, "Old but pinned", age=timedelta(days=9), pinned=True)
    new = insert_thread(w, w.open, w.other, "Fresh discussion", age=timedelta(hours=1), replies=2)
    insert_thread(w, w.open, w.other, "Hidden", age=timedelta(minutes=5), hidden=True)
    insert_thread(w, w.closed, w.member, "Other community", age=timedelta(minutes=1))
    rows = discussions.latest_rows(w.session, w.open.id)
    assert [r.id for r in rows] == [old.id, new.id]
    assert [r.unread for r in rows] == [0, 0]  # shared by every reader: no per-reader counts
    assert [(r.post_count, r.reply_count) for r in rows] == [(1, 0), (3, 2)]


def test_latest_marks_are_read_marks_on_the_shared_first_page(w: World) -> None:
    old = insert_thread(w, w.open, w.member, "Old but pinned", age=timedelta(days=9), pinned=True)
    new = insert_thread(w, w.open, w.other, "Fresh discussion", age=timedelta(hours=1), replies=2)
    insert_thread(w, w.open, w.other, "Hidden", age=timedelta(minutes=5), hidden=True)
    discussions.check_mark_read(w.session, w.asker, new.id, 2)
    cid, ids, marks = discussions.latest_marks(w.session, w.asker, w.open.slug)
    assert cid == w.open.id
    assert ids == [r.id for r in discussions.latest_rows(w.session, w.open.id)] == [old.id, new.id]
    assert marks == discussions.read_marks(w.session, w.asker, w.open.id, ids) == {str(new.id): 2}
    closed = start(w, w.member, w.closed, title="Theatre checklists")
    assert closed.id
    refused(w, Forbidden, discussions.latest_marks, w.outsider, w.closed.slug)
    refused(w, NotFound, discussions.latest_marks, w.asker, "no-such-place")
    refused(w, Forbidden, discussions.read_marks, w.outsider, w.closed.id, [closed.id])
    refused(w, Forbidden, discussions.latest_marks, None, w.open.slug)


# --- following and reading --------------------------------------------------------------------


def test_follow_unfollow_and_unread(w: World) -> None:
    thread = start(w)
    assert discussions.check_set_following(w.session, w.other, thread.id, True) is True
    assert (
        discussions.check_set_following(w.session, w.other, thread.id, True) is True
    )  # idempotent
    assert discussions.get_thread(w.session, w.other, thread.id).following is True
    rows = discussions.followed_unread(w.session, w.other)
    assert [(r.id, r.unread) for r in rows] == [(thread.id, 1)]
    reply(w, w.member, thread, "Fix first.")
    reply(w, w.asker, thread, "Why?")
    assert [(r.id, r.unread) for r in discussions.followed_unread(w.session, w.other)] == [
        (thread.id, 3)
    ]
    assert discussions.followed_unread(w.session, w.asker) == []  # read up to their own reply
    discussions.check_mark_read(w.session, w.other, thread.id, 2)
    assert discussions.followed_unread(w.session, w.other)[0].unread == 1
    discussions.check_mark_read(w.session, w.other, thread.id, 1)  # never goes back
    assert discussions.followed_unread(w.session, w.other)[0].unread == 1
    discussions.check_mark_read(w.session, w.other, thread.id, 99)  # capped at the last post
    assert discussions.followed_unread(w.session, w.other) == []
    read = w.session.exec(
        select(ThreadRead.last_read_number).where(
            ThreadRead.thread_id == thread.id, ThreadRead.user_id == w.other.id
        )
    ).one()
    assert read == 3
    assert discussions.check_set_following(w.session, w.other, thread.id, False) is False
    assert discussions.get_thread(w.session, w.other, thread.id).following is False
    reply(w, w.member, thread, "More.")
    assert discussions.followed_unread(w.session, w.other) == []
    assert notes(w, w.other) == [(w.other.id, "reply")] * 2  # only while following


def test_follow_and_read_refusals(w: World) -> None:
    thread = start(w, w.member, w.closed, title="Theatre checklists")
    refused(w, Invalid, discussions.check_set_following, w.asker, thread.id, "yes")
    refused(w, Forbidden, discussions.check_set_following, w.outsider, thread.id, True)
    refused(w, Forbidden, discussions.check_mark_read, w.outsider, thread.id, 1)
    refused(w, Invalid, discussions.check_mark_read, w.asker, thread.id, 0)
    refused(w, Invalid, discussions.check_mark_read, w.asker, thread.id, "x")
    refused(w, Forbidden, discussions.followed_unread, None)


def test_reads_write_nothing_and_commit_nothing(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "One.")
    unread = discussions.list_threads(w.session, w.asker, w.open.id)[0].unread
    before = w.row_counts(w.session)
    commits: list[int] = []
    event.listen(w.session, "after_commit", lambda _s: commits.append(1))
    discussions.open_thread(w.session, w.asker, thread.id)
    discussions.read_posts(w.session, w.asker, thread.id)
    discussions.get_thread(w.session, w.asker, thread.id)
    discussions.list_threads(w.session, w.asker, w.open.id)
    discussions.followed_unread(w.session, w.asker)
    assert commits == []
    assert w.row_counts(w.session) == before
    assert unread == 1  # the reply: reading it is not marking it read
    assert discussions.list_threads(w.session, w.asker, w.open.id)[0].unread == unread


def test_opening_a_thread_marks_its_page_read_on_one_access_proof(w: World) -> None:
    size = settings.POSTS_PAGE_SIZE
    thread = insert_thread(w, w.open, w.member, "Long thread", posts=size + 5)
    with counting(w.engine) as seen:
        view, first = discussions.check_open_thread(w.session, w.asker, thread.id)
    access_queries = [q for q in seen if "JOIN membership" in q and "FROM thread" in q]
    assert len(access_queries) == 1  # the read and the mark share it
    assert view.id == thread.id and [p.number for p in first] == list(range(1, size + 1))
    assert discussions.list_threads(w.session, w.asker, w.open.id)[0].unread == 5
    with counting(w.engine) as seen:
        more = discussions.check_read_more(w.session, w.asker, thread.id, size)
    assert len([q for q in seen if "JOIN membership" in q and "FROM thread" in q]) == 1
    assert [p.number for p in more] == list(range(size + 1, size + 6))
    assert discussions.list_threads(w.session, w.asker, w.open.id)[0].unread == 0
    discussions.check_set_following(w.session, w.asker, thread.id, True)
    with counting(w.engine) as seen:  # a reopen: the follow and the mark come with access
        view, _ = discussions.check_open_thread(w.session, w.asker, thread.id)
    assert view.following is True
    assert not [q for q in seen if q.startswith(("SELECT threadfollow", "SELECT threadread"))]
    assert not [q for q in seen if not q.startswith("SELECT")]  # nothing to mark
    closed = start(w, w.member, w.closed, title="Theatre checklists")
    refused(w, Forbidden, discussions.check_open_thread, w.outsider, closed.id)
    refused(w, Forbidden, discussions.check_read_more, w.outsider, closed.id, 0)
    refused(w, Invalid, discussions.check_read_more, w.asker, thread.id, "later")


def test_unread_per_row_in_lists(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "One.")
    reply(w, w.other, thread, "Two.")
    rows = {r.id: r.unread for r in discussions.list_threads(w.session, w.asker, w.open.id)}
    assert rows == {thread.id: 2}
    rows = {r.id: r.unread for r in discussions.list_threads(w.session, w.outsider, w.open.id)}
    assert rows == {thread.id: 3}  # never opened: everything is unread
    discussions.check_mark_read(w.session, w.asker, thread.id, 3)
    assert discussions.list_threads(w.session, w.asker, w.open.id)[0].unread == 0


def test_read_posts_pages_and_the_reader_marks_each_page_read(w: World) -> None:
    size = settings.POSTS_PAGE_SIZE
    thread = insert_thread(w, w.open, w.member, "Long thread", posts=size + 5)
    first = discussions.read_posts(w.session, w.asker, thread.id)
    assert [p.number for p in first] == list(range(1, size + 1))
    discussions.check_mark_read(w.session, w.asker, thread.id, first[-1].number)
    assert discussions.list_threads(w.session, w.asker, w.open.id)[0].unread == 5
    second = discussions.read_posts(w.session, w.asker, thread.id, size)
    assert [p.number for p in second] == list(range(size + 1, size + 6))
    discussions.check_mark_read(w.session, w.asker, thread.id, second[-1].number)
    assert discussions.list_threads(w.session, w.asker, w.open.id)[0].unread == 0
    assert discussions.read_posts(w.session, w.asker, thread.id, size + 5) == []
    refused(w, Invalid, discussions.read_posts, w.asker, thread.id, "later")
    assert first[0].author_handle == "ravi-iyer"
    assert first[0].author_name == "Ravi Iyer"
    assert first[0].mine is False
    assert discussions.read_posts(w.session, w.member, thread.id)[0].mine is True


# --- lists ------------------------------------------------------------------------------------


def test_list_threads_sorts(w: World) -> None:
    a = insert_thread(
        w,
        w.open,
        w.member,
        "Answered question",
        kind="question",
        age=timedelta(days=5),
        active_age=timedelta(hours=1),
        replies=2,
        reactions=4,
    )
    a.accepted_post_id = w.session.exec(
        select(Post.id).where(Post.thread_id == a.id, Post.number == 2)
    ).one()
    w.session.add(a)
    w.session.commit()
    b = insert_thread(
        w, w.open, w.member, "Open question", kind="question", age=timedelta(days=2), reactions=1
    )
    c = insert_thread(w, w.open, w.other, "A discussion", age=timedelta(days=1), reactions=9)
    d = insert_thread(
        w,
        w.open,
        w.other,
        "Replied question",
        kind="question",
        age=timedelta(days=3),
        active_age=timedelta(hours=12),
        replies=1,
    )
    e = insert_thread(
        w, w.open, w.other, "Older open question", kind="question", age=timedelta(days=4)
    )

    def ids(sort: str) -> list[int]:
        return [r.id for r in discussions.list_threads(w.session, w.asker, w.open.id, sort)]

    assert ids("latest") == [a.id, d.id, c.id, b.id, e.id]
    assert ids("newest") == [c.id, b.id, d.id, e.id, a.id]
    assert ids("top") == [c.id, a.id, b.id, e.id, d.id]
    assert ids("unanswered") == [b.id, e.id]
    row = next(r for r in discussions.list_threads(w.session, w.asker, w.open.id) if r.id == a.id)
    assert (row.title, row.kind, row.author_name, row.reply_count, row.reaction_count) == (
        "Answered question",
        "question",
        "Ravi Iyer",
        2,
        4,
    )
    assert (row.answered, row.community_slug, row.community_name) == (
        True,
        "engineering-craft",
        "Engineering Craft Guild",
    )


def test_list_threads_refuses_an_unknown_sort(w: World) -> None:
    for sort in ("popular", "", None, "LATEST"):
        err = refused(w, Invalid, discussions.list_threads, w.asker, w.open.id, sort)
        assert err.field == "sort"


def test_list_threads_pages(w: World) -> None:
    size = settings.THREADS_PAGE_SIZE
    for n in range(size + 2):
        w.session.add(
            Thread(
                community_id=w.open.id,
                author_id=w.member.id,
                title=f"Thread {n:02d}",
                created_at=utcnow() - timedelta(hours=n),
                last_activity_at=utcnow() - timedelta(hours=n),
            )
        )
    w.session.commit()
    first = discussions.list_threads(w.session, w.asker, w.open.id, "newest", 1)
    second = discussions.list_threads(w.session, w.asker, w.open.id, "newest", 2)
    assert len(first) == size
    assert [r.title for r in second] == [f"Thread {size:02d}", f"Thread {size + 1:02d}"]
    assert discussions.list_threads(w.session, w.asker, w.open.id, "newest", 3) == []
    assert [r.id for r in discussions.list_threads(w.session, w.asker, w.open.id, "newest", 0)] == [
        r.id for r in first
    ]
    refused(w, Invalid, discussions.list_threads, w.asker, w.open.id, "newest", -1)
    refused(w, Invalid, discussions.list_threads, w.asker, w.open.id, "newest", "two")
    refused(w, NotFound, discussions.list_threads, w.asker, 999_999)


# --- get_thread -------------------------------------------------------------------------------


def test_get_thread_permission_flags(w: World) -> None:
    thread = start(w)

    def flags(user: User) -> tuple[bool, bool, bool, bool]:
        v = discussions.get_thread(w.session, user, thread.id)
        return (v.is_member, v.can_reply, v.can_accept, v.can_moderate)

    assert flags(w.asker) == (True, True, True, False)
    assert flags(w.member) == (True, True, False, False)
    assert flags(w.steward) == (True, True, True, True)
    assert flags(w.admin) == (False, False, True, True)
    assert flags(w.outsider) == (False, False, False, False)
    view = discussions.get_thread(w.session, w.asker, thread.id)
    assert (view.title, view.kind, view.tags, view.author_name, view.post_count) == (
        TITLE,
        "question",
        ["testing", "ci"],
        "Ada Lovelace",
        1,
    )
    assert (view.community_slug, view.accepted_post_id, view.following) == (
        "engineering-craft",
        0,
        True,
    )
    discussions.check_moderate_thread(w.session, w.steward, thread.id, locked=True)
    assert flags(w.asker) == (True, False, True, False)
    assert flags(w.steward) == (True, False, True, True)
    talk = start(w, w.member, kind="discussion", title="Just talking")
    assert discussions.get_thread(w.session, w.member, talk.id).can_accept is False
    assert discussions.get_thread(w.session, w.steward, talk.id).can_accept is False
    refused(w, NotFound, discussions.get_thread, w.asker, 999_999)
    refused(w, Invalid, discussions.get_thread, w.asker, "abc")


# --- hidden threads and posts -----------------------------------------------------------------


def test_hidden_threads_are_invisible_to_members_visible_to_stewards(w: World) -> None:
    thread = start(w)
    visible = start(w, w.member, title="A visible thread")
    w.session.get(Thread, thread.id).hidden = True
    w.session.commit()
    for reader in (w.asker, w.member, w.outsider):
        refused(w, NotFound, discussions.get_thread, reader, thread.id)
        refused(w, NotFound, discussions.read_posts, reader, thread.id)
    refused(w, NotFound, discussions.check_post_reply, w.member, thread.id, "Hello?")
    assert [r.id for r in discussions.list_threads(w.session, w.asker, w.open.id)] == [visible.id]
    assert [r.id for r in discussions.home_latest(w.session, w.member)] == [visible.id]
    assert discussions.followed_unread(w.session, w.asker) == []
    assert discussions.get_thread(w.session, w.steward, thread.id).can_moderate is True
    assert [p.number for p in discussions.read_posts(w.session, w.steward, thread.id)] == [1]
    assert discussions.get_thread(w.session, w.admin, thread.id).id == thread.id


def test_hidden_posts_are_blank_for_everyone_and_unreachable_for_members(w: World) -> None:
    thread = start(w)
    post = reply(w, w.member, thread, "Hidden by a moderator.")
    w.session.get(Post, post.id).hidden = True
    w.session.commit()
    views = discussions.read_posts(w.session, w.asker, thread.id)
    assert (views[1].removed, views[1].body_html) == (True, "")
    refused(w, NotFound, discussions.check_toggle_reaction, w.asker, post.id, "helpful")
    refused(w, NotFound, discussions.reactors, w.asker, post.id)
    refused(w, Invalid, discussions.check_accept_answer, w.steward, thread.id, post.id)
    assert discussions.reactors(w.session, w.steward, post.id)["helpful"] == []


# --- mention candidates -----------------------------------------------------------------------


def test_mention_candidates_prefix_on_handle_or_name(w: World) -> None:
    def handles(prefix: object, user: User | None = None, community: Community | None = None):
        rows = discussions.mention_candidates(
            w.session, user or w.asker, (community or w.open).id, prefix
        )
        return [r["handle"] for r in rows]

    assert handles("ra") == ["ravi-iyer"]
    assert handles("@RA") == ["ravi-iyer"]
    assert handles("grace") == ["grace-adeyemi"]  # display name
    assert handles("dr") == ["helen-carter"]  # "Dr Helen Carter"
    assert handles("iyer") == []  # a prefix, not anywhere
    assert handles("olga") == []  # not a member
    assert handles("pat", community=w.closed) == []  # pending is not a member yet
    assert handles("") == ["ada-l", "helen-carter", "grace-adeyemi", "ravi-iyer"]  # by name
    row = discussions.mention_candidates(w.session, w.asker, w.open.id, "ravi")[0]
    assert row == {"handle": "ravi-iyer", "name": "Ravi Iyer"}
    refused(w, Forbidden, discussions.mention_candidates, w.outsider, w.open.id, "ra")
    refused(w, Forbidden, discussions.mention_candidates, w.pending, w.closed.id, "ra")
    refused(w, Invalid, discussions.mention_candidates, w.asker, w.open.id, "x" * 41)


def test_mention_candidates_are_capped(w: World, make_user, add_member) -> None:
    for n in range(settings.MENTION_SUGGESTIONS + 3):
        add_member(w.session, w.open, make_user(w.session, handle=f"mx-{n:02d}"))
    rows = discussions.mention_candidates(w.session, w.asker, w.open.id, "mx")
    assert len(rows) == settings.MENTION_SUGGESTIONS


def test_mention_candidates_treat_like_wildcards_literally(w: World) -> None:
    assert discussions.mention_candidates(w.session, w.asker, w.open.id, "%") == []
    assert discussions.mention_candidates(w.session, w.asker, w.open.id, "_a") == []


# --- home page --------------------------------------------------------------------------------


def test_home_latest_lists_only_the_members_communities(w: World) -> None:
    in_open = insert_thread(w, w.open, w.member, "Open guild thread", age=timedelta(hours=3))
    in_closed = insert_thread(w, w.closed, w.member, "Theatre thread", age=timedelta(hours=1))
    assert [r.id for r in discussions.home_latest(w.session, w.asker)] == [in_closed.id, in_open.id]
    assert [r.id for r in discussions.home_latest(w.session, w.other)] == [in_open.id]
    assert discussions.home_latest(w.session, w.outsider) == []
    assert discussions.home_latest(w.session, w.pending) == []


def test_home_latest_is_capped(w: World) -> None:
    for n in range(settings.HOME_LIST_SIZE + 2):
        insert_thread(w, w.open, w.member, f"Thread {n}", age=timedelta(hours=n))
    rows = discussions.home_latest(w.session, w.asker)
    assert [r.title for r in rows] == [f"Thread {n}" for n in range(settings.HOME_LIST_SIZE)]


def test_could_help_lists_unanswered_questions_matching_expertise(w: World) -> None:
    # member's expertise: laparoscopy code-review
    match = insert_thread(
        w, w.closed, w.asker, "Port placement", kind="question", tags="surgery laparoscopy"
    )
    partial = insert_thread(
        w, w.open, w.other, "Review etiquette", kind="question", tags="code-review-etiquette"
    )
    talk = insert_thread(w, w.open, w.other, "Review chat", tags="code-review")
    own = insert_thread(w, w.open, w.member, "My own", kind="question", tags="code-review")
    answered = insert_thread(
        w, w.open, w.other, "Answered", kind="question", tags="code-review", replies=1
    )
    answered.accepted_post_id = w.session.exec(
        select(Post.id).where(Post.thread_id == answered.id, Post.number == 2)
    ).one()
    w.session.add(answered)
    replied = insert_thread(
        w, w.open, w.other, "Replied, not accepted", kind="question", tags="code-review", replies=1
    )
    hidden = insert_thread(
        w, w.open, w.other, "Hidden", kind="question", tags="code-review", hidden=True
    )
    w.session.commit()
    ids = [r.id for r in discussions.could_help(w.session, w.member)]
    assert ids == [match.id, replied.id]  # fewest replies first
    for excluded in (partial, talk, own, answered, hidden):
        assert excluded.id not in ids
    # outsider has matching expertise but belongs to no community
    assert discussions.could_help(w.session, w.outsider) == []
    assert discussions.could_help(w.session, w.other) == []  # no expertise
    refused(w, Forbidden, discussions.could_help, None)


# --- notifications ----------------------------------------------------------------------------


def test_notifications_unread_count_latest_first_and_mark_read(w: World, changes) -> None:
    thread = start(w)
    reply(w, w.member, thread, "One.")
    reply(w, w.other, thread, "Two, @ada-l.")
    count, rows = notifications.bell(w.session, w.asker)
    assert count == 2
    assert [r.text for r in rows] == [
        f"Grace Adeyemi mentioned you in “{TITLE}”",
        f"Ravi Iyer replied in “{TITLE}”",
    ]
    assert all(r.unread for r in rows)
    assert rows[0].link == f"/c/engineering-craft/t/{thread.id}#post-3"
    member_before = notifications.bell(w.session, w.member)[0]
    changes.clear()
    notifications.mark_all_read(w.session, w.asker)
    count, rows = notifications.bell(w.session, w.asker)
    assert count == 0
    assert not any(r.unread for r in rows)
    assert notifications.bell(w.session, w.member)[0] == member_before
    assert [c.rooms for c in changes] == [(notifications.user_room(w.asker.id),)]
    assert notifications.unread_and_latest(w.session, w.asker.id)[0] == 0
    refused(w, Forbidden, notifications.bell, None)
    refused(w, Forbidden, notifications.mark_all_read, None)


def test_replies_on_one_thread_fold_into_one_line_of_the_bell(w: World) -> None:
    """ "Ravi Iyer and 2 others replied in …": one line, opened once, marks them all read."""
    thread, elsewhere = start(w), start(w, title="Another question about fixtures")
    reply(w, w.other, thread, "One.")
    reply(w, w.steward, thread, "Two.")
    reply(w, w.member, elsewhere, "Elsewhere.")
    reply(w, w.member, thread, "Three.")
    reply(w, w.member, thread, "Four.")
    count, rows = notifications.bell(w.session, w.asker)
    assert count == 5
    assert [r.text for r in rows] == [
        f"Ravi Iyer and 2 others replied in “{TITLE}”",
        "Ravi Iyer replied in “Another question about fixtures”",
    ]
    assert rows[0].link.endswith("#post-5") and len(rows[0].ids) == 4
    assert notifications.check_mark_read(w.session, w.asker, rows[0].ids) == 4
    count, rows = notifications.bell(w.session, w.asker)
    assert count == 1 and [r.unread for r in rows] == [False, True]
    assert notifications.check_mark_read(w.session, w.member, rows[1].ids) == 0  # not theirs
    assert notifications.bell(w.session, w.asker)[0] == 1
    reply(w, w.other, thread, "Five, news after the others were read.")
    count, rows = notifications.bell(w.session, w.asker)
    assert [(r.text, r.unread) for r in rows] == [
        (f"Grace Adeyemi replied in “{TITLE}”", True),
        (f"Ravi Iyer and 2 others replied in “{TITLE}”", False),
        ("Ravi Iyer replied in “Another question about fixtures”", True),
    ]


def test_one_person_replying_often_reads_as_one_line_with_a_count(w: World) -> None:
    thread = start(w)
    reply(w, w.member, thread, "One.")
    reply(w, w.member, thread, "Two.")
    assert [r.text for r in notifications.bell(w.session, w.asker)[1]] == [
        f"Ravi Iyer replied in “{TITLE}” (2 times)"
    ]


@pytest.mark.parametrize("ids", [None, [], "1", ["x"], [1.5], list(range(500))])
def test_marking_a_line_read_refuses_bad_ids(w: World, ids: Any) -> None:
    refused(w, Invalid, notifications.check_mark_read, w.asker, ids)


def test_notifications_list_is_capped(w: World) -> None:
    size = settings.NOTIFICATIONS_PAGE_SIZE
    for n in range(size + 3):
        w.session.add(Notification(user_id=w.asker.id, kind="reply", text=f"N{n}"))
    w.session.commit()
    count, rows = notifications.unread_and_latest(w.session, w.asker.id)
    assert count == size + 3
    assert len(rows) == size
    assert rows[0].text == f"N{size + 2}"


def test_many_followers_bells_and_followed_threads_read_in_one_pass(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a reply re-reads for every follower at once: each member's own bell and followed
    threads (capped, newest first, closed communities only while a member), in a fixed
    number of queries however many members."""
    monkeypatch.setattr(settings, "HOME_LIST_SIZE", 2)
    monkeypatch.setattr(settings, "NOTIFICATIONS_PAGE_SIZE", 2)
    t0, t1, t2 = (start(w, title=f"Fixture question number {i}, flaky or not?") for i in range(3))
    closed = start(w, w.member, w.closed, title="Theatre checklists")
    # Follows kept from before: `other` is no member of the closed community.
    w.session.add_all(ThreadFollow(thread_id=t.id, user_id=w.other.id) for t in (t0, t1, closed))
    w.session.commit()
    for t in (t0, t1, t2):
        reply(w, w.member, t, "Fix first.")
    reply(w, w.asker, closed, "Checked.")
    reply(w, w.steward, t2, "Quarantine.")
    people = [w.asker, w.member, w.other, w.steward, w.outsider]
    ids = [u.id for u in people]
    with counting(w.engine) as seen:
        followed = discussions.followed_unread_many(w.session, ids)
    assert len(seen) == 1
    assert {u.handle: [(r.id, r.unread) for r in followed[u.id]] for u in people} == {
        "ada-l": [(t2.id, 2), (t1.id, 1)],
        "ravi-iyer": [(t2.id, 1), (closed.id, 1)],
        "grace-adeyemi": [(t1.id, 2), (t0.id, 2)],
        "helen-carter": [],
        "olga-o": [],
    }
    with counting(w.engine) as seen:
        bells = notifications.unread_and_latest_many(w.session, ids)
    assert len(seen) == 3
    dated = {r.id: r.created_at for _, rows in bells.values() for r in rows}
    assert dated == {
        n.id: n.created_at for n in w.session.exec(select(Notification)) if n.id in dated
    }
    lines = {u.handle: (bells[u.id][0], [r.text for r in bells[u.id][1]]) for u in people}
    q = "Fixture question number {}, flaky or not?"
    assert lines == {
        "ada-l": (
            4,
            [
                f"Dr Helen Carter and 1 other replied in “{q.format(2)}”",
                f"Ravi Iyer replied in “{q.format(1)}”",
            ],
        ),
        "ravi-iyer": (
            2,
            [
                f"Dr Helen Carter replied in “{q.format(2)}”",
                "Ada Lovelace replied in “Theatre checklists”",
            ],
        ),
        "grace-adeyemi": (
            2,
            [f"Ravi Iyer replied in “{q.format(1)}”", f"Ravi Iyer replied in “{q.format(0)}”"],
        ),
        "helen-carter": (0, []),
        "olga-o": (0, []),
    }
    for u in people:  # one member alone reads the same
        assert discussions.followed_unread(w.session, u) == followed[u.id]
        assert notifications.unread_and_latest(w.session, u.id) == bells[u.id]
    assert discussions.followed_unread_many(w.session, []) == {}
    assert notifications.unread_and_latest_many(w.session, []) == {}


# --- demo data --------------------------------------------------------------------------------


def test_seed_loads_consistent_discussions_in_every_community(session: Session) -> None:
    from cop_app.seed import COMMUNITIES, seed

    assert seed(session) is True
    assert seed(session) is False  # idempotent: only into an empty database
    threads = session.exec(select(Thread)).all()
    posts = session.exec(select(Post)).all()
    reactions = session.exec(select(Reaction)).all()
    by_thread: dict[int, list[Post]] = {}
    for p in posts:
        by_thread.setdefault(p.thread_id, []).append(p)
    post_of = {p.id: p for p in posts}
    for t in threads:
        mine = sorted(by_thread[t.id], key=lambda p: p.number)
        assert [p.number for p in mine] == list(range(1, len(mine) + 1)), t.title
        assert mine[0].author_id == t.author_id
        assert t.post_count == len(mine), t.title
        assert t.reply_count == len(mine) - 1, t.title
        assert t.first_reply_at == (mine[1].created_at if len(mine) > 1 else None), t.title
        assert t.last_activity_at == mine[-1].created_at, t.title
        assert t.created_at == mine[0].created_at, t.title
        assert all(a.created_at <= b.created_at for a, b in itertools.pairwise(mine))
        assert t.reaction_count == sum(p.helpful + p.insightful + p.thanks for p in mine), t.title
        if t.accepted_post_id is not None:
            assert t.kind == "question"
            answer = post_of[t.accepted_post_id]
            assert answer.thread_id == t.id and answer.number > 1
        assert mine[-1].created_at <= utcnow()
    for p in posts:
        kinds = [r.kind for r in reactions if r.post_id == p.id]
        assert (p.helpful, p.insightful, p.thanks) == (
            kinds.count("helpful"),
            kinds.count("insightful"),
            kinds.count("thanks"),
        )
        assert p.body_html and "<script" not in p.body_html
    members = {
        (m.community_id, m.user_id)
        for m in session.exec(select(Membership).where(Membership.status == "active")).all()
    }
    thread_of = {t.id: t for t in threads}
    for r in reactions:
        assert (thread_of[post_of[r.post_id].thread_id].community_id, r.user_id) in members
    for p in posts:
        assert (thread_of[p.thread_id].community_id, p.author_id) in members
    reads = session.exec(select(ThreadRead)).all()
    for r in reads:
        assert 0 <= r.last_read_number <= thread_of[r.thread_id].post_count
    # Thread notifications name a thread of a community the person is in (the mentorship
    # seed's and the library's name a board or a resource: their own seed tests).
    for n in session.exec(select(Notification)).all():
        if n.kind.startswith(("mentorship.", "board.", "library.")):
            continue
        assert n.thread_id in thread_of
        assert (thread_of[n.thread_id].community_id, n.user_id) in members

    communities = session.exec(select(Community)).all()
    assert {c.slug for c in communities} == {c[0] for c in COMMUNITIES}
    for c in communities:
        mine = [t for t in threads if t.community_id == c.id]
        assert len(mine) >= 4, c.slug
        assert any(t.accepted_post_id for t in mine), c.slug
        assert any(
            t.kind == "question" and t.accepted_post_id is None and t.reply_count == 0 for t in mine
        ), c.slug
        assert any(t.kind == "discussion" and t.reply_count >= 2 for t in mine), c.slug
        assert c.last_activity_at >= max(t.last_activity_at for t in mine), c.slug
    assert any('class="mention"' in p.body_html for p in posts)
    assert session.exec(select(func.count()).select_from(Notification)).one() > 0
    assert session.exec(select(func.count()).select_from(ThreadFollow)).one() > 0
    kinds = set(session.exec(select(ActivityEvent.kind)).all())
    assert {"thread.created", "post.created"} <= kinds

    # what the demo shows through the services
    users = {u.handle: u for u in session.exec(select(User)).all()}
    assert all(u.handle for u in users.values())
    open_questions = [t for t in threads if t.kind == "question" and t.accepted_post_id is None]
    helpers = {
        (t.id, m.user_id)
        for t in open_questions
        for m in session.exec(select(Membership).where(Membership.status == "active")).all()
        if m.community_id == t.community_id
        and m.user_id != t.author_id
        and set(t.tags.split()) & set(session.get(User, m.user_id).expertise.split())
    }
    # every community shows "you could help here" to someone
    assert {thread_of[tid].community_id for tid, _ in helpers} == {c.id for c in communities}
    assert any(discussions.followed_unread(session, u) for u in users.values())
    assert any(notifications.bell(session, u)[0] for u in users.values())


# --- idempotency keys: a Post retried after a crash creates nothing new ------------------------

KEY = "k" * 21 + "-draft_1"


def test_a_reply_posted_twice_with_one_key_is_one_reply(
    w: World, monkeypatch: pytest.MonkeyPatch, changes
) -> None:
    monkeypatch.setattr(settings, "POST_MIN_INTERVAL", REAL_POST_MIN_INTERVAL)
    thread = start(w)
    first = discussions.check_post_reply(
        w.session, w.member, thread.id, "Fix first.", client_key=KEY
    )
    changes.clear()
    before = w.row_counts(w.session)
    # the acknowledgement was lost; Post again (within the rate-limit interval) with the same key
    again = discussions.check_post_reply(
        w.session, w.member, thread.id, "Fix first.", client_key=KEY
    )
    assert again.id == first.id
    assert w.row_counts(w.session) == before
    assert changes == []
    assert fresh(w, Thread, thread.id).reply_count == 1


def test_a_thread_started_twice_with_one_key_is_one_thread(w: World) -> None:
    data = discussions.clean_thread_input("question", TITLE, BODY, "")
    first = discussions.check_create_thread(w.session, w.asker, w.open.id, data, client_key=KEY)
    before = w.row_counts(w.session)
    again = discussions.check_create_thread(w.session, w.asker, w.open.id, data, client_key=KEY)
    assert again.id == first.id
    assert w.row_counts(w.session) == before
    # a thread's key is not a reply's: posting a reply with it is refused, nothing written
    refused(w, Invalid, discussions.check_post_reply, w.asker, first.id, "Me.", client_key=KEY)


def test_another_authors_key_does_not_collide(w: World) -> None:
    thread = start(w)
    mine = discussions.check_post_reply(w.session, w.member, thread.id, "Mine.", client_key=KEY)
    theirs = discussions.check_post_reply(w.session, w.other, thread.id, "Theirs.", client_key=KEY)
    assert mine.id != theirs.id
    assert (mine.author_id, theirs.author_id) == (w.member.id, w.other.id)
    # keyless posts never collide either
    assert reply(w, w.member, thread).id != reply(w, w.member, thread).id


def test_a_key_reused_in_another_thread_is_refused(w: World) -> None:
    first, second = start(w), start(w, title="Another question entirely")
    discussions.check_post_reply(w.session, w.member, first.id, "Here.", client_key=KEY)
    err = refused(
        w, Invalid, discussions.check_post_reply, w.member, second.id, "There.", client_key=KEY
    )
    assert "already posted" in err.message


@pytest.mark.parametrize(
    "key",
    ["short", "x" * 65, "has space in it and is long", "ünïcode-ünïcode-ünïcode", 12345, ["k"]],
)
def test_a_bad_key_is_refused(w: World, key: Any) -> None:
    thread = start(w)
    err = refused(
        w, Invalid, discussions.check_post_reply, w.member, thread.id, "Hi.", client_key=key
    )
    assert "key is not valid" in err.message
    data = discussions.clean_thread_input("question", TITLE, BODY, "")
    refused(w, Invalid, discussions.check_create_thread, w.asker, w.open.id, data, client_key=key)


def test_a_draft_posted_twice_at_once_returns_the_row_that_won(
    w: World, monkeypatch: pytest.MonkeyPatch, changes
) -> None:
    thread = start(w)
    first = discussions.check_post_reply(w.session, w.member, thread.id, "Once.", client_key=KEY)
    # the second request looked before the first committed: only the unique key stops it
    real, looks = guards.already_posted, []

    def raced(*args: Any, **kw: Any) -> Post | None:
        looks.append(1)
        return None if len(looks) == 1 else real(*args, **kw)

    monkeypatch.setattr(guards, "already_posted", raced)
    changes.clear()
    before = w.row_counts(w.session)
    again = discussions.check_post_reply(w.session, w.member, thread.id, "Once.", client_key=KEY)
    assert again.id == first.id and len(looks) == 2
    assert w.row_counts(w.session) == before
    assert changes == []
    assert fresh(w, Thread, thread.id).post_count == 2


# --- check_ / do_: the do_ functions write, dated by `now`, and leave the commit to the caller ----


def test_do_functions_write_dated_rows_and_commit_nothing(w: World, changes) -> None:
    """What seeds rely on: a past `now` dates every row a write makes, no rate limit applies,
    and nothing is committed (or announced) until the caller commits."""
    past = utcnow() - timedelta(days=3)
    data = discussions.clean_thread_input("question", TITLE, "Ask @ravi-iyer first.", "")
    thread = discussions.do_create_thread(w.session, w.open, w.asker, data, now=past)
    answers = [
        discussions.do_post_reply(w.session, thread, w.member, f"Try {n}.", now=past)
        for n in range(settings.POSTS_PER_DAY + 1)
    ]
    discussions.do_toggle_reaction(w.session, answers[0], thread, w.asker, "thanks", now=past)
    discussions.do_accept_answer(w.session, thread, w.asker, answers[0], now=past)
    assert changes == []  # nothing announced: nothing committed yet
    w.session.flush()
    assert thread.created_at == thread.last_activity_at == thread.first_reply_at == past
    assert {p.created_at for p in answers} == {past}
    stamps = [
        *w.session.exec(select(ActivityEvent.created_at)).all(),
        *w.session.exec(select(Notification.created_at)).all(),
        *w.session.exec(select(Reaction.created_at)).all(),
    ]
    assert stamps and set(stamps) == {past}
    assert fresh(w, Community, w.open.id).last_activity_at == past
    w.session.rollback()
    assert w.session.exec(select(func.count()).select_from(Thread)).one() == 0


def test_discussion_modules_stay_small() -> None:
    """Issue 11: no service module over ~600 lines; the discussions package aims under 400."""
    from pathlib import Path

    package = Path(discussions.__file__).parent
    sizes = {p.name: len(p.read_text().splitlines()) for p in package.glob("*.py")}
    assert sizes and max(sizes.values()) < 400, sizes
