"""Discussion handlers: the community's thread list, a thread page, the new-thread form,
and the bell. The live parts are rooms (live.py); these states hold what is per reader."""

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from cop_app import routes
from cop_app.live import (
    ThreadListRoom,
    ThreadRoom,
    UserRoom,
    assign,
    link_room,
    on_signal,
    reread_linked,
    unlink_room,
)
from cop_app.models import User
from cop_app.services import (
    communities,
    discussions,
    markdown,
    mentorship,
    notifications,
    settings,
)
from cop_app.services.access import check_community_content_at
from cop_app.services.discussions import PostView, ThreadRow, ThreadView
from cop_app.services.errors import Invalid
from cop_app.services.mentorship import MentorshipRow
from cop_app.states import drafts
from cop_app.states.auth import current_user
from cop_app.states.base import (
    Refused,
    active_member_page,
    call,
    call_into,
    error_toast,
    route_param,
    typed,
)

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MENTION_TAIL = re.compile(r"(?:^|\s)@([\w.-]{1,40})$")


def _empty_thread() -> ThreadView:
    return ThreadView(
        id=0,
        community_id=0,
        community_slug="",
        community_name="",
        title="",
        kind="discussion",
        tags=[],
        author_id=0,
        author_name="",
        post_count=0,
        accepted_post_id=0,
        pinned=False,
        locked=False,
        created_at=_EPOCH,
    )


def _number_and_author(session: Session, actor: User | None, post_id: Any) -> tuple[int, int]:
    post, _ = discussions.access_post(session, actor, post_id)
    return post.number, post.author_id


def _post_view(
    session: Session, actor: User | None, thread_id: int, post_id: int
) -> PostView | None:
    access = discussions.access_thread(session, actor, thread_id)
    views = discussions.post_views(session, actor, access.thread, limit=1, ids=[post_id])
    return views[0] if views else None


def _moderate(
    session: Session, actor: User | None, thread_id: int, what: str, value: Any
) -> ThreadView:
    discussions.check_moderate_thread(session, actor, thread_id, **{what: value})
    return discussions.get_thread(session, actor, thread_id)


def _start_thread(
    session: Session, actor: User | None, community_id: int, form: tuple[Any, ...], key: str
) -> str:
    """The new thread's address: it is where the form goes once the thread exists."""
    data = discussions.clean_thread_input(*form)
    thread = discussions.check_create_thread(
        session, actor, community_id, data, client_key=key or None
    )
    return routes.thread_url(communities.slug_of(session, community_id), thread.id or 0)


def _home_lists(
    session: Session, actor: User | None
) -> tuple[list[ThreadRow], list[MentorshipRow]]:
    open_rows = [
        r for r in mentorship.my_mentorships(session, actor) if r.state in mentorship.OPEN_STATES
    ]
    return discussions.could_help(session, actor), open_rows[: settings.HOME_MENTORSHIPS]


def _first_page(
    session: Session, actor: User | None, slug: str, sort: str
) -> tuple[User | None, int, list[ThreadRow], tuple[list[int], dict[str, int]]]:
    """The caller (resolved in this session, for the event's later calls), the community's
    id and the first page of this sort; for the latest (the live room's rows) the access
    check the room is joined after, and the reader's marks on the page as it stands."""
    if sort == "latest":
        cid, ids, marks = discussions.latest_marks(session, actor, slug)
        return actor, cid, [], (ids, marks)
    cid = check_community_content_at(session, actor, slug)
    return actor, cid, discussions.list_threads(session, actor, cid, sort), ([], {})


def _open_thread(
    session: Session, actor: User | None, thread_id: Any
) -> tuple[User | None, tuple[ThreadView, list[PostView]]]:
    """The caller (resolved in this session, for the draft) and the opened thread's page."""
    return actor, discussions.check_open_thread(session, actor, thread_id)


