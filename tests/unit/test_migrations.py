"""The Alembic migrations build exactly the schema the models describe, and upgrade a
database that already holds people (the path a running site takes)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from reflex.model import _alembic_upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import cop_app.models  # noqa: F401 - every table on SQLModel.metadata
from cop_app.models.search import include_object

FIRST_REVISION = "96d1898a8613"


def _reset(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_migrations_match_the_models_and_keep_existing_people(engine: Engine) -> None:
    _reset(engine)
    with engine.connect() as conn:
        _alembic_upgrade(conn, FIRST_REVISION)
        conn.execute(
            text(
                'INSERT INTO "user" (email, display_name, password_hash, role, bio, organisation,'
                " expertise, is_active, created_at) VALUES ('ada.l@example.org', 'Ada', 'x',"
                " 'member', '', '', '', true, '2026-01-01 00:00:00')"
            )
        )
        conn.commit()
        _alembic_upgrade(conn, "head")
        conn.commit()
        handle = conn.execute(text('SELECT handle FROM "user"')).scalar_one()
        # The search migration indexed the person already there.
        indexed = conn.execute(text("SELECT title FROM search_doc WHERE kind = 'person'")).all()
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, SQLModel.metadata)
    assert handle == "ada-l"
    assert [row.title for row in indexed] == ["Ada"]
    assert set(inspect(engine).get_table_names()) >= set(SQLModel.metadata.tables)
    assert diff == []
    _reset(engine)
    SQLModel.metadata.create_all(engine)
