"""survey: post-call and outcome answers, consented follow-up contacts, report indexes

Revision ID: 0004_survey
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_survey'
down_revision = '0003_directory'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('survey_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('survey', sa.String(length=16), nullable=False),
    sa.Column('definition_version', sa.String(length=16), nullable=False),
    sa.Column('question', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=True),
    sa.Column('positive', sa.Boolean(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('call_date', sa.Date(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answers')),
    sa.UniqueConstraint('call_sid', 'question', name='uq_survey_answers_call_question')
    )
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.create_index('ix_survey_answers_report', ['call_date', 'question', 'positive'], unique=False)

    op.create_table('survey_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('provider', sa.String(length=32), nullable=True),
    sa.Column('call_date', sa.Date(), nullable=False),
    sa.Column('definition_version', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_contacts')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_survey_contacts_call_sid')),
    sa.UniqueConstraint('token', name=op.f('uq_survey_contacts_token'))
    )
    with op.batch_alter_table('survey_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_contacts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_contacts_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_contacts_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_contacts_status'))
        batch_op.drop_index(batch_op.f('ix_survey_contacts_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_survey_contacts_created_at'))
    op.drop_table('survey_contacts')
    with op.batch_alter_table('survey_answers', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answers_report')
    op.drop_table('survey_answers')
