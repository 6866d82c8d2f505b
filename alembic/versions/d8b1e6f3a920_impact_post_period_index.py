"""impact dashboard: a period's replies from a covering index (replaces ix_post_created)

Revision ID: d8b1e6f3a920
Revises: c5f27a9d4e13
Create Date: 2026-12-02 05:55:00.000000

"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "d8b1e6f3a920"
down_revision: Union[str, Sequence[str], None] = "c5f27a9d4e13"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PERIOD_COLUMNS = [
    "created_at",
    "thread_id",
    "number",
    "author_id",
    "parent_id",
    "hidden",
    "deleted_at",
]


def upgrade() -> None:
    """Conversation and silo-breaking count a period's replies from the index alone: the
    time-only index sent each one to its row (past its body) for the rest."""
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_created")
        batch_op.create_index("ix_post_period", PERIOD_COLUMNS, unique=False)


def downgrade() -> None:
    """Back to the time-only index."""
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_period")
        batch_op.create_index("ix_post_created", ["created_at"], unique=False)
