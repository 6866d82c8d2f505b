"""draft client keys: a post or a board card remembers the idempotency key of its draft

Revision ID: 3b7e1d2c9a40
Revises: 3f1c9a7e5d20
Create Date: 2026-12-01 19:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = '3b7e1d2c9a40'
down_revision: Union[str, Sequence[str], None] = '3f1c9a7e5d20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_post_author_client_key', ['author_id', 'client_key'])

    with op.batch_alter_table('boardcard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_boardcard_creator_client_key', ['created_by', 'client_key'])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('boardcard', schema=None) as batch_op:
        batch_op.drop_constraint('uq_boardcard_creator_client_key', type_='unique')
        batch_op.drop_column('client_key')

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_constraint('uq_post_author_client_key', type_='unique')
        batch_op.drop_column('client_key')
