"""A resource's history: its revisions and a readable diff between any two. Reads never
commit; restoring is a write (writes.check_restore_revision)."""

import difflib
from dataclasses import dataclass

from sqlmodel import Session, col, select

from cop_app.models import ResourceRevision, User
from cop_app.services import settings
from cop_app.services.library.access import access_resource
from cop_app.services.library.writes import revision_row


@dataclass
class RevisionRow:
    """A line of a resource's history."""

    number: int
    editor_name: str
    note: str
    when: str


@dataclass
class DiffLine:
    """One line of a diff: "same", "add" or "del" (rendered as text, so always escaped)."""

    kind: str
    text: str


def history(session: Session, actor: User | None, resource_id: object) -> list[RevisionRow]:
    """A resource's revisions, newest first (one page)."""
    access = access_resource(session, actor, resource_id)
    rows = session.exec(
        select(
            ResourceRevision.number,
            ResourceRevision.note,
            ResourceRevision.created_at,
            User.display_name,
        )
        .join(User, User.id == ResourceRevision.editor_id)
        .where(ResourceRevision.resource_id == access.resource.id)
        .order_by(col(ResourceRevision.number).desc())
        .limit(settings.REVISIONS_PAGE_SIZE)
    ).all()
    return [
        RevisionRow(number=n, editor_name=name, note=note, when=at.strftime("%d %b %Y %H:%M"))
        for n, note, at, name in rows
    ]


def _lines(rev: ResourceRevision) -> list[str]:
    head = [f"Title: {rev.title}", f"Summary: {rev.summary}", f"Tags: {rev.tags}"]
    if rev.url:
        head.append(f"Link: {rev.url}")
    return [*head, "", *rev.body.splitlines()]


def diff(
    session: Session, actor: User | None, resource_id: object, older: object, newer: object
) -> list[DiffLine]:
    """What changed from one revision to another, line by line (inline, with context)."""
    access = access_resource(session, actor, resource_id)
    a = revision_row(session, access.resource.id, older)
    b = revision_row(session, access.resource.id, newer)
    return diff_lines(_lines(a), _lines(b))


def diff_lines(before: list[str], after: list[str]) -> list[DiffLine]:
    """An inline diff of two texts: unchanged lines, removed ones, added ones."""
    out: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after).get_opcodes():
        if op == "equal":
            out += [DiffLine("same", line) for line in before[i1:i2]]
            continue
        out += [DiffLine("del", line) for line in before[i1:i2]]
        out += [DiffLine("add", line) for line in after[j1:j2]]
    return out
