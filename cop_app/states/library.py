"""Library handlers: the lists (one community's, or every one the member may see), a
resource page with its editor, the history with a diff, the new-resource form, and the
thread page's "Promote to library". Shared parts live in rooms (live.py); these states hold
what is per reader. Every handler resolves its caller and calls one service."""

import json
from typing import Any

import reflex as rx
from reflex_base.config import get_config
from sqlmodel import Session

from cop_app import routes
from cop_app.live import LibraryRoom, ResourceRoom, assign, link_room, unlink_room
from cop_app.models import User
from cop_app.services import communities, library, markdown, settings
from cop_app.services.communities import CommunityCard, MemberView
from cop_app.services.discussions import access_thread
from cop_app.services.errors import Conflict, Invalid
from cop_app.services.library import DiffLine, ResourceMine, ResourceRow, RevisionRow
from cop_app.states import drafts
from cop_app.states.auth import current_user
from cop_app.states.base import Refused, active_member_page, call, error_toast, route_param

_FIELDS = ("kind", "title", "summary", "body", "tags", "url")


def _text(value: Any, limit: int) -> str:
    """A string argument cut to a size a form can hold (the service validates the rest)."""
    return value[:limit] if isinstance(value, str) else ""


def _limits() -> dict[str, int]:
    return {
        "kind": 20,
        "title": settings.RESOURCE_TITLE_MAX * 2,
        "summary": settings.RESOURCE_SUMMARY_MAX * 2,
        "body": settings.RESOURCE_BODY_MAX + 1000,
        "tags": 300,
        "url": settings.RESOURCE_URL_MAX * 2,
        "note": settings.RESOURCE_NOTE_MAX * 2,
    }


def _library_page(
    session: Session, actor: User | None, slug: str, plain: bool, view: tuple[str, str, str, int]
) -> tuple[CommunityCard | None, list[ResourceRow], list[ResourceRow]]:
    """The community (none: every library the member may see), the page of this view, and
    what needs review; the community's default view is the room's, so it reads no page."""
    card = communities.content_card(session, actor, slug) if slug else None
    cid = card.id if card else None
    rows = [] if cid and plain else library.browse(session, actor, cid, *view)
    return card, rows, library.needs_review(session, actor, cid)


def _reader(
    session: Session, actor: User | None, resource_id: str
) -> tuple[int, int, ResourceMine, list[MemberView]]:
    """The resource's id and revision, what this reader did with it, and (for a steward)
    the members it may be handed to."""
    access, mine = library.reader_side(session, actor, resource_id)
    resource = access.resource
    members = (
        communities.member_views(session, resource.community_id, "active") if mine.steward else []
    )
    return resource.id, resource.revision, mine, members


def _editor_values(
    session: Session, actor: User | None, resource_id: int
) -> tuple[dict[str, str], int]:
    """The text the editor opens on and its revision, for those who may edit."""
    access = library.access_resource(session, actor, resource_id)
    if not access.may_edit:
        raise Invalid("Only the author, the owner or a steward can edit this.")
    return {n: getattr(access.resource, n) for n in _FIELDS}, access.resource.revision


def _save_edit(
    session: Session,
    actor: User | None,
    resource_id: int,
    fields: tuple[str, ...],
    note: str,
    base: int,
) -> None:
    """Clean the editor's fields and save them on top of the revision it was opened on."""
    library.check_edit_resource(
        session, actor, resource_id, library.clean_resource_input(*fields), note, base
    )


def _history(
    session: Session, actor: User | None, resource_id: str
) -> tuple[int, str, bool, list[RevisionRow]]:
    """The resource's id, title, whether this reader may restore, and its revisions."""
    access, mine = library.reader_side(session, actor, resource_id)
    rows = library.history(session, actor, access.resource.id)
    return access.resource.id, access.resource.title, mine.may_edit, rows


def _restore(
    session: Session, actor: User | None, resource_id: int, number: Any
) -> list[RevisionRow]:
    """The revisions once the old one is back as the newest."""
    resource = library.check_restore_revision(session, actor, resource_id, number)
    return library.history(session, actor, resource.id)


def _create(
    session: Session, actor: User | None, community_id: int, fields: tuple[str, ...], key: str
) -> int:
    """The new resource's id: the page the form opens once it exists."""
    data = library.clean_resource_input(*fields)
    resource = library.check_create_resource(
        session, actor, community_id, data, client_key=key or None
    )
    return resource.id


