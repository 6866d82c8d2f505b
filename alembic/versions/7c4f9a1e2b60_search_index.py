"""search index: search_doc with SQLite FTS5 (table and triggers) or a PostgreSQL tsvector
column with a GIN index, filled from the content already there

Revision ID: 7c4f9a1e2b60
Revises: 7e2b4c9d1a58
Create Date: 2026-12-01 22:10:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = "7c4f9a1e2b60"
down_revision: Union[str, Sequence[str], None] = "7e2b4c9d1a58"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    from sqlmodel import Session

    from cop_app.models.search import create_engine_objects
    from cop_app.services.search.index import rebuild

    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("post_number", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tags", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("names", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_search_doc_ref", "search_doc", ["kind", "ref_id"], unique=False)
    op.create_index("ix_search_doc_thread", "search_doc", ["thread_id"], unique=False)
    bind = op.get_bind()
    create_engine_objects(bind)
    # Whatever a running site already holds becomes findable at once.
    with Session(bind=bind) as session:
        rebuild(session)
        session.flush()


def downgrade() -> None:
    """Downgrade schema."""
    from cop_app.models.search import drop_engine_objects

    drop_engine_objects(op.get_bind())
    op.drop_index("ix_search_doc_thread", table_name="search_doc")
    op.drop_index("ix_search_doc_ref", table_name="search_doc")
    op.drop_table("search_doc")
