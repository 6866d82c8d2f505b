"""impact dashboard: posts by time, and a covering index of posts by thread for the stages

Revision ID: a3d8e1f05c72
Revises: 7c4f9a1e2b60
Create Date: 2026-12-02 03:10:00.000000

"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a3d8e1f05c72"
down_revision: Union[str, Sequence[str], None] = "7c4f9a1e2b60"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STAGE_COLUMNS = [
    "thread_id",
    "number",
    "author_id",
    "created_at",
    "hidden",
    "deleted_at",
    "helpful",
    "insightful",
    "thanks",
]


def upgrade() -> None:
    """A period's replies by time (not a scan of every post); the growth path's stage counts
    and first replies read posts of threads from the index alone, not the rows."""
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index("ix_post_created", ["created_at"], unique=False)
        batch_op.create_index("ix_post_thread_stage", STAGE_COLUMNS, unique=False)


def downgrade() -> None:
    """Drop the indexes."""
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_thread_stage")
        batch_op.drop_index("ix_post_created")