def _thread_resources(session: Session, actor: User | None, thread_id: str) -> list[dict[str, str]]:
    """The thread's resources, after the thread's own access check."""
    access = access_thread(session, actor, thread_id)
    return library.thread_resources(session, access.thread.id)


def _promote(session: Session, actor: User | None, thread_id: str, answer_only: Any) -> int:
    """The new resource's id: the page the promote button opens."""
    return library.check_promote(session, actor, thread_id, answer_only).id


class LibraryState(rx.State):
    """A library list. On /c/[slug]/library (and the community page's Library tab) the
    default view comes live from the community's room; filters and pages from the database."""

    community_id: int = 0
    community_slug: str = ""
    community_name: str = ""
    is_member: bool = False
    kind: str = ""
    tag: str = ""
    sort: str = "reused"
    page: int = 1
    rows: list[ResourceRow] = []
    has_more: bool = False
    review: list[ResourceRow] = []
    error: str = ""
    loaded: bool = False

    @rx.var
    def live(self) -> bool:
        """The community's default view (most reused, first page) is the shared room's."""
        return self.community_id > 0 and self._plain()

    def _plain(self) -> bool:
        return not self.kind and not self.tag and self.page == 1 and self.sort == "reused"

    async def _reload(self) -> None:
        page = await call(
            self,
            _library_page,
            route_param(self, "slug"),
            self._plain(),
            (self.kind, self.tag, self.sort, self.page),
        )
        if isinstance(page, Refused):
            assign(self, rows=[], review=[], error=page.error.message, community_id=0, loaded=True)
            unlink_room(self, LibraryRoom)
            return
        card, rows, review = page
        cid = card.id if card else 0
        room = await link_room(self, library.library_room(cid)) if cid else None  # may be busy
        assign(
            self,
            community_id=cid,
            community_slug=card.slug if card else "",
            community_name=card.name if card else "",
            is_member=card is not None and card.my_status == "active",
            rows=rows,
            has_more=len(rows) >= settings.LIBRARY_PAGE_SIZE,
            review=review,
            error="",
            loaded=True,
        )
        if room is not None:
            if self._plain():
                self.has_more = room.resource_count > settings.LIBRARY_PAGE_SIZE
        else:
            unlink_room(self, LibraryRoom)

    @rx.event
    async def load(self) -> None:
        """on_load of a library page (and of a community page, for its Library tab)."""
        assign(self, kind="", tag="", sort="reused", page=1, loaded=False)
        await self._reload()

    @rx.event
    async def set_kind(self, value: Any) -> None:
        """Only one kind of resource ("" for every kind)."""
        if value == "all" or value in library.KINDS:
            self.kind, self.page = "" if value == "all" else value, 1
            await self._reload()

    @rx.event
    async def set_tag(self, value: Any) -> None:
        """Only resources with this tag ("" for any)."""
        self.tag, self.page = _text(value, settings.TAG_MAX_LENGTH).strip().lower(), 1
        await self._reload()

    @rx.event
    async def set_sort(self, value: Any) -> None:
        """Most reused, most endorsed, newest, recently updated, or needs review."""
        if value in library.SORTS:
            self.sort, self.page = value, 1
            await self._reload()

    @rx.event
    async def go_page(self, step: Any) -> None:
        """The next (1) or previous (-1) page."""
        if step in (1, -1) and not isinstance(step, bool) and self.page + step >= 1:
            self.page += step
            await self._reload()


