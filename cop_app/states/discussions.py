"""Discussion handlers: the community's thread list, a thread page, the new-thread form,
and the bell. The live parts are rooms (live.py); these states hold what is per reader."""

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from cop_app import routes
from cop_app.live import ThreadListRoom, ThreadRoom, UserRoom, assign, link_room, unlink_room
from cop_app.services import communities, discussions, markdown, mentorship, settings
from cop_app.services.access import access_community_content
from cop_app.services.discussions import PostView, ThreadRow, ThreadView
from cop_app.services.errors import DomainError, Invalid
from cop_app.services.mentorship import MentorshipRow
from cop_app.states import drafts
from cop_app.states.auth import current_user
from cop_app.states.base import db, error_toast, route_param

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


def _text(value: Any, limit: int) -> str:
    """A string argument cut to a size a form can hold (the service validates the rest)."""
    return value[:limit] if isinstance(value, str) else ""


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
        actor = await current_user(self)
        latest = self.sort == "latest"
        try:
            with db() as session:
                card = communities.get_by_slug(session, actor, route_param(self, "slug"))
                if latest:  # the room is joined only after list_threads' own check
                    access_community_content(session, actor, card.id)
                rows = (
                    [] if latest else discussions.list_threads(session, actor, card.id, self.sort)
                )
            if latest:  # the shared room holds the rows; this reader needs only their marks
                room = await link_room(
                    self, ThreadListRoom, discussions.list_room(card.id), card.id
                )
                rows = room.latest
                with db() as session:
                    marks = discussions.read_marks(session, actor, card.id, [r.id for r in rows])
            else:
                marks = {str(r.id): r.post_count - r.unread for r in rows}
        except DomainError as err:
            self.rows, self.more, self.read_marks, self.error = [], [], {}, err.message
            self.community_id, self.has_more = 0, False
            unlink_room(self, ThreadListRoom)
            return
        # Only what changed is set: a reopened list then sends (almost) nothing.
        assign(
            self,
            community_id=card.id,
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
        self.sort = "latest"
        await self._reload()

    @rx.event
    async def load_more(self) -> Any:
        """The next page of this sort, from the database."""
        actor = await current_user(self)
        try:
            with db() as session:
                rows = discussions.list_threads(
                    session, actor, self.community_id, self.sort, self.page + 1
                )
        except DomainError as err:
            return error_toast(err)
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

    async def _load(self) -> None:
        actor = await current_user(self)
        try:
            with db() as session:
                view, posts = discussions.open_thread(session, actor, self._thread_id())
                if posts:
                    discussions.check_mark_read(session, actor, view.id, posts[-1].number)
        except DomainError as err:
            self.found, self.missing = False, err.message
            unlink_room(self, ThreadRoom)
            return
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
        await link_room(self, ThreadRoom, discussions.thread_room(view.id), view.id)

    def _draft_scope(self) -> str:
        return f"reply:{self.thread.id}"

    @rx.event
    async def load_page(self) -> None:
        """on_load of /c/[slug]/t/[id] (and of every reconnect): check access, load the first
        page, join the room, and put back the reply this browser kept for the thread."""
        assign(self, reply_to_id=0, reply_to_label="")
        await self._load()
        kept = await drafts.restore(self, await current_user(self), self._draft_scope())
        assign(self, draft=kept.get("body") if self.found else "")

    @rx.event
    async def load_more(self) -> Any:
        """The next page after what this reader has loaded."""
        actor = await current_user(self)
        try:
            with db() as session:
                posts = discussions.read_posts(session, actor, self.thread.id, self.loaded_upto)
                if posts:
                    discussions.check_mark_read(session, actor, self.thread.id, posts[-1].number)
        except DomainError as err:
            return error_toast(err)
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
        actor = await current_user(self)
        try:
            with db() as session:
                discussions.check_mark_read(session, actor, self.thread.id, max(room.post_count, 1))
        except DomainError as err:
            return error_toast(err)
        self.seen_upto = room.post_count
        return None

    @rx.event
    async def set_draft(self, value: Any) -> None:
        """The reply being written (kept on the server, so no error loses it); suggests
        @mentions for the word being typed."""
        self.draft = _text(value, 60_000)
        await drafts.keep(self, await current_user(self), self._draft_scope(), body=self.draft)
        self.suggestions = await self._suggest(self.draft)

    async def _suggest(self, text: str) -> list[dict[str, str]]:
        match = _MENTION_TAIL.search(text)
        if not match or not self.thread.community_id:
            return []
        actor = await current_user(self)
        try:
            with db() as session:
                return discussions.mention_candidates(
                    session, actor, self.thread.community_id, match.group(1)
                )
        except DomainError:
            return []

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
        actor = await current_user(self)
        try:
            with db() as session:
                post, _ = discussions.access_post(session, actor, post_id)
                author = post.author_id
                number = post.number
        except DomainError as err:
            return error_toast(err)
        name = next((p.author_name for p in self.loaded if p.author_id == author), "")
        self.reply_to_id, self.reply_to_label = int(post_id), f"#{number} {name}".strip()
        return rx.set_focus("reply-body")

    @rx.event
    async def quote(self, post_id: Any) -> Any:
        """Quote a post into the draft as a Markdown block quote."""
        actor = await current_user(self)
        try:
            with db() as session:
                post, _ = discussions.access_post(session, actor, post_id)
                if post.deleted_at is not None or post.hidden:
                    raise Invalid("A removed post cannot be quoted.")
                body = post.body
        except DomainError as err:
            return error_toast(err)
        quoted = "\n".join("> " + line for line in body[:2000].splitlines())
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
        try:
            with db() as session:
                post = discussions.check_post_reply(
                    session,
                    actor,
                    self.thread.id,
                    self.draft,
                    self.reply_to_id or None,
                    client_key=key or None,
                )
                number = post.number
        except DomainError as err:
            self.errors = {err.field or "body": err.message}
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
        actor = await current_user(self)
        try:
            with db() as session:
                on = discussions.check_toggle_reaction(session, actor, post_id, kind)
        except DomainError as err:
            return error_toast(err)
        key = f"{int(post_id)}:{kind}"
        rest = [k for k in self.my_reactions if k != key]
        self.my_reactions = [*rest, key] if on else rest
        return None

    @rx.event
    async def show_reactors(self, post_id: Any) -> Any:
        """Who reacted to a post."""
        actor = await current_user(self)
        try:
            with db() as session:
                self.reactor_names = discussions.reactors(session, actor, post_id)
        except DomainError as err:
            return error_toast(err)
        return None

    @rx.event
    async def accept(self, post_id: Any) -> Any:
        """Mark a reply as the accepted answer (0 clears it)."""
        actor = await current_user(self)
        try:
            with db() as session:
                thread = discussions.check_accept_answer(
                    session, actor, self.thread.id, post_id or None
                )
                accepted = thread.accepted_post_id or 0
        except DomainError as err:
            return error_toast(err)
        self.thread = replace(self.thread, accepted_post_id=accepted)
        return rx.toast.success("Accepted answer updated." if accepted else "Answer unmarked.")

    @rx.event
    async def start_edit(self, post_id: Any) -> Any:
        """Open the editor on one of the reader's own posts."""
        actor = await current_user(self)
        try:
            with db() as session:
                post, access = discussions.access_post(session, actor, post_id)
                if actor is None or post.author_id != actor.id:
                    raise Invalid("You can only edit your own posts.")
                self.edit_text = post.body
                self.edit_title = access.thread.title if post.number == 1 else ""
                self.editing_id = post.id or 0
        except DomainError as err:
            return error_toast(err)
        self.errors = {}
        return None

    @rx.event
    def set_edit_text(self, value: Any) -> None:
        """The text in the post editor."""
        self.edit_text = _text(value, 60_000)

    @rx.event
    def set_edit_title(self, value: Any) -> None:
        """The title, when editing the opening post."""
        self.edit_title = _text(value, 300)

    @rx.event
    def cancel_edit(self) -> None:
        """Close the editor without saving."""
        self.editing_id, self.edit_text, self.edit_title = 0, "", ""

    @rx.event
    async def save_edit(self) -> Any:
        """Save an edit; the old text goes to the revision history."""
        actor = await current_user(self)
        try:
            with db() as session:
                post = discussions.check_edit_post(
                    session,
                    actor,
                    self.editing_id,
                    self.edit_text,
                    self.edit_title if self.edit_title else None,
                )
                number = post.number
        except DomainError as err:
            self.errors = {"edit": err.message}
            return None
        self.editing_id = 0
        if number == 1 and self.edit_title:
            self.thread = replace(self.thread, title=self.edit_title)
        self.loaded = [await self._fresh(p) if p.number == number else p for p in self.loaded]
        return rx.toast.success("Saved.")

    async def _fresh(self, view: PostView) -> PostView:
        actor = await current_user(self)
        with db() as session:
            access = discussions.access_thread(session, actor, self.thread.id)
            fresh = discussions.post_views(session, actor, access.thread, limit=1, ids=[view.id])
        return fresh[0] if fresh else view

    @rx.event
    async def delete(self, post_id: Any) -> Any:
        """Remove one's own post (moderators can still read it)."""
        actor = await current_user(self)
        try:
            with db() as session:
                post = discussions.check_delete_post(session, actor, post_id)
                pid = post.id
        except DomainError as err:
            return error_toast(err)
        self.loaded = [await self._fresh(p) if p.id == pid else p for p in self.loaded]
        return rx.toast.info("Post removed.")

    @rx.event
    async def reveal(self, post_id: Any) -> Any:
        """A moderator reads a removed or hidden post's kept text, in this tab only."""
        actor = await current_user(self)
        try:
            with db() as session:
                html = discussions.removed_text(session, actor, post_id)
        except DomainError as err:
            return error_toast(err)
        self.revealed = {**self.revealed, str(int(post_id)): html}
        return None

    @rx.event
    async def show_revisions(self, post_id: Any) -> Any:
        """The earlier versions of an edited post."""
        actor = await current_user(self)
        try:
            with db() as session:
                self.revisions = discussions.post_revisions(session, actor, post_id)
        except DomainError as err:
            return error_toast(err)
        return None

    @rx.event
    async def set_following(self, follow: Any) -> Any:
        """Follow (notifications for every reply) or unfollow this thread."""
        actor = await current_user(self)
        try:
            with db() as session:
                following = discussions.check_set_following(session, actor, self.thread.id, follow)
        except DomainError as err:
            return error_toast(err)
        self.thread = replace(self.thread, following=following)
        return None

    @rx.event
    async def moderate(self, what: Any, value: Any) -> Any:
        """Stewards pin or lock the thread."""
        if what not in ("pinned", "locked"):
            return error_toast(Invalid("Choose pin or lock."))
        actor = await current_user(self)
        try:
            with db() as session:
                thread = discussions.check_moderate_thread(
                    session, actor, self.thread.id, **{what: value}
                )
                pinned, locked = thread.pinned, thread.locked
        except DomainError as err:
            return error_toast(err)
        self.thread = replace(
            self.thread,
            pinned=pinned,
            locked=locked,
            can_reply=self.thread.is_member and not locked,
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
        try:
            with db() as session:
                card = communities.get_by_slug(session, actor, route_param(self, "slug"))
        except DomainError as err:
            return [error_toast(err), rx.redirect(routes.communities_url())]
        if card.my_status != "active":
            return [
                rx.toast.info(f"Join {card.name} to start a thread."),
                rx.redirect(routes.community_url(card.slug)),
            ]
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
        self.title = _text(value, 300)
        await self._keep()

    @rx.event
    async def set_tags(self, value: Any) -> None:
        """Tags as typed."""
        self.tags = _text(value, 300)
        await self._keep()

    @rx.event
    async def set_body(self, value: Any) -> None:
        """The body as typed, and its preview rendered by the same sanitizer as posts."""
        self.body = _text(value, 60_000)
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
        try:
            data = discussions.clean_thread_input(self.kind, self.title, self.body, self.tags)
            with db() as session:
                thread = discussions.check_create_thread(
                    session, actor, self.community_id, data, client_key=key or None
                )
                tid = thread.id
                slug = communities.slug_of(session, self.community_id)
        except DomainError as err:
            self.errors = {err.field or "form": err.message}
            self.posting = False
            return
        await drafts.clear(self, actor, self._draft_scope())
        self.posting = False
        self.title, self.body, self.tags, self.preview_html = "", "", "", ""
        yield [rx.redirect(routes.thread_url(slug, tid)), rx.toast.success("Thread started.")]


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
        await link_room(self, UserRoom, discussions.user_room(actor.id), actor.id, refresh=True)

    @rx.event
    async def mark_all_read(self) -> Any:
        """Mark every notification read (all the member's tabs update)."""
        actor = await current_user(self)
        try:
            with db() as session:
                discussions.mark_notifications_read(session, actor)
        except DomainError as err:
            return error_toast(err)
        return None


class HomeState(rx.State):
    """The member's home lists that are not live: followed threads and "you could help"."""

    followed: list[ThreadRow] = []
    could_help: list[ThreadRow] = []
    mentorships: list[MentorshipRow] = []

    @rx.event
    async def load(self) -> None:
        """Fill the home lists."""
        actor = await current_user(self)
        if actor is None:
            self.followed, self.could_help, self.mentorships = [], [], []
            return
        with db() as session:
            self.followed = discussions.followed_unread(session, actor)
            self.could_help = discussions.could_help(session, actor)
            rows = mentorship.my_mentorships(session, actor)
        self.mentorships = [r for r in rows if r.state in ("active", "paused", "requested")][:6]
