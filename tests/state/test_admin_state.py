"""Admin and moderation handlers through Reflex's event processor, on the demo data.

First every admin handler (found automatically on the admin state classes, plus the steward
handlers on community and thread pages) is called by an ordinary member with arguments an
admin would send: nothing in the database changes and the member is told no. Then the admin's
paths: roles, suspensions that end an open tab's session, reactivation, and the live feed
(new events, pause, a burst of 200, a steward's scoped feed).
"""

import asyncio
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import reflex as rx
from reflex.state import BaseState, StateUpdate
from sqlalchemy import func
from sqlmodel import col, select

from cop_app import live
from cop_app.live import ActivityRoom, feed_window
from cop_app.models import ActivityEvent, AuditEntry, Community, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.seed import email_of
from cop_app.services import accounts, activity, discussions, moderation, settings
from cop_app.states.admin import AdminUsersState
from cop_app.states.auth import AuthState
from cop_app.states.communities import CommunityState
from cop_app.states.discussions import ThreadState
from cop_app.states.moderation import (
    AuditState,
    FeedState,
    ModerationState,
    SuspendState,
)
from tests.state.harness import (
    Browser,
    Server,
    app_handlers,
    delta_text,
    merged_delta,
    session_token_for,
    snapshot,
    start_server,
    toasts,
    user_id_of,
    var,
)

ENG = "engineering-craft"
SURGERY = "surgical-technique-exchange"
FLAKY = "Flaky integration tests: quarantine or fix first?"
FLAG_NOTE = "private-flag-note-7f3a"
NEUTRAL_PATH = "/no-page-here"
SUSPENSION_REASON = "private-suspension-reason-91c2"

# Every handler of these classes is an admin or moderation handler.
ADMIN_CLASSES: tuple[type[BaseState], ...] = (
    AdminUsersState,
    FeedState,
    ModerationState,
    SuspendState,
    AuditState,
)
# Steward handlers that live on member-facing states.
STEWARD_HANDLERS = {("CommunityState", "decide"), ("CommunityState", "set_role")} | {
    ("ThreadState", "moderate")
}
# Handlers that only change what this browser shows (filters, pause, opening a dialog): they
# read nothing and write nothing, so a member gets no refusal, only nothing to see.
VIEW_ONLY = {
    ("FeedState", "set_group"),
    ("FeedState", "set_community"),
    ("FeedState", "set_person"),
    ("FeedState", "pause"),
    ("FeedState", "resume"),
    ("SuspendState", "ask"),
    ("SuspendState", "close"),
    ("AdminUsersState", "ask_role"),
    ("AdminUsersState", "cancel_role"),
}


# Every public handler of the admin classes, and the steward handlers of other states.
HANDLERS = [
    h for h in app_handlers() if h[0] in ADMIN_CLASSES or (h[0].__name__, h[1]) in STEWARD_HANDLERS
]


# --- helpers ----------------------------------------------------------------------------------


def refusal(updates: list[StateUpdate], cls: type[BaseState]) -> str:
    """What the browser was told when refused: an error toast or an error var of `cls`."""
    errors = [m for level, m in toasts(updates) if level == "error"]
    if errors:
        return errors[0]
    values = merged_delta(updates).get(cls.get_full_name(), {})
    for key, value in values.items():
        if key.split("_rx_state_")[0] in ("error", "errors") and value:
            return str(value)
    return ""


def one(model: type, **where: Any) -> Any:
    with rx.session() as session:
        stmt = select(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return session.exec(stmt).one()


def count(model: type) -> int:
    with rx.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def future_date(days: int = 30) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


@dataclass
class Demo:
    """Real ids from the demo data, and the browsers' session ids."""

    me: int  # hannah.kowalski, an ordinary member of the engineering guild
    mateo: int
    emily: int  # waiting to join the surgical exchange
    suspended: int  # ben.oconnell, suspended by an admin before the sweep
    eng: int
    thread: int  # the flaky-tests thread in the guild
    flagged_post: int  # mateo's reply in it, flagged by yuki
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, local: str) -> str:
        if local not in self.tokens:
            self.tokens[local] = session_token_for(local)
        return self.tokens[local]


