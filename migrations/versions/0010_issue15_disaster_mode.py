"""issue 15: disaster mode, each turn on or off a row (the latest is in effect)

Revision ID: 0010_issue15_disaster_mode
Revises: 0009_issue13_synonyms

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_issue15_disaster_mode'
down_revision = '0009_issue13_synonyms'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('disaster_mode_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('event', sa.String(length=120), nullable=False),
    sa.Column('bulletin_en', sa.Text(), nullable=False),
    sa.Column('bulletin_fr', sa.Text(), nullable=False),
    sa.Column('info_en', sa.Text(), nullable=False),
    sa.Column('info_fr', sa.Text(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disaster_mode_changes'))
    )
    with op.batch_alter_table('disaster_mode_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disaster_mode_changes_changed_at'), ['changed_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('disaster_mode_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disaster_mode_changes_changed_at'))
    op.drop_table('disaster_mode_changes')
