"""issue 13: the PostgreSQL search's postings tell each word's fields exactly: besides name
(A), alternate or taxonomy name (B) and organization (C), the services with it in the
alternate name, in both the alternate and the taxonomy names, and in the description as well
as another field; so a match's score is known from the postings alone, without its row
(PostgreSQL only: on SQLite the columns are made, empty and unused)

Revision ID: 0015_issue13_search_fields
Revises: 0014_issue13_search_postings

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0015_issue13_search_fields'
down_revision = '0014_issue13_search_postings'
branch_labels = None
depends_on = None

INT_ARRAY = postgresql.ARRAY(sa.Integer()).with_variant(sa.JSON(), "sqlite")
COLUMNS = ('docs_alt', 'docs_alt_tax', 'docs_desc_too')
# The tsvector has one position a field (1 name, 2 alternate name, 3 taxonomy names,
# 4 organization, 5 description: `directory.search_sync.tsvector`).
FILTERS = ("2 = ANY(u.positions)", "2 = ANY(u.positions) AND 3 = ANY(u.positions)",
           "5 = ANY(u.positions) AND cardinality(u.positions) > 1")
FILL = ("UPDATE dir_search_terms t SET docs_alt = p.docs_alt, docs_alt_tax = p.docs_alt_tax, "
        "docs_desc_too = p.docs_desc_too FROM (SELECT u.lexeme AS term, "
        + ", ".join(f"COALESCE(array_agg(d.service_id ORDER BY d.service_id) FILTER (WHERE {w}), "
                    f"'{{}}') AS {c}" for c, w in zip(COLUMNS, FILTERS))
        + " FROM dir_search_docs d, unnest(d.body) AS u GROUP BY u.lexeme) p WHERE t.term = p.term")


def upgrade() -> None:
    with op.batch_alter_table('dir_search_terms', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, INT_ARRAY, server_default='{}', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        # Fresh statistics first: with none (tables filled since the last analyze), the
        # planner can run the postings' aggregate once a word (minutes, at 4,000 services).
        op.execute("ANALYZE dir_search_terms")
        op.execute("ANALYZE dir_search_docs")
        op.execute(FILL)


def downgrade() -> None:
    with op.batch_alter_table('dir_search_terms', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
