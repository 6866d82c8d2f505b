"""The live rooms that show discussions, and the announcements that reach them after
commit (live.py re-reads the database for each)."""

from sqlmodel import Session, select

from cop_app.models import Membership, Thread
from cop_app.services.events import Change, on_commit
from cop_app.services.notifications import user_room
from cop_app.services.rooms import RoomKey, RoomKind


def thread_room(thread_id: int) -> RoomKey:
    """The live room of one thread's readers."""
    return RoomKey(RoomKind.THREAD, thread_id)


def list_room(community_id: int) -> RoomKey:
    """The live room of one community's thread list."""
    return RoomKey(RoomKind.THREADS, community_id)


def announce_thread(
    session: Session, thread: Thread, kind: str, post_id: int | None = None
) -> None:
    """Readers of the thread and of its community's list hear of it; `post_id` names the
    post to patch for readers who loaded it from an older page."""
    on_commit(
        session,
        Change(
            kind,
            (thread_room(thread.id), list_room(thread.community_id)),
            {"id": thread.id, "post_id": post_id},
        ),
    )


def announce_members(session: Session, community_id: int) -> None:
    """Members' home pages list the latest threads of their communities."""
    member_ids = session.exec(
        select(Membership.user_id).where(
            Membership.community_id == community_id, Membership.status == "active"
        )
    ).all()
    rooms = tuple(user_room(u) for u in member_ids)
    on_commit(session, Change("home.threads", rooms, {"part": "home"}))
