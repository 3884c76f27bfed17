"""issue 13: the PostgreSQL search engine's tables; pg_trgm, unaccent and the GIN indexes
(PostgreSQL only: on SQLite the tables are made, empty and unused, so one schema serves both)

Revision ID: 0012_issue13_search_postgres
Revises: 0011_issue15_callbacks

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0012_issue13_search_postgres'
down_revision = '0011_issue15_callbacks'
branch_labels = None
depends_on = None

TEXT_ARRAY = postgresql.ARRAY(sa.Text()).with_variant(sa.JSON(), "sqlite")
TS_VECTOR = postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.create_table('dir_search_docs',
    sa.Column('service_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_id', sa.String(length=80), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('sort_name', sa.Text(), nullable=False),
    sa.Column('organization', sa.Text(), nullable=True),
    sa.Column('alternate_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('city', sa.Text(), nullable=True),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('areas', sa.Text(), nullable=False),
    sa.Column('accessible', sa.Boolean(), nullable=False),
    sa.Column('taxonomy', TEXT_ARRAY, nullable=False),
    sa.Column('languages', TEXT_ARRAY, nullable=False),
    sa.Column('phones', TEXT_ARRAY, nullable=False),
    sa.Column('body', TS_VECTOR, nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['dir_services.id'], name=op.f('fk_dir_search_docs_service_id_dir_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_dir_search_docs'))
    )
    op.create_index('ix_dir_search_docs_body', 'dir_search_docs', ['body'], unique=False, postgresql_using='gin')
    op.create_index('ix_dir_search_docs_taxonomy', 'dir_search_docs', ['taxonomy'], unique=False, postgresql_using='gin')
    op.create_index('ix_dir_search_docs_order', 'dir_search_docs', ['sort_name', 'service_id'], unique=False)
    op.create_index('ix_dir_search_docs_region', 'dir_search_docs', ['region'], unique=False)
    op.create_table('dir_search_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('closes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['dir_search_docs.service_id'], name=op.f('fk_dir_search_hours_service_id_dir_search_docs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_search_hours'))
    )
    op.create_index('ix_dir_search_hours_service', 'dir_search_hours', ['service_id', 'weekday'], unique=False)
    op.create_table('dir_search_holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=True),
    sa.Column('closes', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['dir_search_docs.service_id'], name=op.f('fk_dir_search_holidays_service_id_dir_search_docs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dir_search_holidays'))
    )
    op.create_index('ix_dir_search_holidays_service', 'dir_search_holidays', ['service_id'], unique=False)
    op.create_table('dir_search_terms',
    sa.Column('term', sa.Text(), nullable=False),
    sa.Column('ndoc', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('term', name=op.f('pk_dir_search_terms'))
    )
    op.create_index('ix_dir_search_terms_trgm', 'dir_search_terms', ['term'], unique=False, postgresql_using='gin', postgresql_ops={'term': 'gin_trgm_ops'})
    op.create_table('dir_search_codes',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('ndoc', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_dir_search_codes'))
    )


def downgrade() -> None:
    op.drop_table('dir_search_codes')
    op.drop_table('dir_search_terms')
    op.drop_table('dir_search_holidays')
    op.drop_table('dir_search_hours')
    op.drop_table('dir_search_docs')
