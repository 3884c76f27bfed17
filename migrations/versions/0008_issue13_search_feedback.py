"""issue 13: search feedback, the failed searches counted per query (query text only)

Revision ID: 0008_issue13_search_feedback
Revises: 0007_outbox

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_issue13_search_feedback'
down_revision = '0007_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dir_search_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('service_source', sa.String(length=64), nullable=False),
    sa.Column('service_source_id', sa.String(length=80), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_search_feedback')),
    sa.UniqueConstraint('kind', 'query', 'service_source', 'service_source_id',
                        name='uq_dir_search_feedback_key')
    )
    with op.batch_alter_table('dir_search_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dir_search_feedback_last_seen'), ['last_seen'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dir_search_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dir_search_feedback_last_seen'))

    op.drop_table('dir_search_feedback')