class ThreadListState(rx.State):
    """A community's Discussions tab: the live first page, or a sorted page from the database."""

    community_id: int = 0
    sort: str = "latest"
    rows: list[ThreadRow] = []
    more: list[ThreadRow] = []
    page: int = 1
    has_more: bool = False
    read_marks: dict[str, int] = {}
    error: str = ""

    @rx.var
    def live(self) -> bool:
        """The default view (latest activity) comes from the shared room."""
        return self.sort == "latest"

    async def _reload(self) -> None:
        latest = self.sort == "latest"
        # The caller is looked up in the first call's session: one lookup per event.
        page = await call(self, _first_page, route_param(self, "slug"), self.sort)
        if not isinstance(page, Refused):
            actor, card_id, rows, (known_ids, known) = page
            if latest:  # the shared room holds the rows; this reader needs only their marks
                room = await link_room(self, discussions.list_room(card_id))
                rows = room.get_value("latest")  # read only: no proxy per row
                ids = [r.id for r in rows][: settings.READ_MARKS_MAX]
                if set(ids) <= set(known_ids):  # read with the page: no second session
                    marks = {str(i): known[str(i)] for i in ids if str(i) in known}
                else:  # the room lists threads the page did not (it is being refreshed)
                    marks = await call(self, discussions.read_marks, card_id, ids, actor=actor)
            else:
                marks = {str(r.id): r.post_count - r.unread for r in rows}
        if isinstance(page, Refused) or isinstance(marks, Refused):
            refused = page if isinstance(page, Refused) else marks
            self.rows, self.more, self.read_marks, self.error = [], [], {}, refused.error.message
            self.community_id, self.has_more = 0, False
            unlink_room(self, ThreadListRoom)
            return
        # Only what changed is set: a reopened list then sends (almost) nothing.
        assign(
            self,
            community_id=card_id,
            error="",
            rows=[] if latest else rows,
            more=[],
            page=1,
            has_more=len(rows) >= settings.THREADS_PAGE_SIZE,
            read_marks=marks,
        )

    @rx.event
    async def load(self) -> None:
        """on_load of a community page (the Discussions tab)."""
        if self.sort != "latest":  # an unchanged var would still be sent, `live` recomputed
            self.sort = "latest"
        await self._reload()

    @rx.event
    async def load_more(self) -> Any:
        """The next page of this sort, from the database."""
        rows = await call(
            self, discussions.list_threads, self.community_id, self.sort, self.page + 1
        )
        if isinstance(rows, Refused):
            return rows.toast
        self.page += 1
        self.more = self.more + rows
        self.has_more = len(rows) >= settings.THREADS_PAGE_SIZE
        self.read_marks = {**self.read_marks, **{str(r.id): r.post_count - r.unread for r in rows}}
        return None

    @rx.event
    async def set_sort(self, value: Any) -> None:
        """Latest activity, newest, top, or unanswered questions."""
        if value in discussions.SORTS:
            self.sort = value
            await self._reload()