def demo() -> Demo:
    """Look up the demo's ids and prepare a flag and a suspension made by others."""
    with rx.session() as session:
        thread = session.exec(select(Thread).where(Thread.title == FLAKY)).one()
        mateo = user_id_of("mateo.garcia")
        post = session.exec(
            select(Post).where(Post.thread_id == thread.id, Post.author_id == mateo)
        ).first()
        yuki = session.get(User, user_id_of("yuki.tanaka"))
        moderation.check_flag(session, yuki, "post", post.id, "other", FLAG_NOTE)
        admin = session.get(User, user_id_of("amara.okafor"))
        ben = user_id_of("ben.oconnell")
        moderation.check_suspend(session, admin, ben, SUSPENSION_REASON, future_date())
        eng = session.exec(select(Community.id).where(Community.slug == ENG)).one()
        return Demo(
            me=user_id_of("hannah.kowalski"),
            mateo=mateo,
            emily=user_id_of("emily.chen"),
            suspended=ben,
            eng=eng,
            thread=thread.id or 0,
            flagged_post=post.id or 0,
        )


@dataclass
class Case:
    """One call: its arguments, the route parameters, the calls that open the page first."""

    payload: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)
    prelude: list[tuple[type[BaseState], str, dict[str, Any]]] = field(default_factory=list)


def by_parameter(d: Demo) -> dict[str, Any]:
    """Valid-looking values by argument name: a new handler with these names needs no edit."""
    return {
        "user_id": d.mateo,
        "target_id": d.flagged_post,
        "target_type": "post",
        "post_id": d.flagged_post,
        "thread_id": d.thread,
        "action": "hide",
        "role": "admin",
        "reason": "Posting spam links",
        "until": future_date(),
        "name": "Mateo García",
        "approve": True,
        "value": "user.",
        "form_data": {"reason": "Posting spam links", "until": future_date()},
    }


def cases(d: Demo) -> dict[tuple[str, str], list[Case]]:
    """Handler-specific pages and arguments (the rest come from `by_parameter`)."""
    community = {"query": {"slug": ENG}}
    surgery = {"query": {"slug": SURGERY}}
    thread = {
        "query": {"slug": ENG, "id": str(d.thread)},
        "prelude": [(ThreadState, "load_page", {})],
    }
    open_community = [(CommunityState, "load_page", {})]
    suspend = {"reason": "Posting spam links", "until": future_date()}
    return {
        ("AdminUsersState", "reactivate"): [Case({"user_id": d.suspended})],
        ("AdminUsersState", "change_role"): [
            Case({"user_id": d.me, "role": "admin"}),
            Case({"user_id": d.mateo, "role": "admin"}),
            Case({"user_id": d.mateo, "role": "mentor"}),
        ],
        ("AdminUsersState", "set_query"): [Case({"value": "Mateo"})],
        ("AdminUsersState", "set_role_filter"): [Case({"value": "admin"})],
        ("FeedState", "set_group"): [Case({"value": "moderation"})],
        ("FeedState", "set_community"): [Case({"value": str(d.eng)})],
        ("FeedState", "set_person"): [Case({"value": str(d.mateo)})],
        ("FeedState", "pause"): [Case({}, prelude=[(FeedState, "load", {})])],
        ("FeedState", "load_older"): [Case({}, prelude=[(FeedState, "load", {})])],
        ("ModerationState", "review"): [
            Case({"action": verb, "target_type": kind, "target_id": tid})
            for verb, kind, tid in (
                ("hide", "post", d.flagged_post),
                ("dismiss", "post", d.flagged_post),
                ("hide", "thread", d.thread),
            )
        ],
        ("ModerationState", "lock_thread"): [Case({"thread_id": d.thread})],
        ("SuspendState", "ask"): [Case({"user_id": d.mateo, "name": "Mateo García"})],
        ("SuspendState", "confirm"): [
            Case(
                {"form_data": form},
                prelude=[(SuspendState, "ask", {"user_id": uid, "name": "Someone"})],
            )
            for uid in (d.mateo, d.me)
            for form in (suspend, {**suspend, "until": ""})
        ],
        ("AuditState", "set_action"): [Case({"value": "user."})],
        ("AuditState", "load_older"): [Case({}, prelude=[(AuditState, "load", {})])],
        ("CommunityState", "decide"): [
            Case({"user_id": d.emily, "approve": approve}, **surgery, prelude=open_community)
            for approve in (True, False)
        ],
        ("CommunityState", "set_role"): [
            Case({"user_id": uid, "role": "steward"}, **community, prelude=open_community)
            for uid in (d.mateo, d.me)
        ],
        ("ThreadState", "moderate"): [
            Case({"what": what, "value": True}, **thread) for what in ("locked", "pinned")
        ],
    }