class ResourceState(rx.State):
    """One reader of one resource: what they did with it, their editor and its draft."""

    found: bool = False
    missing: str = ""
    resource_id: int = 0
    mine: ResourceMine = ResourceMine()
    outcome: str = ""
    errors: dict[str, str] = {}
    editing: bool = False
    kind: str = "guide"
    title: str = ""
    summary: str = ""
    body: str = ""
    tags: str = ""
    url: str = ""
    note: str = ""
    preview_html: str = ""
    base_revision: int = 0
    conflict: str = ""
    conflict_lines: list[DiffLine] = []
    members: list[dict[str, str]] = []
    saving: bool = False

    def _scope(self) -> str:
        return f"resource:{self.resource_id}"

    @rx.event
    async def load(self) -> None:
        """on_load of /r/[id]: check access, join the resource's room, and reopen the editor
        if this browser kept a draft of it."""
        actor = await current_user(self)
        reader = await call(self, _reader, route_param(self, "id"), actor=actor)
        if isinstance(reader, Refused):
            assign(self, found=False, missing=reader.error.message, resource_id=0, editing=False)
            unlink_room(self, ResourceRoom)
            return
        rid, revision, mine, members = reader
        await link_room(self, library.resource_room(rid))  # first: it may be busy
        assign(
            self,
            found=True,
            missing="",
            resource_id=rid,
            mine=mine,
            errors={},
            conflict="",
            conflict_lines=[],
            members=[
                {"id": str(m.user_id), "name": m.display_name}
                for m in members[: settings.MEMBERS_PAGE_SIZE]
            ],
        )
        kept = await drafts.restore(self, actor, self._scope())
        if kept.get("body") and mine.may_edit:
            base = kept.get("base")
            self._fill(kept.fields, int(base) if base.isdigit() else revision)
            self.editing = True
        else:
            self.editing = False

    def _fill(self, values: dict[str, str], base: int) -> None:
        limits = _limits()
        for name in (*_FIELDS, "note"):
            setattr(self, name, _text(values.get(name, ""), limits[name]))
        if self.kind not in library.KINDS:
            self.kind = "guide"
        self.base_revision = base
        self.preview_html = markdown.render(self.body) if self.body.strip() else ""

    async def _presence(self, actor: User | None, on: bool) -> None:
        room = await self.get_state(ResourceRoom)
        if actor is not None and actor.id is not None and room.resource_id == self.resource_id:
            room._mark_editing(actor.id, actor.display_name, on)

    async def _keep(self, actor: User | None) -> str:
        return await drafts.keep(
            self,
            actor,
            self._scope(),
            **{name: getattr(self, name) for name in (*_FIELDS, "note")},
            base=str(self.base_revision) if self.body else "",
        )

    @rx.event
    async def start_edit(self) -> Any:
        """Open the editor on the current text (authors, owners and stewards)."""
        opened = await call(self, _editor_values, self.resource_id)
        if isinstance(opened, Refused):
            return opened.toast
        values, base = opened
        self._fill({**values, "note": ""}, base)
        self.editing, self.errors, self.conflict, self.conflict_lines = True, {}, "", []
        await self._presence(await current_user(self), True)
        return None

    @rx.event
    async def set_field(self, name: Any, value: Any) -> None:
        """One field of the editor as typed; the draft is kept in this browser."""
        if name not in (*_FIELDS, "note") or not self.editing:
            return
        text = _text(value, _limits()[name])
        if name == "kind" and text not in library.KINDS:
            return
        setattr(self, name, text)
        if name == "body":
            self.preview_html = markdown.render(self.body) if self.body.strip() else ""
        actor = await current_user(self)
        await self._keep(actor)
        await self._presence(actor, True)

    @rx.event
    async def cancel_edit(self) -> None:
        """Close the editor and forget its draft."""
        actor = await current_user(self)
        await drafts.clear(self, actor, self._scope())
        self.editing, self.conflict, self.conflict_lines, self.errors = False, "", [], {}
        await self._presence(actor, False)

    @rx.event
    async def take_latest(self) -> None:
        """After a conflict: keep this text and save it on top of the latest revision."""
        room = await self.get_state(ResourceRoom)
        if self.conflict and room.resource_id == self.resource_id:
            self.base_revision = room.view.revision
            self.conflict, self.conflict_lines = "", []
            await self._keep(await current_user(self))

    @rx.event
    async def save(self, resource_id: Any) -> Any:
        """Save the editor's text as a new revision of the resource it was opened on; if
        someone saved meanwhile, show what they changed and keep this text in the editor."""
        actor = await current_user(self)
        if resource_id != self.resource_id or not self.editing:
            yield error_toast(Invalid("This editor is not open on that resource; reload."))
            return
        await self._keep(actor)
        self.errors, self.saving = {}, True
        yield
        fields = tuple(getattr(self, n) for n in _FIELDS)
        saved = await call(
            self, _save_edit, self.resource_id, fields, self.note, self.base_revision, actor=actor
        )
        if isinstance(saved, Refused) and isinstance(saved.error, Conflict):
            lines = await call(
                self,
                library.diff,
                self.resource_id,
                self.base_revision,
                saved.error.latest,
                actor=actor,
            )
            self.conflict, self.saving = saved.error.message, False
            self.conflict_lines = [] if isinstance(lines, Refused) else lines
            return
        if isinstance(saved, Refused):
            self.errors, self.saving = {saved.error.field or "form": saved.error.message}, False
            return
        await drafts.clear(self, actor, self._scope())
        self.editing, self.saving, self.note = False, False, ""
        await self._presence(actor, False)
        yield rx.toast.success("Saved as a new revision.")

    @rx.event
    async def endorse(self, resource_id: Any, on: Any) -> Any:
        """ "I practise this" (on) or take it back (off)."""
        now_on = await call(self, library.check_endorse, resource_id, on)
        if isinstance(now_on, Refused):
            return now_on.toast
        if resource_id == self.resource_id:
            self.mine = ResourceMine(**{**self.mine.__dict__, "endorsed": now_on})
        return None

    @rx.event
    def set_outcome(self, value: Any) -> None:
        """The one-line outcome of a reuse, as typed."""
        self.outcome = _text(value, settings.REUSE_OUTCOME_MAX * 2)

    @rx.event
    async def record_reuse(self, resource_id: Any) -> Any:
        """ "I used this", with the outcome typed beside it."""
        reused = await call(
            self,
            library.check_record_reuse,
            resource_id,
            self.outcome,
            errors="errors",
            field="reuse",
        )
        if isinstance(reused, Refused):
            return None
        if resource_id == self.resource_id:
            self.mine = ResourceMine(**{**self.mine.__dict__, "reused": True})
        self.outcome, self.errors = "", {}
        return rx.toast.success("Thank you: your reuse is counted.")

    @rx.event
    async def mark(self, resource_id: Any, what: Any) -> Any:
        """Mark the resource reviewed today, or outdated."""
        marked = await call(self, library.check_mark, resource_id, what)
        if isinstance(marked, Refused):
            return marked.toast
        return rx.toast.success("Marked " + str(what) + ".")

    @rx.event
    async def transfer(self, resource_id: Any, owner_id: Any) -> Any:
        """A steward hands the resource to another member."""
        moved = await call(self, library.check_transfer_owner, resource_id, owner_id)
        if isinstance(moved, Refused):
            return moved.toast
        return rx.toast.success("Owner changed.")

    @rx.event
    async def upload(self, files: list[rx.UploadFile]) -> Any:
        """Attach the chosen files (each checked by content, size and count)."""
        actor = await current_user(self)
        if not isinstance(files, list):
            return error_toast(Invalid("Choose files to upload."))
        added = 0
        for item in files[: settings.ATTACHMENTS_PER_RESOURCE]:
            reader = getattr(item, "file", None)
            if reader is None or not hasattr(reader, "read"):
                continue
            data = reader.read(settings.ATTACHMENT_MAX_BYTES + 1)
            name = getattr(item, "filename", "")
            attached = await call(
                self, library.check_attach, self.resource_id, name, data, actor=actor
            )
            if isinstance(attached, Refused):
                return [rx.clear_selected_files("resource-files"), attached.toast]
            added += 1
        if not added:
            return error_toast(Invalid("Choose files to upload."))
        return [
            rx.clear_selected_files("resource-files"),
            rx.toast.success(f"{added} file{'s' if added != 1 else ''} attached."),
        ]

    @rx.event
    async def download(self, attachment_id: Any) -> Any:
        """Fetch a file: a short-lived link minted for this reader, served by the backend."""
        token = await call(self, library.mint_download, attachment_id)
        if isinstance(token, Refused):
            return token.toast
        url = get_config().api_url.rstrip("/") + routes.download_url(token)
        return rx.call_script(f"window.location.assign({json.dumps(url)})")