class ThreadState(rx.State):
    """One reader of one thread: the pages they loaded, their draft, their reactions."""

    thread: ThreadView = _empty_thread()
    found: bool = False
    missing: str = ""
    loaded: list[PostView] = []
    loaded_upto: int = 0
    seen_upto: int = 0
    my_reactions: list[str] = []
    draft: str = ""
    reply_to_id: int = 0
    reply_to_label: str = ""
    errors: dict[str, str] = {}
    posting: bool = False
    editing_id: int = 0
    edit_text: str = ""
    edit_title: str = ""
    revisions: list[dict[str, str]] = []
    reactor_names: dict[str, list[str]] = {key: [] for key in discussions.REACTIONS}
    suggestions: list[dict[str, str]] = []
    revealed: dict[str, str] = {}

    def _thread_id(self) -> Any:
        return route_param(self, "id")

    async def _load(self) -> User | None:
        """Open the thread; the caller, looked up in the open's own session (None when the
        thread was refused: its page then keeps no draft)."""
        opened = await call(self, _open_thread, self._thread_id())
        if isinstance(opened, Refused):
            self.found, self.missing = False, opened.error.message
            unlink_room(self, ThreadRoom)
            return None
        actor, (view, posts) = opened
        # The room first: a busy room (`live.Busy`) must leave the page as it was.
        await link_room(self, discussions.thread_room(view.id))
        # Only what changed is set: reopening a thread sends (almost) nothing again.
        assign(
            self,
            thread=view,
            found=True,
            missing="",
            loaded=posts,
            loaded_upto=posts[-1].number if posts else 0,
            seen_upto=view.post_count,
            my_reactions=[f"{p.id}:{k}" for p in posts for k in p.reacted],
            errors={},
            editing_id=0,
            revisions=[],
            reactor_names={key: [] for key in discussions.REACTIONS},
            revealed={},
        )
        return actor

    def _draft_scope(self) -> str:
        return f"reply:{self.thread.id}"

    @rx.event
    async def load_page(self) -> None:
        """on_load of /c/[slug]/t/[id] (and of every reconnect): check access, load the first
        page, join the room, and put back the reply this browser kept for the thread."""
        actor = await self._load()  # one session lookup for the page and the draft
        assign(self, reply_to_id=0, reply_to_label="")
        kept = await drafts.restore(self, actor, self._draft_scope()) if self.found else None
        assign(self, draft=kept.get("body") if kept is not None else "")

    @rx.event
    async def load_more(self) -> Any:
        """The next page after what this reader has loaded."""
        posts = await call(self, discussions.check_read_more, self.thread.id, self.loaded_upto)
        if isinstance(posts, Refused):
            return posts.toast
        self.loaded = self.loaded + posts
        if posts:
            self.loaded_upto = posts[-1].number
        self.my_reactions = self.my_reactions + [f"{p.id}:{k}" for p in posts for k in p.reacted]
        return None

    @rx.event
    async def mark_seen(self) -> Any:
        """Show the new replies: remember them as read and scroll to the end."""
        return await self._mark_seen() or rx.scroll_to("thread-end")

    @rx.event
    async def mark_seen_in_place(self) -> Any:
        """The reader saw the new replies at the end of the thread: remember them as read."""
        return await self._mark_seen()

    async def _mark_seen(self) -> Any:
        room = await self.get_state(ThreadRoom)
        done = await call(
            self, discussions.check_mark_read, self.thread.id, max(room.post_count, 1)
        )
        if isinstance(done, Refused):
            return done.toast
        self.seen_upto = room.post_count
        return None

    @rx.event
    async def set_draft(self, value: Any) -> None:
        """The reply being written (kept on the server, so no error loses it); suggests
        @mentions for the word being typed."""
        self.draft = typed(value, settings.POST_BODY_MAX)
        await drafts.keep(self, await current_user(self), self._draft_scope(), body=self.draft)
        self.suggestions = await self._suggest(self.draft)

    async def _suggest(self, text: str) -> list[dict[str, str]]:
        match = _MENTION_TAIL.search(text)
        if not match or not self.thread.community_id:
            return []
        found = await call(
            self, discussions.mention_candidates, self.thread.community_id, match.group(1)
        )
        return [] if isinstance(found, Refused) else found

    @rx.event
    async def pick_mention(self, handle: Any) -> None:
        """Complete the @word being typed with a member's handle."""
        if not isinstance(handle, str) or not re.fullmatch(r"[a-z0-9.-]{1,40}", handle):
            return
        self.draft = _MENTION_TAIL.sub(
            lambda m: m.group(0).split("@")[0] + f"@{handle} ", self.draft
        )
        await drafts.keep(self, await current_user(self), self._draft_scope(), body=self.draft)
        self.suggestions = []

    @rx.event
    async def reply_to(self, post_id: Any) -> Any:
        """Answer one post: the reply will link back to it."""
        found = await call(self, _number_and_author, post_id)
        if isinstance(found, Refused):
            return found.toast
        number, author = found
        name = next((p.author_name for p in self.loaded if p.author_id == author), "")
        self.reply_to_id, self.reply_to_label = int(post_id), f"#{number} {name}".strip()
        return rx.set_focus("reply-body")

    @rx.event
    async def quote(self, post_id: Any) -> Any:
        actor = await current_user(self)
        body = await call(self, discussions.quotable_text, post_id, actor=actor)
        if isinstance(body, Refused):
            return body.toast
        quoted = "\n".join("> " + line for line in body[: settings.QUOTE_MAX].splitlines())
        self.draft = (self.draft + "\n\n" if self.draft else "") + quoted + "\n\n"
        await drafts.keep(self, actor, self._draft_scope(), body=self.draft)
        return rx.set_focus("reply-body")

    @rx.event
    def cancel_reply_to(self) -> None:
        """Reply to the thread instead of one post."""
        self.reply_to_id, self.reply_to_label = 0, ""

    @rx.event
    async def submit_reply(self) -> Any:
        """Post the draft; on any refusal the text stays in the editor. The draft and its key
        reach the browser first, so a Post retried after a crash returns the same reply."""
        actor = await current_user(self)
        scope = self._draft_scope()
        key = await drafts.keep(self, actor, scope, body=self.draft)
        self.errors, self.posting = {}, True
        yield
        number = await call(
            self,
            lambda session, user: (
                discussions.check_post_reply(
                    session,
                    user,
                    self.thread.id,
                    self.draft,
                    self.reply_to_id or None,
                    client_key=key or None,
                ).number
            ),
            actor=actor,
            errors="errors",
            field="body",
        )
        if isinstance(number, Refused):
            self.posting = False
            return
        await drafts.clear(self, actor, scope)
        self.posting = False
        self.draft, self.reply_to_id, self.reply_to_label, self.suggestions = "", 0, "", []
        self.seen_upto = max(self.seen_upto, number)
        yield rx.toast.success("Reply posted.")

    @rx.event
    async def toggle_reaction(self, post_id: Any, kind: Any) -> Any:
        """Helpful, insightful or thanks: one of each per member per post."""
        on = await call(self, discussions.check_toggle_reaction, post_id, kind)
        if isinstance(on, Refused):
            return on.toast
        key = f"{int(post_id)}:{kind}"
        rest = [k for k in self.my_reactions if k != key]
        self.my_reactions = [*rest, key] if on else rest
        return None

    @rx.event
    async def show_reactors(self, post_id: Any) -> Any:
        """Who reacted to a post."""
        return await call_into(self, "reactor_names", discussions.reactors, post_id)

    @rx.event
    async def accept(self, post_id: Any) -> Any:
        """Mark a reply as the accepted answer (0 clears it)."""
        accepted = await call(
            self,
            lambda session, user: (
                discussions.check_accept_answer(
                    session, user, self.thread.id, post_id or None
                ).accepted_post_id
                or 0
            ),
        )
        if isinstance(accepted, Refused):
            return accepted.toast
        self.thread = replace(self.thread, accepted_post_id=accepted)
        return rx.toast.success("Accepted answer updated." if accepted else "Answer unmarked.")

    @rx.event
    async def start_edit(self, post_id: Any) -> Any:
        """Open the editor on one of the reader's own posts."""
        found = await call(self, discussions.post_to_edit, post_id)
        if isinstance(found, Refused):
            return found.toast
        self.editing_id, self.edit_text, self.edit_title = found
        self.errors = {}
        return None

    @rx.event
    def set_edit_text(self, value: Any) -> None:
        """The text in the post editor."""
        self.edit_text = typed(value, settings.POST_BODY_MAX)

    @rx.event
    def set_edit_title(self, value: Any) -> None:
        """The title, when editing the opening post."""
        self.edit_title = typed(value, settings.THREAD_TITLE_MAX)

    @rx.event
    def cancel_edit(self) -> None:
        """Close the editor without saving."""
        self.editing_id, self.edit_text, self.edit_title = 0, "", ""

    @rx.event
    async def save_edit(self) -> Any:
        """Save an edit; the old text goes to the revision history."""
        number = await call(
            self,
            lambda session, user: (
                discussions.check_edit_post(
                    session, user, self.editing_id, self.edit_text, self.edit_title or None
                ).number
            ),
            errors="errors",
            field="edit",
            one_field=True,
        )
        if isinstance(number, Refused):
            return None
        self.editing_id = 0
        if number == 1 and self.edit_title:
            self.thread = replace(self.thread, title=self.edit_title)
        self.loaded = [await self._fresh(p) if p.number == number else p for p in self.loaded]
        return rx.toast.success("Saved.")

    async def _fresh(self, view: PostView) -> PostView:
        fresh = await call(self, _post_view, self.thread.id, view.id)
        return view if isinstance(fresh, Refused) or fresh is None else fresh

    @rx.event
    async def delete(self, post_id: Any) -> Any:
        """Remove one's own post (moderators can still read it)."""
        pid = await call(
            self, lambda session, user: discussions.check_delete_post(session, user, post_id).id
        )
        if isinstance(pid, Refused):
            return pid.toast
        self.loaded = [await self._fresh(p) if p.id == pid else p for p in self.loaded]
        return rx.toast.info("Post removed.")

    @rx.event
    async def reveal(self, post_id: Any) -> Any:
        """A moderator reads a removed or hidden post's kept text, in this tab only."""
        html = await call(self, discussions.removed_text, post_id)
        if isinstance(html, Refused):
            return html.toast
        self.revealed = {**self.revealed, str(int(post_id)): html}
        return None

    @rx.event
    async def show_revisions(self, post_id: Any) -> Any:
        """The earlier versions of an edited post."""
        return await call_into(self, "revisions", discussions.post_revisions, post_id)

    @rx.event
    async def set_following(self, follow: Any) -> Any:
        """Follow (notifications for every reply) or unfollow this thread."""
        following = await call(self, discussions.check_set_following, self.thread.id, follow)
        if isinstance(following, Refused):
            return following.toast
        self.thread = replace(self.thread, following=following)
        return None

    @rx.event
    async def moderate(self, what: Any, value: Any) -> Any:
        """Stewards pin or lock the thread."""
        if what not in ("pinned", "locked"):
            return error_toast(Invalid("Choose pin or lock."))
        view = await call(self, _moderate, self.thread.id, what, value)
        if isinstance(view, Refused):
            return view.toast
        # Who may reply now is the service's answer, as is every other "may" of the view.
        self.thread = replace(
            self.thread, pinned=view.pinned, locked=view.locked, can_reply=view.can_reply
        )
        return rx.toast.success("Thread updated.")


