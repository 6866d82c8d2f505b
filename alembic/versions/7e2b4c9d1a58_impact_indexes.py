"""impact dashboard: a covering index of the activity stream by time

Revision ID: 7e2b4c9d1a58
Revises: 5a8d2e6f1b37
Create Date: 2026-12-01 22:20:00.000000

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '7e2b4c9d1a58'
down_revision: Union[str, Sequence[str], None] = '5a8d2e6f1b37'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """The impact measures read a period of events: time, kind, actor and community from
    the index alone, without visiting the rows."""
    with op.batch_alter_table('activityevent', schema=None) as batch_op:
        batch_op.create_index(
            'ix_activity_time_kind_actor',
            ['created_at', 'kind', 'actor_id', 'community_id'],
            unique=False,
        )


def downgrade() -> None:
    """Drop the index."""
    with op.batch_alter_table('activityevent', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_time_kind_actor')
