"""Shared test set-up: a throw-away data dir, one database per test and per backend, factories.

Backends come from COP_TEST_BACKENDS (default "sqlite,postgresql"); every test that uses the
`engine` or `session` fixture runs once per backend. PostgreSQL reads its URL from
COP_TEST_PG_URL; when it is requested but missing or not answering, the tests FAIL (never skip).
"""

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import pytest

# Before anything imports rxconfig: never touch the real data directory from a test run.
if "COP_DATA_DIR" not in os.environ:
    _DATA_DIR = tempfile.mkdtemp(prefix="cop-test-data-")
    os.environ["COP_DATA_DIR"] = _DATA_DIR
    atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # plain `pytest` (not `python -m pytest`) finds cop_app too
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.exc import ArgumentError, SQLAlchemyError  # noqa: E402
from sqlmodel import Session, SQLModel, create_engine  # noqa: E402

from cop_app.services import passwords  # noqa: E402

# Argon2 at the app's cost (64 MiB, 3 passes) takes ~0.35 s of CPU per hash and per check, and
# the suite signs in and signs up hundreds of times. The tests check what is hashed and how
# it is verified and upgraded, not the cost, so this process hashes with cheap parameters
# (before any module computes a hash at import). The e2e app server keeps the real ones.
passwords.pwd_context.update(argon2__memory_cost=1024, argon2__rounds=1, argon2__parallelism=1)

import cop_app.db  # noqa: E402 - registers the SQLite pragmas listener on every Engine
import cop_app.models  # noqa: E402, F401 - registers every table on SQLModel.metadata
from cop_app.models import Community, Membership, User  # noqa: E402
from cop_app.services import events, settings, wiring  # noqa: E402
from tests import worlds  # noqa: E402
from tests.factories import (  # noqa: E402
    DEFAULT_PASSWORD,
    add_member,
    copy_sqlite,
    make_community,
    make_user,
    row_counts,
)