class NewThreadState(rx.State):
    """The new-thread form with a live preview; the text lives here until it is posted."""

    community_id: int = 0
    community_name: str = ""
    kind: str = "discussion"
    title: str = ""
    body: str = ""
    tags: str = ""
    preview_html: str = ""
    errors: dict[str, str] = {}
    posting: bool = False

    @rx.event
    async def start(self) -> Any:
        """on_load of /c/[slug]/new: members only."""
        actor = await current_user(self)
        self.errors = {}
        card = await active_member_page(self, actor, routes.COMMUNITIES, "start a thread")
        if isinstance(card, list):  # not an active member: sent away
            return card
        # The form shows what this browser kept for the community (a reload or a reconnect
        # after a backend restart loses nothing typed).
        self.community_id, self.community_name = card.id, card.name
        kept = await drafts.restore(self, actor, self._draft_scope())
        self.title, self.body, self.tags = kept.get("title"), kept.get("body"), kept.get("tags")
        self.kind = kept.get("kind") if kept.get("kind") in discussions.KINDS else "discussion"
        self.preview_html = markdown.render(self.body) if self.body.strip() else ""
        return None

    def _draft_scope(self) -> str:
        return f"thread:{self.community_id}"

    async def _keep(self) -> str:
        """Save the form into this browser's drafts; returns the draft's key."""
        return await drafts.keep(
            self,
            await current_user(self),
            self._draft_scope(),
            kind=self.kind if self.title or self.body or self.tags else "",
            title=self.title,
            body=self.body,
            tags=self.tags,
        )

    @rx.event
    async def set_kind(self, value: Any) -> None:
        """Discussion or question."""
        if value in discussions.KINDS:
            self.kind = value
            await self._keep()

    @rx.event
    async def set_title(self, value: Any) -> None:
        """The title as typed."""
        self.title = typed(value, settings.THREAD_TITLE_MAX)
        await self._keep()

    @rx.event
    async def set_tags(self, value: Any) -> None:
        """Tags as typed."""
        self.tags = typed(value, settings.TAGS_INPUT_MAX)
        await self._keep()

    @rx.event
    async def set_body(self, value: Any) -> None:
        """The body as typed, and its preview rendered by the same sanitizer as posts."""
        self.body = typed(value, settings.POST_BODY_MAX)
        self.preview_html = markdown.render(self.body) if self.body.strip() else ""
        await self._keep()

    @rx.event
    async def submit(self) -> Any:
        """Start the thread; errors appear at their field and nothing typed is lost. Started
        again with the same draft key (after a lost reply), it opens the thread it made."""
        key = await self._keep()
        self.errors, self.posting = {}, True
        yield
        actor = await current_user(self)
        form = (self.kind, self.title, self.body, self.tags)
        url = await call(
            self, _start_thread, self.community_id, form, key, actor=actor, errors="errors"
        )
        if isinstance(url, Refused):
            self.posting = False
            return
        await drafts.clear(self, actor, self._draft_scope())
        self.posting = False
        self.title, self.body, self.tags, self.preview_html = "", "", "", ""
        yield [rx.redirect(url), rx.toast.success("Thread started.")]


