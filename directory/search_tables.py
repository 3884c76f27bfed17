"""The PostgreSQL search engine's tables (`SEARCH_ENGINE=postgres`, `directory.search_pg`).

One row a service with everything a search filters, ranks and shows (so a search reads one
table): the tokens of each field in a weighted `tsvector` (the same tokens the memory index
makes, by `directory.text`), the taxonomy codes and languages as arrays, the opening hours
and holiday hours as rows. `dir_search_terms` holds every token with the number of services
using it (the IDF, and the words a typo is corrected to, found by `pg_trgm`) and their ids
(`docs`, sorted; `docs_a`, `docs_b`, `docs_c`: those with it in a field of that weight), which
a search unions with `intarray` to count its matches and to take its candidates (migration
0014); `dir_search_codes` the same for taxonomy codes. Kept in step by
`directory.search_sync` in the import's own transaction.

The tables exist on SQLite too (empty, unused), so one schema serves both; the extensions
and the GIN indexes are PostgreSQL's (created by migration 0012, and by `create_all` here).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import DDL, JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from config.database import Base

TEXT_ARRAY = ARRAY(Text).with_variant(JSON(), "sqlite")
TS_VECTOR = TSVECTOR().with_variant(Text(), "sqlite")
INT_ARRAY = ARRAY(Integer).with_variant(JSON(), "sqlite")
EXTENSIONS = ("pg_trgm", "unaccent", "intarray")
# The union of many sorted id arrays (intarray's `|` as an aggregate): a query's matches.
UNION_AGGREGATE = ("CREATE OR REPLACE AGGREGATE dir_search_union(int[]) "
                   "(SFUNC = _int_union, STYPE = int[], INITCOND = '{}')")


class SearchDoc(Base):
    __tablename__ = "dir_search_docs"
    __table_args__ = (
        Index("ix_dir_search_docs_body", "body", postgresql_using="gin"),
        Index("ix_dir_search_docs_taxonomy", "taxonomy", postgresql_using="gin"),
        Index("ix_dir_search_docs_order", "sort_name", "service_id"),
        Index("ix_dir_search_docs_region", "region", "service_id"),  # the ids passing a filter
    )

    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_services.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(Text)
    # The tie rule's key: the name folded, in byte order (so the order index serves a browse).
    sort_name: Mapped[str] = mapped_column(Text().with_variant(Text(collation="C"), "postgresql"))
    organization: Mapped[str | None] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(32))
    areas: Mapped[str] = mapped_column(Text, default="")  # one a line, as imported
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    taxonomy: Mapped[list[str]] = mapped_column(TEXT_ARRAY)
    languages: Mapped[list[str]] = mapped_column(TEXT_ARRAY)
    phones: Mapped[list[str]] = mapped_column(TEXT_ARRAY)
    body: Mapped[str] = mapped_column(TS_VECTOR)


class SearchHours(Base):
    """A same-day opening span (an opening past midnight is two rows, as in the memory index)."""

    __tablename__ = "dir_search_hours"
    __table_args__ = (Index("ix_dir_search_hours_service", "service_id", "weekday"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_search_docs.service_id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)  # ISO: Monday 1
    opens: Mapped[int] = mapped_column(Integer)  # minutes after midnight
    closes: Mapped[int] = mapped_column(Integer)


class SearchHoliday(Base):
    """Holiday hours replacing the week's from `first_day` to `last_day` (opens None: closed)."""

    __tablename__ = "dir_search_holidays"
    __table_args__ = (Index("ix_dir_search_holidays_service", "service_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("dir_search_docs.service_id", ondelete="CASCADE"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    opens: Mapped[int | None] = mapped_column(Integer)
    closes: Mapped[int | None] = mapped_column(Integer)


class SearchTerm(Base):
    __tablename__ = "dir_search_terms"
    __table_args__ = (Index("ix_dir_search_terms_trgm", "term", postgresql_using="gin",
                            postgresql_ops={"term": "gin_trgm_ops"}),)

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    ndoc: Mapped[int] = mapped_column(Integer)
    docs: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")
    docs_a: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")  # in the name
    docs_b: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")  # alternate, taxonomy
    docs_c: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")  # organization
    # With the above, a word's fields exactly (migration 0015): in the alternate name, in both
    # the alternate and the taxonomy names, in the description as well as another field.
    docs_alt: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")
    docs_alt_tax: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")
    docs_desc_too: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")


class SearchCode(Base):
    __tablename__ = "dir_search_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    ndoc: Mapped[int] = mapped_column(Integer)
    docs: Mapped[list[int]] = mapped_column(INT_ARRAY, server_default="{}")


for _name in EXTENSIONS:  # before the trigram index needs it (tests build with create_all)
    event.listen(SearchTerm.__table__, "before_create",
                 DDL(f"CREATE EXTENSION IF NOT EXISTS {_name}").execute_if(dialect="postgresql"))
event.listen(SearchTerm.__table__, "after_create",
             DDL(UNION_AGGREGATE).execute_if(dialect="postgresql"))
