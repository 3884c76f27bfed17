"""routing: rule-set versions, the draft, the routing audit log

Revision ID: 0002_routing
Revises: 0001_foundation
Create Date: 2026-11-23 12:00:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0002_routing'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('routing_rule_set_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=200), nullable=False),
    sa.Column('source_number', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule_set_versions'))
    )
    with op.batch_alter_table('routing_rule_set_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rule_set_versions_number'), ['number'], unique=True)

    op.create_table('routing_rule_set_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('base_number', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rule_set_drafts'))
    )
    op.create_table('routing_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_audit'))
    )
    with op.batch_alter_table('routing_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_audit_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_audit_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('routing_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_audit_at'))
        batch_op.drop_index(batch_op.f('ix_routing_audit_action'))
    op.drop_table('routing_audit')
    op.drop_table('routing_rule_set_drafts')
    with op.batch_alter_table('routing_rule_set_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rule_set_versions_number'))
    op.drop_table('routing_rule_set_versions')