class HistoryState(rx.State):
    """A resource's history: its revisions, a diff between any two, restore."""

    found: bool = False
    missing: str = ""
    resource_id: int = 0
    title: str = ""
    may_edit: bool = False
    revisions: list[RevisionRow] = []
    older: str = ""
    newer: str = ""
    lines: list[DiffLine] = []

    @rx.event
    async def load(self) -> None:
        """on_load of /r/[id]/history: the revisions and the latest change's diff."""
        found = await call(self, _history, route_param(self, "id"))
        if isinstance(found, Refused):
            assign(self, found=False, missing=found.error.message, revisions=[], lines=[])
            return
        rid, title, may_edit, rows = found
        newest = rows[0].number if rows else 1
        assign(
            self,
            found=True,
            missing="",
            resource_id=rid,
            title=title,
            may_edit=may_edit,
            revisions=rows,
            older=str(max(1, newest - 1)),
            newer=str(newest),
        )
        await self._compare()

    async def _compare(self) -> Any:
        lines = await call(self, library.diff, self.resource_id, self.older, self.newer)
        if isinstance(lines, Refused):
            self.lines = []
            return lines.toast
        self.lines = lines
        return None

    @rx.event
    async def set_older(self, value: Any) -> Any:
        """The revision to compare from."""
        self.older = _text(value, 12)
        return await self._compare()

    @rx.event
    async def set_newer(self, value: Any) -> Any:
        """The revision to compare to."""
        self.newer = _text(value, 12)
        return await self._compare()

    @rx.event
    async def restore(self, number: Any) -> Any:
        """Bring an old revision back as a new one (authors, owners, stewards)."""
        rows = await call(self, _restore, self.resource_id, number)
        if isinstance(rows, Refused):
            return rows.toast
        self.revisions = rows
        self.newer, self.older = str(rows[0].number), str(number)
        await self._compare()
        return rx.toast.success(f"Revision {number} restored as revision {rows[0].number}.")