class BellState(rx.State):
    """The notification bell: linked to the member's own room on every page."""

    @rx.event
    async def link(self) -> None:
        """Join the member's own room (their unread count and home feed)."""
        actor = await current_user(self)
        if actor is None or actor.id is None:
            unlink_room(self, UserRoom)
            return
        # Replies do not announce themselves to every member's home: re-read it on each page.
        await link_room(self, discussions.user_room(actor.id), refresh=True)

    @rx.event
    async def open_notification(self, ids: Any) -> Any:
        """Opening a line of the bell marks it read (the link itself navigates)."""
        done = await call(self, notifications.check_mark_read, ids)
        return done.toast if isinstance(done, Refused) else None

    @rx.event
    async def mark_all_read(self) -> Any:
        """Every tab of the member updates (their room's bell)."""
        done = await call(self, discussions.mark_notifications_read)
        return done.toast if isinstance(done, Refused) else None


class HomeState(rx.State):
    """The member's home lists that are not rooms: "you could help" and their mentorships
    (re-read when a mentorship of theirs changes). Followed threads are their room's."""

    could_help: list[ThreadRow] = []
    mentorships: list[MentorshipRow] = []

    @rx.event
    async def load(self) -> None:
        """on_load of the home page."""
        await self._read()

    async def _read(self) -> None:
        lists = await call(self, _home_lists)
        self.could_help, self.mentorships = ([], []) if isinstance(lists, Refused) else lists
        actor = await current_user(self)
        if actor is not None and actor.id is not None:  # followed threads: the room's
            await reread_linked(self, discussions.user_room(actor.id), {"followed"})

    @rx.event
    async def mentorships_changed(self, mentorship_id: Any) -> None:
        """Signal: a mentorship of this member changed; an open home page re-reads."""
        if (self.router.url.path or "/") == routes.HOME:
            await self._read()


on_signal("mentorship", HomeState.mentorships_changed)
