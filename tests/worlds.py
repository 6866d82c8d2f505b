"""The named worlds the unit tests build on: people and communities written straight to the
database, each in one transaction (fast on PostgreSQL), as `tests/conftest.py` serves them."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from cop_app.models import Community, Membership, MentorCommunity, MentorProfile, Post, Thread, User
from cop_app.models.base import utcnow
from cop_app.services import discussions
from cop_app.services.errors import DomainError
from tests.factories import DEFAULT_PASSWORD, password_hash_for

#: How old the worlds' accounts are: past every new-member limit.
OLD = timedelta(days=30)
#: The hash of people who never sign in (no argon2 work per world).
UNUSED_HASH = "!not-used-by-these-tests"

RowCounts = Callable[[Session], dict[str, int]]

ENGINEERING = {
    "slug": "engineering-craft",
    "name": "Engineering Craft Guild",
    "domain": "Engineers improving how we review, test and ship software.",
}
SURGICAL = {
    "slug": "surgical-technique-exchange",
    "name": "Surgical Technique Exchange",
    "domain": "Surgeons and theatre nurses refining operative technique together.",
}


def person(
    name: str, handle: str, role: str = "member", password_hash: str = UNUSED_HASH, **fields: Any
) -> User:
    """An old account, not yet added to the session."""
    return User(
        email=f"{handle}@example.org",
        display_name=name,
        handle=handle,
        role=role,
        password_hash=password_hash,
        created_at=utcnow() - OLD,
        **fields,
    )


def memberships(rows: Iterable[tuple[Community, User, str, str]]) -> list[Membership]:
    """Membership rows from (community, user, role, status)."""
    return [
        Membership(community_id=c.id, user_id=u.id, role=role, status=status)
        for c, u, role, status in rows
    ]


# --- what the tests ask of any world ----------------------------------------------------------


class AnyWorld(Protocol):
    """A world with a session and a row counter: what `refused` and `fresh` need."""

    session: Session
    row_counts: RowCounts


def snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table, as the caller's transaction sees it (flushed rows too)."""
    conn = session.connection()
    return {
        table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()).all())
        for table in SQLModel.metadata.sorted_tables
    }


def refused(w: AnyWorld, error: type[DomainError], fn: Callable[..., Any], *args: Any, **kw: Any):
    """Call a service verb that must refuse, and prove it wrote nothing (not even a flush)."""
    counts = w.row_counts(w.session)
    before = snapshot(w.session)
    with pytest.raises(error) as info:
        fn(w.session, *args, **kw)
    assert w.row_counts(w.session) == counts
    assert snapshot(w.session) == before
    w.session.rollback()
    return info.value


