"""The search index: one row per findable thing (thread, reply, resource, community, person).

The text columns hold what a searcher may find (never a private profile field); the engine's
own index sits beside them (SQLite: the FTS5 table `search_fts` over these columns, kept by
triggers; PostgreSQL: the `tsv` column, kept in its row, with a GIN index), created below on
`create_all` (tests, fresh databases) and by the migration.
"""

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel import Field, Index, SQLModel

from cop_app.models.base import utcnow


class SearchDoc(SQLModel, table=True):
    """One findable thing; `services/search/index.py` rewrites it inside every write."""

    __tablename__ = "search_doc"
    __table_args__ = (
        Index("ix_search_doc_ref", "kind", "ref_id"),
        Index("ix_search_doc_thread", "thread_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # thread (its opening post), reply, resource, community, person
    kind: str = Field(max_length=12)
    ref_id: int
    thread_id: int | None = Field(default=None)
    post_number: int | None = Field(default=None)
    # None for people and communities: everyone signed in may find them.
    community_id: int | None = Field(default=None)
    author_id: int | None = Field(default=None)
    # -1 not a question, 0 an unanswered question, 1 an answered one (threads and replies).
    answered: int = Field(default=-1)
    created_at: datetime = Field(default_factory=utcnow)
    title: str = Field(default="")
    body: str = Field(default="")
    tags: str = Field(default="")
    names: str = Field(default="")


# The engine side: SQLite FTS5 over search_doc's text (external content, so the text is
# stored once; tokenizer `unicode61 remove_diacritics 2` is case- and accent-insensitive),
# kept in step by triggers; PostgreSQL a `tsv` column with a GIN index, written by the
# indexer from text it normalised itself (no `unaccent` extension needed).

FTS_TABLE = "search_fts"
# Not described by the models: Alembic's comparison leaves them alone.
ENGINE_TABLE_PREFIX = FTS_TABLE
ENGINE_COLUMNS = {("search_doc", "tsv")}

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "title, body, tags, names, content='search_doc', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    f"CREATE TRIGGER IF NOT EXISTS search_doc_ai AFTER INSERT ON search_doc BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body, tags, names) "
    "VALUES (new.id, new.title, new.body, new.tags, new.names); END",
    f"CREATE TRIGGER IF NOT EXISTS search_doc_ad AFTER DELETE ON search_doc BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body, tags, names) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags, old.names); END",
    f"CREATE TRIGGER IF NOT EXISTS search_doc_au AFTER UPDATE OF title, body, tags, names "
    f"ON search_doc BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body, tags, names) "
    "VALUES ('delete', old.id, old.title, old.body, old.tags, old.names); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body, tags, names) "
    "VALUES (new.id, new.title, new.body, new.tags, new.names); END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_doc_au",
    "DROP TRIGGER IF EXISTS search_doc_ad",
    "DROP TRIGGER IF EXISTS search_doc_ai",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
# STORAGE MAIN keeps a tsvector in its row (a long body goes out of line first): every
# search reads `tsv` of each row it checks or ranks, and a value in TOAST costs three more
# page reads (measured: 18 -> 6 ms to check 5,000 library docs for a word).
# GIN_PENDING_KB bounds the index's list of not yet merged entries, which every search reads
# whole: the default 4 MB made 235 pages a search (1.0 ms) after 2,000 new docs, 128 kB makes
# 10 (0.2 ms) for 0.06 ms more per indexed doc (measured).
GIN_PENDING_KB = 128
POSTGRES_DDL = (
    "ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS tsv tsvector",
    "ALTER TABLE search_doc ALTER COLUMN tsv SET STORAGE MAIN",
    "CREATE INDEX IF NOT EXISTS ix_search_doc_tsv ON search_doc USING gin (tsv) "
    f"WITH (gin_pending_list_limit = {GIN_PENDING_KB})",
)


def create_engine_objects(conn: Connection) -> None:
    """Create the FTS5 table and triggers, or the tsvector column and its GIN index."""
    statements = SQLITE_DDL if conn.dialect.name == "sqlite" else POSTGRES_DDL
    for statement in statements:
        conn.exec_driver_sql(statement)


def drop_engine_objects(conn: Connection) -> None:
    """Drop what create_engine_objects made (PostgreSQL's column goes with its table)."""
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            conn.exec_driver_sql(statement)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic filter: the engine's own tables and column are not the models' business."""
    if type_ == "table" and name and name.startswith(ENGINE_TABLE_PREFIX):
        return False
    if type_ == "column" and reflected and compare_to is None:
        table = getattr(getattr(obj, "table", None), "name", "")
        return (table, name) not in ENGINE_COLUMNS
    return not (type_ == "index" and name == "ix_search_doc_tsv")


def _after_create(target: object, connection: Connection, **_kw: object) -> None:
    create_engine_objects(connection)


def _before_drop(target: object, connection: Connection, **_kw: object) -> None:
    drop_engine_objects(connection)


event.listen(SearchDoc.__table__, "after_create", _after_create)
event.listen(SearchDoc.__table__, "before_drop", _before_drop)


def _hide_engine_objects_from_alembic() -> None:
    """Reflex compares the models with the database through Alembic without a filter
    (`reflex db migrate`, and at start-up): give every comparison `include_object` above, so
    the FTS5 tables and the tsvector column are not taken for schema drift (idempotent)."""
    from alembic.runtime.environment import EnvironmentContext

    original = EnvironmentContext.configure
    if getattr(original, "cop_search_filter", False):
        return

    def configure(self: EnvironmentContext, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("include_object", include_object)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    configure.cop_search_filter = True  # type: ignore[attr-defined]
    EnvironmentContext.configure = configure  # type: ignore[method-assign]


_hide_engine_objects_from_alembic()
