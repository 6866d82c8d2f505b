"""impact growth path: each member's first contribution per community, filled from the posts

Revision ID: c5f27a9d4e13
Revises: a3d8e1f05c72
Create Date: 2026-12-02 05:40:00.000000

"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c5f27a9d4e13"
down_revision: Union[str, Sequence[str], None] = "a3d8e1f05c72"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# services/contributions.py's rule, as it stood when the table was made
# (settings.STAGE_CONTRIBUTOR_MIN_REACTIONS = 1).
MIN_REACTIONS = 1


def upgrade() -> None:
    """The table, then every first contribution the posts already hold (what
    services/contributions.py `rebuild` does)."""
    op.create_table(
        "firstcontribution",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("community_id", "user_id"),
    )
    post = sa.table(
        "post",
        sa.column("id", sa.Integer),
        sa.column("thread_id", sa.Integer),
        sa.column("number", sa.Integer),
        sa.column("author_id", sa.Integer),
        sa.column("helpful", sa.Integer),
        sa.column("insightful", sa.Integer),
        sa.column("thanks", sa.Integer),
        sa.column("hidden", sa.Boolean),
        sa.column("deleted_at", sa.DateTime),
        sa.column("created_at", sa.DateTime),
    )
    thread = sa.table(
        "thread",
        sa.column("id", sa.Integer),
        sa.column("community_id", sa.Integer),
        sa.column("author_id", sa.Integer),
        sa.column("accepted_post_id", sa.Integer),
        sa.column("hidden", sa.Boolean),
    )
    first = sa.table(
        "firstcontribution",
        sa.column("community_id", sa.Integer),
        sa.column("user_id", sa.Integer),
        sa.column("created_at", sa.DateTime),
    )
    p, t = post.c, thread.c
    counts = sa.and_(
        t.hidden.is_(False),
        p.hidden.is_(False),
        p.deleted_at.is_(None),
        p.number > 1,
        sa.or_(
            (p.helpful + p.insightful + p.thanks) >= MIN_REACTIONS,
            sa.and_(t.accepted_post_id == p.id, t.author_id != p.author_id),
        ),
    )
    op.execute(
        first.insert().from_select(
            ["community_id", "user_id", "created_at"],
            sa.select(t.community_id, p.author_id, sa.func.min(p.created_at))
            .select_from(post.join(thread, thread.c.id == p.thread_id))
            .where(counts)
            .group_by(t.community_id, p.author_id),
        )
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("firstcontribution")
