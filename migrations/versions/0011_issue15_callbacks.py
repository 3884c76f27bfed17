"""issue 15: callbacks offered on hold and owed to callers (the raw number until done)

Revision ID: 0011_issue15_callbacks
Revises: 0010_issue15_disaster_mode

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_issue15_callbacks'
down_revision = '0010_issue15_disaster_mode'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('caller_hash', sa.String(length=64), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('need', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('number_source', sa.String(length=16), nullable=True),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('specialist_id', sa.Integer(), nullable=True),
    sa.Column('callback_call_sid', sa.String(length=64), nullable=True),
    sa.Column('connected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.String(length=24), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks'))
    )
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callbacks_call_sid'), ['call_sid'], unique=True)
        batch_op.create_index(batch_op.f('ix_callbacks_provider'), ['provider'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_joined_at'), ['joined_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_offered_at'), ['offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_callback_call_sid'), ['callback_call_sid'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callbacks_callback_call_sid'))
        batch_op.drop_index(batch_op.f('ix_callbacks_offered_at'))
        batch_op.drop_index(batch_op.f('ix_callbacks_joined_at'))
        batch_op.drop_index(batch_op.f('ix_callbacks_status'))
        batch_op.drop_index(batch_op.f('ix_callbacks_provider'))
        batch_op.drop_index(batch_op.f('ix_callbacks_call_sid'))
    op.drop_table('callbacks')