def cases_for(d: Demo, cls: type[BaseState], name: str, params: list[str]) -> list[Case]:
    specific = cases(d).get((cls.__name__, name))
    if specific is not None:
        return specific
    known = by_parameter(d)
    missing = [p for p in params if p not in known]
    assert not missing, f"{cls.__name__}.{name}: add valid-looking values for {missing}"
    return [Case({p: known[p] for p in params})]


async def browser_for(server: Server, token: str, **query: str) -> Browser:
    """A signed-in browser with these route parameters, on a path with no page of its own:
    Reflex runs a page's on_load chain around a browser's first events, and that chain would
    otherwise run inside the call under test (its toasts and writes mistaken for the call's)."""
    browser = Browser(server, path=NEUTRAL_PATH, query=dict(query))
    await browser.sign_in_with_token(token)
    return browser


# --- an ordinary member calls every admin handler ---------------------------------------------


def test_the_admin_handlers_are_found() -> None:
    names = {(cls.__name__, name) for cls, name, _ in HANDLERS}
    assert {
        ("AdminUsersState", "change_role"),
        ("AdminUsersState", "reactivate"),
        ("FeedState", "load"),
        ("FeedState", "load_older"),
        ("ModerationState", "review"),
        ("ModerationState", "lock_thread"),
        ("SuspendState", "confirm"),
        ("AuditState", "load_older"),
        ("CommunityState", "decide"),
        ("CommunityState", "set_role"),
        ("ThreadState", "moderate"),
    } <= names
    assert VIEW_ONLY <= names  # a renamed handler must not silently escape the refusal check
    assert len(names) >= 24


def test_a_member_calling_admin_handlers_changes_nothing_and_is_refused(app_db: None) -> None:
    d = demo()
    token = d.token("hannah.kowalski")
    with rx.session() as session:
        emails = [
            e for e in session.exec(select(User.email)).all() if e != email_of("hannah.kowalski")
        ]
    secrets = [FLAG_NOTE, SUSPENSION_REASON, *emails]

    async def scenario() -> list[str]:
        server = await start_server()
        problems: list[str] = []
        for cls, name, params in HANDLERS:
            for case in cases_for(d, cls, name, params):
                label = f"{cls.__name__}.{name}({case.payload})"
                browser = await browser_for(server, token, **case.query)
                for pre_cls, pre_name, pre_payload in case.prelude:
                    await browser.call(pre_cls, pre_name, **pre_payload)
                before = snapshot()
                errors_before = len(server.errors)
                try:
                    updates = await browser.call(cls, name, **case.payload)
                except Exception as exc:  # reported with the rest
                    problems.append(f"{label} failed: {exc!r}")
                    continue
                if snapshot() != before:
                    problems.append(f"{label} changed the database")
                if len(server.errors) > errors_before:
                    problems.append(f"{label} raised {server.errors[-1]!r}")
                if any(level == "success" for level, _ in toasts(updates)):
                    problems.append(f"{label} reported success")
                told = refusal(updates, cls)
                if (cls.__name__, name) not in VIEW_ONLY and not told:
                    problems.append(f"{label} was not refused visibly")
                sent = delta_text(updates)
                problems += [f"{label} leaked {s[:14]}…" for s in secrets if s in sent]
                feed_state = await browser.state(FeedState)
                room = await browser.state(ActivityRoom)
                if feed_state.allowed or feed_state.frozen or feed_state.older or feed_window(room):
                    problems.append(f"{label} showed the activity feed")
                if feed_state.communities or feed_state.people:
                    problems.append(f"{label} showed the feed's filter options")
        return problems

    problems = asyncio.run(scenario())
    assert problems == [], "\n".join(problems)