class NewResourceState(rx.State):
    """The new-resource form with a live preview; kept in this browser until published."""

    community_id: int = 0
    community_name: str = ""
    kind: str = "guide"
    title: str = ""
    summary: str = ""
    body: str = ""
    tags: str = ""
    url: str = ""
    preview_html: str = ""
    errors: dict[str, str] = {}
    posting: bool = False

    def _scope(self) -> str:
        return f"resource-new:{self.community_id}"

    @rx.event
    async def start(self) -> Any:
        """on_load of /c/[slug]/library/new: active members only."""
        actor = await current_user(self)
        self.errors = {}
        card = await active_member_page(self, actor, routes.LIBRARY, "add to its library")
        if isinstance(card, list):  # not an active member: sent away
            return card
        self.community_id, self.community_name = card.id, card.name
        kept = await drafts.restore(self, actor, self._scope())
        limits = _limits()
        for name in _FIELDS:
            setattr(self, name, _text(kept.get(name), limits[name]))
        if self.kind not in library.KINDS:
            self.kind = "guide"
        self.preview_html = markdown.render(self.body) if self.body.strip() else ""
        return None

    @rx.event
    async def set_field(self, name: Any, value: Any) -> None:
        """One field as typed; the draft is kept in this browser."""
        if name not in _FIELDS or not self.community_id:
            return
        text = _text(value, _limits()[name])
        if name == "kind" and text not in library.KINDS:
            return
        setattr(self, name, text)
        if name == "body":
            self.preview_html = markdown.render(self.body) if self.body.strip() else ""
        await self._keep(await current_user(self))

    async def _keep(self, actor: User | None) -> str:
        typed = any(getattr(self, n) for n in _FIELDS if n != "kind")
        values = {n: getattr(self, n) for n in _FIELDS}
        values["kind"] = self.kind if typed else ""
        return await drafts.keep(self, actor, self._scope(), **values)

    @rx.event
    async def submit(self) -> Any:
        """Publish; errors appear at their field and nothing typed is lost. Published again
        with the same draft key (after a lost reply), it opens the resource it made."""
        actor = await current_user(self)
        key = await self._keep(actor)
        self.errors, self.posting = {}, True
        yield
        fields = tuple(getattr(self, n) for n in _FIELDS)
        rid = await call(
            self, _create, self.community_id, fields, key, actor=actor, errors="errors"
        )
        if isinstance(rid, Refused):
            self.posting = False
            return
        await drafts.clear(self, actor, self._scope())
        self.posting = False
        for name in (*_FIELDS, "preview_html"):
            setattr(self, name, "guide" if name == "kind" else "")
        yield [rx.redirect(routes.resource_url(rid)), rx.toast.success("Added to the library.")]


class PromoteState(rx.State):
    """The thread page's link to the library: what the thread became, and the button that
    promotes it (or its accepted answer) in one step."""

    in_library: list[dict[str, str]] = []
    promoting: bool = False

    @rx.event
    async def load(self) -> None:
        """on_load of a thread page: the resources it became (after the thread's check)."""
        found = await call(self, _thread_resources, route_param(self, "id"))
        self.in_library = [] if isinstance(found, Refused) else found

    @rx.event
    async def promote(self, answer_only: Any) -> Any:
        """Turn the thread (or its accepted answer) into a resource and open it."""
        self.promoting = True
        rid = await call(self, _promote, route_param(self, "id"), answer_only)
        self.promoting = False
        if isinstance(rid, Refused):
            return rid.toast
        return [rx.redirect(routes.resource_url(rid)), rx.toast.success("Now in the library.")]
