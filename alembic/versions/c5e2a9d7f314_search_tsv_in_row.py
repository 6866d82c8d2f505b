"""search index: PostgreSQL keeps each tsvector in its row (STORAGE MAIN), rewriting the
ones already stored out of line, and bounds the GIN index's pending list; nothing to do on
SQLite

Revision ID: c5e2a9d7f314
Revises: d8b1e6f3a920
Create Date: 2026-12-02 06:10:00.000000

"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c5e2a9d7f314"
down_revision: Union[str, Sequence[str], None] = "d8b1e6f3a920"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Every search reads `tsv` of each row it checks: one out of line (long library docs)
    costs TOAST page reads per row. SET STORAGE alone changes only new rows, so the column
    is rewritten in the same statement (ALTER TYPE would reset the storage if run alone),
    which rebuilds the GIN index and drops the column's statistics: ANALYZE again."""
    if op.get_bind().dialect.name != "postgresql":
        return
    # Every search reads the index's pending list whole (default up to 4 MB).
    # (128 kB: models/search.py GIN_PENDING_KB when this was written)
    op.execute("ALTER INDEX ix_search_doc_tsv SET (gin_pending_list_limit = 128)")
    op.execute(
        "ALTER TABLE search_doc ALTER COLUMN tsv TYPE tsvector USING tsv || ''::tsvector, "
        "ALTER COLUMN tsv SET STORAGE MAIN"
    )
    op.execute("ANALYZE search_doc")


def downgrade() -> None:
    """Back to the type's default storage (rows already written stay as they are) and the
    server's pending list limit."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_doc ALTER COLUMN tsv SET STORAGE EXTENDED")
        op.execute("ALTER INDEX ix_search_doc_tsv RESET (gin_pending_list_limit)")
