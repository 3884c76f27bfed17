"""issue 12: what the call controls record: crisis flag, hold time, interpreters, transfers

Revision ID: 0013_issue12_call_extras
Revises: 0012_issue13_search_postgres

"""
from alembic import op
import sqlalchemy as sa


revision = '0013_issue12_call_extras'
down_revision = '0012_issue13_search_postgres'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crisis', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('crisis_via', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('hold_seconds', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table('interpreter_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('vendor', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interpreter_sessions')),
    sa.UniqueConstraint('call_sid', 'started_at',
                        name=op.f('uq_interpreter_sessions_call_sid'))
    )
    with op.batch_alter_table('interpreter_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interpreter_sessions_call_sid'), ['call_sid'])
        batch_op.create_index(batch_op.f('ix_interpreter_sessions_started_at'), ['started_at'])
    op.create_table('call_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_transfers')),
    sa.UniqueConstraint('call_sid', 'at', name=op.f('uq_call_transfers_call_sid'))
    )
    with op.batch_alter_table('call_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_transfers_call_sid'), ['call_sid'])
        batch_op.create_index(batch_op.f('ix_call_transfers_at'), ['at'])
    op.create_table('call_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('write_id', sa.String(length=32), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_holds')),
    sa.UniqueConstraint('write_id', name=op.f('uq_call_holds_write_id'))
    )
    with op.batch_alter_table('call_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_holds_call_sid'), ['call_sid'])


def downgrade() -> None:
    op.drop_table('call_holds')
    op.drop_table('call_transfers')
    op.drop_table('interpreter_sessions')
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.drop_column('hold_seconds')
        batch_op.drop_column('crisis_via')
        batch_op.drop_column('crisis')