def fresh(w: AnyWorld, model: type, row_id: int) -> Any:
    """A row as the database holds it now (not as the session remembers it)."""
    w.session.expire_all()
    return w.session.get(model, row_id)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs (to prove a query count)."""
    seen: list[str] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


# --- discussions ------------------------------------------------------------------------------


@dataclass
class DiscussionsWorld:
    session: Session
    engine: Engine
    row_counts: RowCounts
    admin: User
    steward: User  # steward of both communities
    asker: User  # member of both
    member: User  # member of both
    other: User  # member of the open community only
    outsider: User  # signed in, member of neither
    pending: User  # waiting for approval in the closed community
    open: Community
    closed: Community


def discussions_world(session: Session, engine: Engine, row_counts: RowCounts) -> DiscussionsWorld:
    """Two communities and their people."""
    admin = person("Amara Okafor", "amara-okafor", role="admin")
    steward = person("Dr Helen Carter", "helen-carter", role="mentor")
    asker = person("Ada Lovelace", "ada-l", expertise="python testing")
    member = person("Ravi Iyer", "ravi-iyer", expertise="laparoscopy code-review")
    other = person("Grace Adeyemi", "grace-adeyemi")
    outsider = person("Olga Outsider", "olga-o", expertise="testing laparoscopy")
    pending = person("Pat Pending", "pat-p")
    session.add_all([admin, steward, asker, member, other, outsider, pending])
    session.flush()
    open_ = Community(**ENGINEERING, visibility="open", created_by=steward.id, member_count=4)
    closed = Community(**SURGICAL, visibility="approval", created_by=steward.id, member_count=3)
    session.add_all([open_, closed])
    session.flush()
    rows = [(open_, steward, "steward", "active"), (closed, steward, "steward", "active")]
    rows += [(open_, u, "member", "active") for u in (asker, member, other)]
    rows += [(closed, u, "member", "active") for u in (asker, member)]
    rows += [(closed, pending, "member", "pending")]
    session.add_all(memberships(rows))
    session.commit()
    return DiscussionsWorld(
        session,
        engine,
        row_counts,
        admin,
        steward,
        asker,
        member,
        other,
        outsider,
        pending,
        open_,
        closed,
    )


# --- moderation -------------------------------------------------------------------------------


@dataclass
class ModerationWorld:
    session: Session
    engine: Engine
    row_counts: RowCounts
    admin: User
    admin2: User  # another admin, also a member of the guild
    steward: User  # steward of the guild
    other_steward: User  # steward of the circle only
    author: User  # guild member who wrote the thread and a reply
    r1: User
    r2: User
    r3: User
    r4: User  # guild members who report
    outsider: User  # signed in, member of nothing
    circle_author: User  # member of the circle only
    guild: Community  # open
    circle: Community  # approval-only
    thread: Thread  # guild question by author (the first thread: id 1 on a fresh database)
    opening: Post  # its post #1
    reply: Post  # a reply by author
    circle_thread: Thread  # in the circle, by circle_author


def give_standing(session: Session, host: User, community: Community, people: list[User]) -> None:
    """Each person writes a reply the host finds helpful: a contributor, so their flags count."""
    data = discussions.clean_thread_input(
        "discussion", "Introduce yourself", "Say what you work on.", ""
    )
    intro = discussions.check_create_thread(session, host, community.id, data)
    for someone in people:
        reply = discussions.check_post_reply(
            session, someone, intro.id, f"{someone.display_name} here."
        )
        discussions.check_toggle_reaction(session, host, reply.id, "helpful")


def moderation_world(session: Session, engine: Engine, row_counts: RowCounts) -> ModerationWorld:
    """A guild with a question, a reply and four reporters with standing; a circle apart.

    Its people sign in with DEFAULT_PASSWORD; it posts several times in a row, so it needs
    the `relaxed_intervals` fixture."""

    def signs_in(name: str, handle: str, role: str = "member") -> User:
        return person(name, handle, role, password_hash=password_hash_for(DEFAULT_PASSWORD))

    people = {
        "admin": signs_in("Amara Okafor", "amara", "admin"),
        "admin2": signs_in("Daniel Reyes", "daniel", "admin"),
        "steward": signs_in("Ravi Iyer", "ravi", "mentor"),
        "other_steward": signs_in("Helen Carter", "helen", "mentor"),
        "author": signs_in("Hannah Kowalski", "hannah"),
        "r1": signs_in("Mateo Garcia", "mateo"),
        "r2": signs_in("Yuki Tanaka", "yuki"),
        "r3": signs_in("Ben Oconnell", "ben"),
        "r4": signs_in("Aisha Bello", "aisha"),
        "outsider": signs_in("Olga Outsider", "olga"),
        "circle_author": signs_in("Priya Natarajan", "priya"),
    }
    session.add_all(people.values())
    session.flush()
    p = people
    guild = Community(**ENGINEERING, visibility="open", created_by=p["steward"].id)
    circle = Community(**SURGICAL, visibility="approval", created_by=p["other_steward"].id)
    session.add_all([guild, circle])
    session.flush()
    rows = [(guild, p["steward"], "steward"), (circle, p["other_steward"], "steward")]
    rows += [(guild, p[k], "member") for k in ("author", "r1", "r2", "r3", "r4", "admin2")]
    rows += [(circle, p["circle_author"], "member")]
    session.add_all(memberships((c, u, role, "active") for c, u, role in rows))
    guild.member_count, circle.member_count = 7, 2
    session.commit()
    data = discussions.clean_thread_input(
        "question", "Flaky integration tests: quarantine?", "Our suite fails one run in ten.", ""
    )
    thread = discussions.check_create_thread(session, p["author"], guild.id, data)
    reply = discussions.check_post_reply(
        session, p["author"], thread.id, "More detail: it is the clock."
    )
    circle_data = discussions.clean_thread_input(
        "discussion", "Checklists that worked", "Share your theatre checklists.", ""
    )
    circle_thread = discussions.check_create_thread(
        session, p["circle_author"], circle.id, circle_data
    )
    opening = session.exec(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).one()
    give_standing(session, p["admin2"], guild, [p[k] for k in ("r1", "r2", "r3", "r4")])
    return ModerationWorld(
        session=session,
        engine=engine,
        row_counts=row_counts,
        guild=guild,
        circle=circle,
        thread=thread,
        opening=opening,
        reply=reply,
        circle_thread=circle_thread,
        **p,
    )


# --- mentorship -------------------------------------------------------------------------------


@dataclass
class MentorshipWorld:
    session: Session
    engine: Engine
    row_counts: RowCounts
    admin: User
    ravi: User  # mentor in eng (profile, capacity 3), Payments platform
    helen: User  # mentor, member of eng without offering there, capacity 1, another dept
    marta: User  # mentor in eng, capacity 2, same department as lucas
    nadia: User  # a mentor without a profile
    lucas: User  # the mentee, Data platform
    hannah: User  # a member of eng
    grace: User  # a member of eng
    outsider: User  # signed in, member of nothing
    eng: Community
    science: Community


def mentorship_world(session: Session, engine: Engine, row_counts: RowCounts) -> MentorshipWorld:
    """Two communities, four mentors and their mentees-to-be."""

    def someone(name: str, handle: str, role: str = "member", org: str = "", exp: str = ""):
        return person(name, handle, role, organisation=org, expertise=exp)

    admin = someone("Amara Okafor", "amara-okafor", "admin", "Platform team")
    ravi = someone(
        "Ravi Iyer",
        "ravi-iyer",
        "mentor",
        "Payments platform · Engineering",
        "python code-review testing architecture",
    )
    helen = someone(
        "Helen Carter",
        "helen-carter",
        "mentor",
        "St Mary's Hospital · Surgery",
        "laparoscopy testing",
    )
    marta = someone(
        "Marta Silva", "marta-silva", "mentor", "Data platform · Engineering", "python assessment"
    )
    nadia = someone("Nadia Haddad", "nadia-haddad", "mentor", "Public health", "python testing")
    lucas = someone("Lucas Moreau", "lucas-moreau", org="Data platform · Engineering", exp="sql")
    hannah = someone("Hannah Kowalski", "hannah-kowalski", org="Payments platform · Engineering")
    grace = someone("Grace Adeyemi", "grace-adeyemi")
    outsider = someone("Olga Outsider", "olga-o")
    people = [admin, ravi, helen, marta, nadia, lucas, hannah, grace, outsider]
    session.add_all(people)
    session.flush()
    eng = Community(
        **ENGINEERING, tags="software testing code-review architecture", created_by=ravi.id
    )
    science = Community(
        slug="science-teaching-circle",
        name="Science Teaching Circle",
        domain="Science teachers designing inquiry lessons together.",
        created_by=marta.id,
    )
    session.add_all([eng, science])
    session.flush()
    rows = [(eng, ravi, "steward")] + [
        (eng, u, "member") for u in (helen, marta, nadia, lucas, hannah, grace)
    ]
    rows += [(science, marta, "steward"), (science, lucas, "member")]
    session.add_all(memberships((c, u, role, "active") for c, u, role in rows))
    for mentor, capacity, here in ((ravi, 3, [eng]), (helen, 1, []), (marta, 2, [eng])):
        session.add(MentorProfile(user_id=mentor.id, capacity=capacity, availability="Tuesdays"))
        session.add_all(MentorCommunity(mentor_id=mentor.id, community_id=c.id) for c in here)
    session.commit()
    return MentorshipWorld(session, engine, row_counts, *people, eng, science)


# --- the activity feed ------------------------------------------------------------------------


@dataclass
class FeedWorld:
    session: Session
    engine: Engine
    admin: User
    steward: User  # steward of the guild
    other_steward: User  # steward of the circle
    member: User  # plain member of the guild
    other: User  # plain member of the circle
    guild: Community
    circle: Community
    atlas: Community  # nobody here stewards it


def feed_world(session: Session, engine: Engine) -> FeedWorld:
    """Three communities, two of them stewarded; a pending steward row that gives no scope."""

    def named(name: str, role: str = "member") -> User:
        return person(name, name.lower().replace(" ", "-"), role)

    admin = named("Amara Okafor", "admin")
    steward = named("Ravi Iyer", "mentor")
    other_steward = named("Helen Carter", "mentor")
    member = named("Hannah Kowalski")
    other = named("Priya Natarajan")
    session.add_all([admin, steward, other_steward, member, other])
    session.flush()

    def community(slug: str, name: str) -> Community:
        return Community(
            slug=slug,
            name=name,
            domain="People improving a shared practice together, week by week.",
        )

    guild = community(ENGINEERING["slug"], ENGINEERING["name"])
    circle = community(SURGICAL["slug"], SURGICAL["name"])
    atlas = community("atlas-of-maps", "Atlas Of Maps")
    session.add_all([guild, circle, atlas])
    session.flush()
    session.add_all(
        memberships(
            [
                (guild, steward, "steward", "active"),
                (guild, member, "member", "active"),
                (circle, other_steward, "steward", "active"),
                (circle, other, "member", "active"),
                (atlas, steward, "steward", "pending"),
            ]
        )
    )
    session.commit()
    return FeedWorld(
        session, engine, admin, steward, other_steward, member, other, guild, circle, atlas
    )


# --- participation stages ---------------------------------------------------------------------


@dataclass
class StagesWorld:
    session: Session
    engine: Engine
    ada: User  # the person whose path we follow
    bo: User  # another member who asks and answers
    eng: Community
    other: Community


def stages_world(session: Session, engine: Engine) -> StagesWorld:
    """Two communities with the same two members, accounts as new as the test."""
    ada = User(email="ada@example.org", display_name="Ada", password_hash="!", role="mentor")
    bo = User(email="bo@example.org", display_name="Bo", password_hash="!")
    session.add_all([ada, bo])
    session.flush()
    eng = Community(slug="eng", name="Engineering Craft Guild", domain="Engineering practice.")
    other = Community(slug="ops", name="Operations Circle", domain="Running services well.")
    session.add_all([eng, other])
    session.flush()
    session.add_all(
        Membership(community_id=c.id, user_id=u.id) for c in (eng, other) for u in (ada, bo)
    )
    session.commit()
    return StagesWorld(session, engine, ada, bo, eng, other)
