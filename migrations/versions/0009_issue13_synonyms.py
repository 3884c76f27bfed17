"""issue 13: the admins' synonyms, each save a numbered version (who, when, what changed)

Revision ID: 0009_issue13_synonyms
Revises: 0008_issue13_search_feedback

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_issue13_synonyms'
down_revision = '0008_issue13_search_feedback'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dir_synonym_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_synonym_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_dir_synonym_versions_number'))
    )


def downgrade() -> None:
    op.drop_table('dir_synonym_versions')
