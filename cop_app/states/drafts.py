"""Drafts kept in the browser until they are posted.

A backend restart wipes a tab's state, and a reload starts a fresh one: what someone was
typing must survive both. Every draft (a reply, a new thread, a card; a resource later) lives
in one localStorage entry of this browser, which Reflex sends back on every (re)connect and
applies before the page's on_load runs. An editor uses three calls: `restore` in its on_load,
`keep` in the handler that receives the text, `clear` once the service accepted it.

Each draft carries an idempotency key minted when it starts: the Post handler passes it to
the service, so a Post retried after its acknowledgement was lost returns the row it made.
The stored map is client-writable, so every read validates it again; the service validates
the key once more.
"""

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from cop_app.models import User
from cop_app.services import settings, validation
from cop_app.services.errors import Invalid


class DraftStore(rx.State):
    """This browser's drafts: a JSON map "user:scope" -> {"k": key, "f": {field: text}},
    oldest first. Synced across the browser's tabs, like the session id."""

    store: str = rx.LocalStorage("{}", name="cop_drafts", sync=True)


@dataclass(frozen=True)
class Draft:
    """One draft's fields and its idempotency key ("" when nothing is kept)."""

    fields: dict[str, str] = field(default_factory=dict)
    key: str = ""

    def get(self, name: str) -> str:
        """One field's text ("" when absent)."""
        return self.fields.get(name, "")


def new_key() -> str:
    """A fresh idempotency key: 128 random bits, url-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def _valid_key(value: Any) -> str:
    try:
        return validation.client_key(value) or ""
    except Invalid:
        return ""


def _parse(raw: Any) -> dict[str, Draft]:
    """The browser's map, keeping only well-formed entries (anything else is dropped)."""
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return {}
    drafts: dict[str, Draft] = {}
    for slot, entry in list(data.items())[-settings.DRAFTS_KEPT :]:
        if not isinstance(entry, dict) or not isinstance(entry.get("f"), dict):
            continue
        fields = {
            str(name)[:40]: text[: settings.POST_BODY_MAX]
            for name, text in entry["f"].items()
            if isinstance(text, str) and text
        }
        key = _valid_key(entry.get("k"))
        if fields and key:
            drafts[str(slot)[:100]] = Draft(fields, key)
    return drafts


def _dump(drafts: dict[str, Draft]) -> str:
    """The map as stored, oldest drafts dropped until it fits the caps."""
    slots = list(drafts)[-settings.DRAFTS_KEPT :]
    while True:
        text = json.dumps(
            {s: {"k": drafts[s].key, "f": drafts[s].fields} for s in slots},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        if len(text) <= settings.DRAFT_STORE_MAX_CHARS or len(slots) <= 1:
            return text
        slots = slots[1:]


def _slot(actor: User | None, scope: str) -> str | None:
    """Drafts are per person: another account signed in on this browser never sees them."""
    return None if actor is None or actor.id is None else f"{actor.id}:{scope}"


async def _store(state: rx.State) -> DraftStore:
    return await state.get_state(DraftStore)


async def restore(state: rx.State, actor: User | None, scope: str) -> Draft:
    """The draft this browser keeps for this person and scope (empty if none)."""
    slot = _slot(actor, scope)
    if slot is None:
        return Draft()
    return _parse((await _store(state)).store).get(slot, Draft())


async def keep(state: rx.State, actor: User | None, scope: str, **fields: str) -> str:
    """Save these fields into the scope's draft (a key is minted when it starts) and return
    its key; a draft whose every field is empty is dropped ("" returned)."""
    slot = _slot(actor, scope)
    if slot is None:
        return ""
    store = await _store(state)
    drafts = _parse(store.store)
    old = drafts.pop(slot, Draft())
    merged = {k: v for k, v in {**old.fields, **fields}.items() if v}
    draft = Draft(merged, old.key or new_key()) if merged else Draft()
    if merged:
        drafts[slot] = draft
    text = _dump(drafts)
    if text != store.store:
        store.store = text
    return draft.key


async def clear(state: rx.State, actor: User | None, scope: str) -> None:
    """Forget the scope's draft: it was posted."""
    slot = _slot(actor, scope)
    if slot is None:
        return
    store = await _store(state)
    drafts = _parse(store.store)
    if drafts.pop(slot, None) is not None:
        store.store = _dump(drafts)
