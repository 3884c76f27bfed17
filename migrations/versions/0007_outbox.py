"""outbox: effects owed to other systems, stored with the data; the follow-up's last result

Revision ID: 0007_outbox
Revises: 0006_security_privacy

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_outbox'
down_revision = '0006_security_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_delivered_at'), ['delivered_at'], unique=False)

    with op.batch_alter_table('survey_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_result', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('survey_contacts', schema=None) as batch_op:
        batch_op.drop_column('last_result')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_delivered_at'))

    op.drop_table('outbox')