def test_member_sees_the_reason_of_each_refusal(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        token = d.token("hannah.kowalski")
        member = await browser_for(server, token)
        updates = await member.call(FeedState, "load")
        assert var(updates, FeedState, "error") == (
            "The activity feed is for admins and community stewards."
        )
        member = await browser_for(server, token)
        updates = await member.call(ModerationState, "load")
        assert "admins and stewards" in var(updates, ModerationState, "error")
        member = await browser_for(server, token)
        updates = await member.call(AdminUsersState, "change_role", user_id=d.me, role="admin")
        assert toasts(updates) == [("error", "Only admins can do this.")]
        await member.call(SuspendState, "ask", user_id=d.mateo, name="Mateo García")
        updates = await member.call(
            SuspendState, "confirm", form_data={"reason": "Spam links", "until": future_date()}
        )
        assert var(updates, SuspendState, "errors") == {
            "form": "Only admins and stewards can suspend accounts."
        }
        assert (await member.state(SuspendState)).open  # the dialog stays, with the reason

    asyncio.run(scenario())


# --- an admin's paths -------------------------------------------------------------------------


def test_admin_changes_a_role_and_it_is_audited(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        updates = await admin.call(AdminUsersState, "load")
        rows = var(updates, AdminUsersState, "rows")
        assert len(rows) >= 30 and var(updates, AdminUsersState, "error") == ""
        updates = await admin.call(AdminUsersState, "change_role", user_id=d.mateo, role="mentor")
        assert toasts(updates) == [("success", "Mateo García is now a mentor.")]
        assert one(User, id=d.mateo).role == "mentor"
        row = next(r for r in (await admin.state(AdminUsersState)).rows if r.id == d.mateo)
        assert row.role == "mentor"
        entry = one(AuditEntry, action="user.role", target_id=d.mateo)
        assert (entry.target_id, entry.before, entry.after) == (d.mateo, "member", "mentor")
        # An admin cannot demote themselves (nobody is left locked out).
        amara = user_id_of("amara.okafor")
        updates = await admin.call(AdminUsersState, "change_role", user_id=amara, role="member")
        assert refusal(updates, AdminUsersState)
        assert one(User, id=amara).role == "admin"

    asyncio.run(scenario())


def test_the_role_dropdown_only_asks_and_the_dialog_applies(app_db: None) -> None:
    """Choosing "Admin" in a row's dropdown changes nothing until the admin confirms."""
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        await admin.call(AdminUsersState, "load")
        before = snapshot()
        updates = await admin.call(AdminUsersState, "ask_role", user_id=d.mateo, role="admin")
        assert var(updates, AdminUsersState, "pending_name") == "Mateo García"
        assert var(updates, AdminUsersState, "pending_role") == "admin"
        assert snapshot() == before
        await admin.call(AdminUsersState, "cancel_role")
        assert (await admin.state(AdminUsersState)).pending_id == 0
        assert snapshot() == before
        await admin.call(AdminUsersState, "ask_role", user_id=d.mateo, role="mentor")
        updates = await admin.call(AdminUsersState, "confirm_role")
        assert toasts(updates) == [("success", "Mateo García is now a mentor.")]
        assert var(updates, AdminUsersState, "pending_id") == 0
        assert one(User, id=d.mateo).role == "mentor"

    asyncio.run(scenario())


def test_suspension_ends_the_members_open_tabs_and_reactivation_lifts_it(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        token = d.token("hannah.kowalski")
        tab = await browser_for(server, token, slug=ENG, id=str(d.thread))
        await tab.call(ThreadState, "load_page")
        await tab.call(ThreadState, "set_draft", value="Still here, still posting.")
        other_tab = await browser_for(server, token)
        updates = await other_tab.call(AuthState, "check_session")
        assert (await other_tab.state(AuthState)).user_id == d.me

        admin = await browser_for(server, d.token("amara.okafor"))
        await admin.call(SuspendState, "ask", user_id=d.me, name="Hannah Kowalski")
        updates = await admin.call(
            SuspendState,
            "confirm",
            form_data={"reason": "Posting spam links", "until": future_date(7)},
        )
        assert toasts(updates) == [("success", "Hannah Kowalski is suspended.")]
        assert var(updates, SuspendState, "open") is False
        assert moderation.is_suspended(one(User, id=d.me))
        assert one(AuditEntry, action="user.suspend", target_id=d.me).actor_id == user_id_of(
            "amara.okafor"
        )

        posts = count(Post)
        updates = await tab.call(ThreadState, "submit_reply")
        assert var(updates, ThreadState, "errors")["body"]
        assert count(Post) == posts
        assert (await tab.state(ThreadState)).draft == "Still here, still posting."

        updates = await other_tab.call(AuthState, "check_session")
        auth = await other_tab.state(AuthState)
        assert auth.user_id == 0 and not auth.signed_in and auth.session_token == ""
        assert var(updates, AuthState, "user_id") == 0

        updates = await admin.call(AdminUsersState, "reactivate", user_id=d.me)
        assert toasts(updates) == [("success", "Hannah Kowalski is active again.")]
        assert not moderation.is_suspended(one(User, id=d.me))
        assert one(AuditEntry, action="user.reactivate", target_id=d.me)
        # The old sessions stay ended; signing in again works.
        updates = await tab.call(ThreadState, "submit_reply")
        assert var(updates, ThreadState, "errors")["body"] and count(Post) == posts
        fresh = await browser_for(server, session_token_for("hannah.kowalski"))
        await fresh.call(AuthState, "check_session")
        assert (await fresh.state(AuthState)).user_id == d.me
        updates = await admin.call(AdminUsersState, "reactivate", user_id=d.me)
        assert refusal(updates, AdminUsersState) == "This account is not suspended."

    asyncio.run(scenario())


def test_suspension_until_further_notice_from_the_dialog(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        await admin.call(SuspendState, "ask", user_id=d.mateo, name="Mateo García")
        errors_before = len(server.errors)
        updates = await admin.call(
            SuspendState, "confirm", form_data={"reason": "Harassment", "until": ""}
        )
        assert server.errors[errors_before:] == []
        assert toasts(updates) == [("success", "Mateo García is suspended.")]
        user = one(User, id=d.mateo)
        assert user.suspended_until is not None and user.suspended_until.year == 9999

    asyncio.run(scenario())


def test_dialog_errors_stay_next_to_the_field(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        await admin.call(SuspendState, "ask", user_id=d.mateo, name="Mateo García")
        before = snapshot()
        updates = await admin.call(
            SuspendState, "confirm", form_data={"reason": "Spam links", "until": "2001-01-01"}
        )
        assert list(var(updates, SuspendState, "errors")) == ["until"]
        assert (await admin.state(SuspendState)).open
        assert snapshot() == before

    asyncio.run(scenario())


def test_admin_moderates_the_queue(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        updates = await admin.call(ModerationState, "load")
        items = var(updates, ModerationState, "items")
        assert [(i.target_type, i.target_id) for i in items] == [("post", d.flagged_post)]
        assert items[0].reasons == [f"other: {FLAG_NOTE}"]
        updates = await admin.call(
            ModerationState, "review", action="hide", target_type="post", target_id=d.flagged_post
        )
        assert toasts(updates) == [("success", "Hidden.")]
        assert var(updates, ModerationState, "items") == []
        assert one(Post, id=d.flagged_post).hidden
        audit = await browser_for(server, d.token("amara.okafor"))
        updates = await audit.call(AuditState, "load")
        actions = [r.action for r in var(updates, AuditState, "rows")]
        assert actions[:2] == ["content.hide", "user.suspend"]
        updates = await audit.call(AuditState, "set_action", value="content.")
        assert [r.action for r in var(updates, AuditState, "rows")] == ["content.hide"]

    asyncio.run(scenario())


def test_confirmed_spam_leaves_the_queue_hidden_and_delete_removes(app_db: None) -> None:
    """An automatically hidden item offers more than un-hiding it: kept hidden and closed, it
    leaves the queue still hidden; a deleted one is removed; both are audited."""
    d = demo()
    with rx.session() as session:
        post = session.get(Post, d.flagged_post)
        post.hidden = True  # as three reporters with standing would leave it
        session.add(post)
        session.commit()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        await admin.call(ModerationState, "load")
        updates = await admin.call(
            ModerationState,
            "review",
            action="keep_hidden",
            target_type="post",
            target_id=d.flagged_post,
        )
        assert toasts(updates) == [("success", "Kept hidden; the flags are closed.")]
        assert var(updates, ModerationState, "items") == []
        assert one(Post, id=d.flagged_post).hidden
        with rx.session() as session:
            yuki = session.get(User, user_id_of("yuki.tanaka"))
            moderation.check_flag(session, yuki, "thread", d.thread, "spam")
        updates = await admin.call(
            ModerationState, "review", action="delete", target_type="thread", target_id=d.thread
        )
        assert toasts(updates) == [("success", "Deleted.")]
        assert one(Thread, id=d.thread).hidden
        audit = await browser_for(server, d.token("amara.okafor"))
        updates = await audit.call(AuditState, "set_action", value="content.")
        assert [r.action for r in var(updates, AuditState, "rows")] == [
            "content.delete",
            "content.keep_hidden",
        ]

    asyncio.run(scenario())


def test_the_admin_pages_read_right_on_the_demo(app_db: None) -> None:
    """The demo's audit log holds the role history its people imply and says where it ends;
    members who only posted are not "never" active; the feed's library filter finds library
    events; a reply's line opens the reply; two people with one name differ in the filter."""
    d = demo()
    with rx.session() as session:
        for n in (1, 2):
            accounts.do_create_user(
                session,
                f"reader{n}@example.org",
                "Directory Reader",
                "x",
                now=utcnow(),
                handle=f"directory-reader-{n}",
            )
        session.commit()

    async def scenario() -> None:
        server = await start_server()
        admin = await browser_for(server, d.token("amara.okafor"))
        updates = await admin.call(AuditState, "load")
        rows = var(updates, AuditState, "rows")
        roles = [r for r in rows if r.action == "user.role"]
        assert len(roles) == 6 and {r.actor_name for r in roles} == {"Amara Okafor"}
        assert all(r.reason for r in roles)
        assert var(updates, AuditState, "no_more") is True  # no "Load older" that does nothing
        updates = await admin.call(AdminUsersState, "load")
        hannah = next(r for r in var(updates, AdminUsersState, "rows") if r.id == d.me)
        assert hannah.posts > 0 and hannah.last_active is not None
        updates = await admin.call(FeedState, "load")
        people = [p["name"] for p in var(updates, FeedState, "people")]
        assert len(people) == len(set(people))
        assert "Directory Reader (@directory-reader-1)" in people
        await admin.call(FeedState, "set_group", value="library")
        updates = await admin.call(FeedState, "load_older")
        older = var(updates, FeedState, "older")
        assert older and {e.group for e in older} == {"library"}
        await admin.call(FeedState, "set_group", value="discussion")
        updates = await admin.call(FeedState, "load_older")
        replies = [e for e in var(updates, FeedState, "older") if e.kind == "post.created"]
        assert replies and all(re.search(r"/t/\d+#post-\d+$", e.link) for e in replies)

    asyncio.run(scenario())


# --- the live feed ----------------------------------------------------------------------------


def record_burst(n: int, community_id: int, actor_id: int, chunks: int = 4) -> list[int]:
    """`n` events recorded in a few commits, as a busy minute would; their ids."""
    ids: list[int] = []
    with rx.session() as session:
        for chunk in range(chunks):
            rows = [
                activity.record(
                    session,
                    "post.created",
                    actor_id,
                    community_id=community_id,
                    target_type="post",
                    summary=f"burst {chunk}-{i}",
                )
                for i in range(n // chunks)
            ]
            session.commit()
            ids += [r.id or 0 for r in rows]
    return ids


async def feed_browser(server: Server, d: Demo, local: str) -> Browser:
    browser = await browser_for(server, d.token(local))
    updates = await browser.call(FeedState, "load")
    assert var(updates, FeedState, "allowed") is True
    return browser


async def reply_as(server: Server, d: Demo, local: str, body: str) -> None:
    writer = await browser_for(server, d.token(local), slug=ENG, id=str(d.thread))
    await writer.call(ThreadState, "load_page")
    await writer.call(ThreadState, "set_draft", value=body)
    await writer.call(ThreadState, "submit_reply")


def test_feed_links_the_room_and_new_events_arrive(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await feed_browser(server, d, "amara.okafor")
        room = await admin.state(ActivityRoom)
        assert room.scope_id == 0
        with rx.session() as session:
            newest = session.exec(select(func.max(ActivityEvent.id))).one()
            flags = moderation.open_flag_count(session, None)
        assert feed_window(room)[0].id == newest
        assert room.open_flags == flags == 1
        state = await admin.state(FeedState)
        assert len(state.communities) == count(Community) and state.people

        before = [e.id for e in room.events]
        assert room.head == [] and before[0] == newest  # a first read fills the long list
        await reply_as(server, d, "lena.fischer", "We run flaky tests in a separate job.")
        room = await admin.state(ActivityRoom)
        assert feed_window(room)[0].id > newest
        # New events go to the head alone: the 200-event list is not re-sent for them.
        assert room.head and [e.id for e in room.events] == before

        assert feed_window(room)[0].kind == "post.created"
        assert "Lena Fischer" in feed_window(room)[0].summary
        assert room.events_last_hour >= 1 and room.active_now >= 2

    asyncio.run(scenario())


def test_pause_freezes_the_list_while_the_room_grows(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await feed_browser(server, d, "amara.okafor")
        await admin.call(FeedState, "pause")
        state = await admin.state(FeedState)
        frozen = [e.id for e in state.frozen]
        assert state.paused and frozen and state.paused_at == frozen[0]

        await reply_as(server, d, "lena.fischer", "Paused watchers should not jump.")
        record_burst(8, d.eng, d.mateo, chunks=2)
        await live.drain()
        room = await admin.state(ActivityRoom)
        state = await admin.state(FeedState)
        assert [e.id for e in state.frozen] == frozen and state.paused_at == frozen[0]
        waiting = [e.id for e in feed_window(room) if e.id > state.paused_at]
        assert len(waiting) >= 9  # the reply and the burst wait behind the pause

        updates = await admin.call(FeedState, "resume")
        assert var(updates, FeedState, "paused") is False
        assert (await admin.state(FeedState)).frozen == []

        updates = await admin.call(FeedState, "load_older")
        older = var(updates, FeedState, "older")
        assert older and older[0].id < feed_window(room)[-1].id

    asyncio.run(scenario())


def test_a_burst_of_events_all_reach_the_room(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        admin = await feed_browser(server, d, "amara.okafor")
        steward = await feed_browser(server, d, "ravi.iyer")
        size = 200
        ids = record_burst(size, d.eng, d.mateo)
        await live.drain()
        assert len(ids) == size and ids == list(range(ids[0], ids[0] + size))
        for browser in (admin, steward):
            room = await browser.state(ActivityRoom)
            shown = [e.id for e in feed_window(room)]
            assert len(shown) == size
            assert shown == sorted(ids, reverse=True)  # every one, none missing, newest first
            assert feed_window(room)[0].summary == f"burst 3-{size // 4 - 1}"

    asyncio.run(scenario())


def test_a_steward_gets_a_feed_of_their_community(app_db: None) -> None:
    d = demo()

    async def scenario() -> None:
        server = await start_server()
        steward = await feed_browser(server, d, "ravi.iyer")
        state = await steward.state(FeedState)
        assert state.communities == [{"id": str(d.eng), "name": "Engineering Craft Guild"}]
        room = await steward.state(ActivityRoom)
        assert room.scope_id == user_id_of("ravi.iyer")
        assert feed_window(room) and {e.community_id for e in feed_window(room)} == {d.eng}
        assert room.open_flags == 1
        admin = await feed_browser(server, d, "amara.okafor")

        with rx.session() as session:
            science = session.exec(select(Thread).where(Thread.community_id != d.eng)).first()
            community_id = science.community_id
            author = session.exec(select(User).where(col(User.id) == science.author_id)).one()
            discussions.check_post_reply(session, author, science.id, "A reply elsewhere entirely.")
        await live.drain()
        elsewhere = feed_window(await admin.state(ActivityRoom))[0]
        assert elsewhere.community_id == community_id != d.eng
        assert elsewhere.id not in {e.id for e in feed_window(await steward.state(ActivityRoom))}

        await reply_as(server, d, "lena.fischer", "Seen in the guild's feed.")
        newest = feed_window(await steward.state(ActivityRoom))[0]
        assert newest.community_id == d.eng and "Lena Fischer" in newest.summary

        # Older pages continue the guild's history, and only the guild's.
        with rx.session() as session:
            guild_events = session.exec(
                select(func.count()).where(ActivityEvent.community_id == d.eng)
            ).one()
        shown = len(feed_window(await steward.state(ActivityRoom)))
        assert shown == min(guild_events, settings.ACTIVITY_ROOM_SIZE)
        await steward.call(FeedState, "load_older")
        state = await steward.state(FeedState)
        assert len(state.older) == min(guild_events - shown, settings.ACTIVITY_PAGE_SIZE)
        assert {e.community_id for e in state.older} <= {d.eng}
        assert state.no_more == (not state.older)

    asyncio.run(scenario())
