"""practice library: resources, their revisions, credits, endorsements, reuse and files

Revision ID: 5a8d2e6f1b37
Revises: 3b7e1d2c9a40
Create Date: 2026-12-01 19:45:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

# revision identifiers, used by Alembic.
revision: str = '5a8d2e6f1b37'
down_revision: Union[str, Sequence[str], None] = '3b7e1d2c9a40'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=50000), nullable=False),
    sa.Column('body_html', sqlmodel.sql.sqltypes.AutoString(length=200000), nullable=False),
    sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('endorse_count', sa.Integer(), nullable=False),
    sa.Column('reuse_count', sa.Integer(), nullable=False),
    sa.Column('outdated', sa.Boolean(), nullable=False),
    sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('source_thread_id', sa.Integer(), nullable=True),
    sa.Column('source_post_id', sa.Integer(), nullable=True),
    sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['source_post_id'], ['post.id'], ),
    sa.ForeignKeyConstraint(['source_thread_id'], ['thread.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('author_id', 'client_key', name='uq_resource_author_client_key')
    )
    op.create_index(op.f('ix_resource_author_id'), 'resource', ['author_id'], unique=False)
    op.create_index('ix_resource_community_created', 'resource', ['community_id', 'outdated', 'created_at'], unique=False)
    op.create_index('ix_resource_community_endorsed', 'resource', ['community_id', 'outdated', 'endorse_count'], unique=False)
    op.create_index('ix_resource_community_reused', 'resource', ['community_id', 'outdated', 'reuse_count'], unique=False)
    op.create_index('ix_resource_community_reviewed', 'resource', ['community_id', 'reviewed_at'], unique=False)
    op.create_index('ix_resource_community_updated', 'resource', ['community_id', 'outdated', 'updated_at'], unique=False)
    op.create_index('ix_resource_owner_reviewed', 'resource', ['owner_id', 'reviewed_at'], unique=False)
    op.create_index(op.f('ix_resource_source_thread_id'), 'resource', ['source_thread_id'], unique=False)
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.ForeignKeyConstraint(['uploader_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index(op.f('ix_attachment_resource_id'), 'attachment', ['resource_id'], unique=False)
    op.create_table('endorsement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resource_id', 'user_id', name='uq_endorsement')
    )
    op.create_index(op.f('ix_endorsement_user_id'), 'endorsement', ['user_id'], unique=False)
    op.create_table('resourcecredit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resource_id', 'user_id', name='uq_resourcecredit')
    )
    op.create_index(op.f('ix_resourcecredit_user_id'), 'resourcecredit', ['user_id'], unique=False)
    op.create_table('resourcerevision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=50000), nullable=False),
    sa.Column('tags', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['editor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('resource_id', 'number', name='uq_resourcerevision_number')
    )
    op.create_table('reuse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_reuse_resource_time', 'reuse', ['resource_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_reuse_user_id'), 'reuse', ['user_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_reuse_user_id'), table_name='reuse')
    op.drop_index('ix_reuse_resource_time', table_name='reuse')
    op.drop_table('reuse')
    op.drop_table('resourcerevision')
    op.drop_index(op.f('ix_resourcecredit_user_id'), table_name='resourcecredit')
    op.drop_table('resourcecredit')
    op.drop_index(op.f('ix_endorsement_user_id'), table_name='endorsement')
    op.drop_table('endorsement')
    op.drop_index(op.f('ix_attachment_resource_id'), table_name='attachment')
    op.drop_table('attachment')
    op.drop_index(op.f('ix_resource_source_thread_id'), table_name='resource')
    op.drop_index('ix_resource_owner_reviewed', table_name='resource')
    op.drop_index('ix_resource_community_updated', table_name='resource')
    op.drop_index('ix_resource_community_reviewed', table_name='resource')
    op.drop_index('ix_resource_community_reused', table_name='resource')
    op.drop_index('ix_resource_community_endorsed', table_name='resource')
    op.drop_index('ix_resource_community_created', table_name='resource')
    op.drop_index(op.f('ix_resource_author_id'), table_name='resource')
    op.drop_table('resource')
