"""issue 13: the PostgreSQL search's postings: each word's and code's service ids, sorted, in
`int[]` (and a word's by the weight of the field it is in), with `intarray` and a union
aggregate, so a search counts its matches and takes its candidates without reading every
matching row (PostgreSQL only: on SQLite the columns are made, empty and unused)

Revision ID: 0014_issue13_search_postings
Revises: 0013_issue12_call_extras

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0014_issue13_search_postings'
down_revision = '0013_issue12_call_extras'
branch_labels = None
depends_on = None

INT_ARRAY = postgresql.ARRAY(sa.Integer()).with_variant(sa.JSON(), "sqlite")
TERM_COLUMNS = ('docs', 'docs_a', 'docs_b', 'docs_c')
UNION_AGGREGATE = ("CREATE OR REPLACE AGGREGATE dir_search_union(int[]) "
                   "(SFUNC = _int_union, STYPE = int[], INITCOND = '{}')")
TIERS = ", ".join(f"COALESCE(array_agg(d.service_id ORDER BY d.service_id) FILTER (WHERE "
                  f"'{w}' = ANY(u.weights)), '{{}}')" for w in "ABC")
FILL = (  # the words' and codes' counts and postings anew from the rows already indexed
    "DELETE FROM dir_search_terms",
    "INSERT INTO dir_search_terms (term, ndoc, docs, docs_a, docs_b, docs_c) "
    "SELECT u.lexeme, count(*), array_agg(d.service_id ORDER BY d.service_id), " + TIERS
    + " FROM dir_search_docs d, unnest(d.body) AS u GROUP BY u.lexeme",
    "DELETE FROM dir_search_codes",
    "INSERT INTO dir_search_codes (code, ndoc, docs) SELECT code, count(DISTINCT d.service_id), "
    "array_agg(DISTINCT d.service_id ORDER BY d.service_id) "
    "FROM dir_search_docs d, unnest(d.taxonomy) AS code GROUP BY code",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS intarray")
        op.execute(UNION_AGGREGATE)
    with op.batch_alter_table('dir_search_terms', schema=None) as batch_op:
        for name in TERM_COLUMNS:
            batch_op.add_column(sa.Column(name, INT_ARRAY, server_default='{}', nullable=False))
    with op.batch_alter_table('dir_search_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('docs', INT_ARRAY, server_default='{}', nullable=False))
    op.drop_index('ix_dir_search_docs_region', table_name='dir_search_docs')
    op.create_index('ix_dir_search_docs_region', 'dir_search_docs', ['region', 'service_id'],
                    unique=False)
    if postgres:  # the tie order's own collation: the order index serves a browse's ORDER BY
        op.execute('ALTER TABLE dir_search_docs ALTER COLUMN sort_name TYPE text COLLATE "C"')
        for statement in FILL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ALTER TABLE dir_search_docs ALTER COLUMN sort_name TYPE text COLLATE "default"')
    op.drop_index('ix_dir_search_docs_region', table_name='dir_search_docs')
    op.create_index('ix_dir_search_docs_region', 'dir_search_docs', ['region'], unique=False)
    with op.batch_alter_table('dir_search_codes', schema=None) as batch_op:
        batch_op.drop_column('docs')
    with op.batch_alter_table('dir_search_terms', schema=None) as batch_op:
        for name in reversed(TERM_COLUMNS):
            batch_op.drop_column(name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP AGGREGATE IF EXISTS dir_search_union(int[])")