KNOWN_BACKENDS = ("sqlite", "postgresql")
BACKENDS = tuple(
    name.strip().lower()
    for name in os.environ.get("COP_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
)


def _fail(message: str) -> NoReturn:
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """One PostgreSQL engine per test run; the schema is rebuilt once, up front."""
    url = os.environ.get("COP_TEST_PG_URL", "").strip()
    if not url:
        _fail(
            "COP_TEST_BACKENDS includes 'postgresql' but COP_TEST_PG_URL is not set. Set it, "
            "e.g. COP_TEST_PG_URL=postgresql://postgres@127.0.0.1:5432/cop_test, "
            "or run only SQLite with COP_TEST_BACKENDS=sqlite."
        )
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        _fail(f"COP_TEST_PG_URL is not a database URL: {exc}")
    if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg") is None:
        # SQLAlchemy 2.1 maps postgresql:// to psycopg 3; the venv ships psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg2")
    shown = parsed.render_as_string(hide_password=True)
    try:
        # No wait for the WAL flush on each commit (the tests commit thousands of times and
        # never survive a server crash): what is read back is the same.
        engine = create_engine(
            parsed,
            connect_args={"connect_timeout": 5, "options": "-c synchronous_commit=off"},
        )
    except ImportError as exc:
        _fail(f"No PostgreSQL driver for {shown}: {exc}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["?"])[0]
        _fail(
            f"PostgreSQL test database {shown} (COP_TEST_PG_URL) does not answer: {reason}. "
            "Start the server / create the database, or run with COP_TEST_BACKENDS=sqlite."
        )
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


_SQLITE_TEMPLATES: dict[Engine, Path] = {}


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One SQLite engine for the run, on a file each test gets back empty (`engine`).

    One engine, not one per test: SQLAlchemy caches compiled statements per engine, and a
    new engine per test compiled every statement again (half the time of a world's set-up).
    The empty schema is built once into a template and copied over the file per test."""
    base = tmp_path_factory.mktemp("sqlite")
    template = base / "template.db"
    eng = create_engine(f"sqlite:///{template}")
    SQLModel.metadata.create_all(eng)
    eng.dispose()
    eng = create_engine(f"sqlite:///{base / 'cop-test.db'}")
    _SQLITE_TEMPLATES[eng] = template
    yield eng
    eng.dispose()


def _empty_all(engine: Engine) -> None:
    """Empty every table and restart the ids. DELETE, children first, is ten times faster
    than TRUNCATE on tables this small (TRUNCATE swaps every table's files); rows that point
    at each other (a thread's accepted answer) make it fail, and TRUNCATE does it then."""
    quote = engine.dialect.identifier_preparer.quote
    tables = [quote(t.name) for t in SQLModel.metadata.sorted_tables]
    try:
        with engine.begin() as conn:
            conn.execute(text("; ".join(f"DELETE FROM {name}" for name in reversed(tables))))
            sequences = conn.execute(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).scalars()
            conn.execute(text("; ".join(f"ALTER SEQUENCE {quote(s)} RESTART" for s in sequences)))
    except SQLAlchemyError:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An empty database with the full schema: SQLite restored from its template, or an
    emptied PostgreSQL."""
    backend = request.param
    if backend == "sqlite":
        eng = request.getfixturevalue("sqlite_engine")
        eng.dispose()
        copy_sqlite(_SQLITE_TEMPLATES[eng], Path(str(eng.url.database)))
        yield eng
        eng.dispose()
    elif backend == "postgresql":
        eng = request.getfixturevalue("pg_engine")
        _empty_all(eng)
        yield eng
    else:
        _fail(
            f"Unknown backend {backend!r} in COP_TEST_BACKENDS; "
            f"use a comma-separated subset of {', '.join(KNOWN_BACKENDS)}."
        )


@pytest.fixture
def backend(engine: Engine) -> str:
    """The dialect name of the current backend ("sqlite" or "postgresql")."""
    return engine.dialect.name


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A SQLModel session on the test database, closed after the test."""
    with Session(engine) as s:
        yield s


@pytest.fixture
def changes() -> Iterator[list[events.Change]]:
    """Every Change emitted (i.e. committed) while the test runs, in order."""
    collected: list[events.Change] = []

    def listener(change: events.Change) -> None:
        collected.append(change)

    events.subscribe(listener)
    yield collected
    events.unsubscribe(listener)


@pytest.fixture(autouse=True, scope="session")
def wired() -> None:
    """The services listen to each other as in the app (cop_app.cop_app calls the same)."""
    wiring.wire()


@pytest.fixture(name="make_user")
def make_user_fixture() -> Callable[..., User]:
    """`make_user(session, email=..., role=..., password=...)`: a committed User row."""
    return make_user


@pytest.fixture(name="make_community")
def make_community_fixture() -> Callable[..., Community]:
    """`make_community(session, creator, name, visibility=..., members=[...])`."""
    return make_community


@pytest.fixture(name="add_member")
def add_member_fixture() -> Callable[..., Membership]:
    """`add_member(session, community, user, role="member", status="active")`."""
    return add_member


@pytest.fixture(name="row_counts")
def row_counts_fixture() -> Callable[[Session], dict[str, int]]:
    """`row_counts(session)`: {table name: number of rows}."""
    return row_counts


@pytest.fixture
def default_password() -> str:
    """The password `make_user` gives everyone unless told otherwise."""
    return DEFAULT_PASSWORD


@pytest.fixture
def relaxed_intervals(monkeypatch: pytest.MonkeyPatch) -> None:
    """No waiting between posts, for tests that post several times in a row; a rate-limit
    test sets the real interval back with `monkeypatch`. Modules that post a lot apply it
    to every test: `pytestmark = pytest.mark.usefixtures("relaxed_intervals")`."""
    monkeypatch.setattr(settings, "POST_MIN_INTERVAL", timedelta(0))
    monkeypatch.setattr(settings, "NEW_MEMBER_POST_MIN_INTERVAL", timedelta(0))
    monkeypatch.setattr(settings, "THREAD_MIN_INTERVAL", timedelta(0))


@pytest.fixture
def discussions_world(session: Session, engine: Engine) -> worlds.DiscussionsWorld:
    """Two communities (open, approval-only) and their people: `worlds.discussions_world`."""
    return worlds.discussions_world(session, engine, row_counts)


@pytest.fixture
def moderation_world(
    session: Session, engine: Engine, relaxed_intervals: None
) -> worlds.ModerationWorld:
    """A guild with a question, a reply and reporters with standing: `worlds.moderation_world`."""
    return worlds.moderation_world(session, engine, row_counts)


@pytest.fixture
def mentorship_world(session: Session, engine: Engine) -> worlds.MentorshipWorld:
    """Two communities, four mentors and a mentee-to-be: `worlds.mentorship_world`."""
    return worlds.mentorship_world(session, engine, row_counts)


@pytest.fixture
def feed_world(session: Session, engine: Engine) -> worlds.FeedWorld:
    """Three communities, two stewarded, for the activity feed: `worlds.feed_world`."""
    return worlds.feed_world(session, engine)


@pytest.fixture
def stages_world(session: Session, engine: Engine) -> worlds.StagesWorld:
    """Two communities with the same two members: `worlds.stages_world`."""
    return worlds.stages_world(session, engine)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in this
    thread once started, and the state tests drive their own loops with asyncio.run.

    COP_TEST_UNIT_BACKEND_ONLY=1 (scripts/test.sh's PostgreSQL lane) leaves out the unit tests
    that use no database backend: the SQLite lane runs those."""
    if os.environ.get("COP_TEST_UNIT_BACKEND_ONLY") == "1":
        kept = [i for i in items if "tests/unit/" not in _path(i) or _has_backend(i)]
        kept_ids = {id(i) for i in kept}
        dropped = [i for i in items if id(i) not in kept_ids]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
    items.sort(key=lambda item: "tests/e2e/" in _path(item))


def _path(item: pytest.Item) -> str:
    return item.nodeid.replace("\\", "/")


def _has_backend(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "engine" in callspec.params
