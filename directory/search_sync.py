"""Keeping the PostgreSQL engine's tables (`directory.search_tables`) in step with the directory.

An import rewrites its source's rows in its own transaction (`sync_source`), so a search on
any worker sees the import as soon as it commits, and never half of it. `rebuild` fills the
tables from scratch (first start on PostgreSQL, `flask directory search-sync`). Both read the
services a batch at a time through the memory engine's loader (the same facts: languages,
hours past midnight, holiday hours, areas, phones) and write them with COPY, so a million
services are indexed in bounded memory.

The field tokens are `directory.text`'s, the memory index's own, written as a weighted
tsvector: name A, alternate name and taxonomy names B, organization C, description D.
Each word's and code's count and sorted id postings (all, and a word's by field weight A, B,
C) are moved by an import's difference: its old rows' taken out, its new rows' added.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from config.database import admin_engine, commit
from directory.models import Service
from directory.search_index import DocData
from directory.search_loader import load_docs
from directory.text import fold, stem, words

BATCH = 5000
LOCK_KEY = 211013  # one sync at a time (workers warming together, an import meanwhile)
FIELD_WEIGHTS = ("A", "B", "B", "C", "D")  # name, alternate name, taxonomy, organization, description
IN_SYNC = "WHERE service_id IN (SELECT service_id FROM _search_sync_ids)"
IN_SYNC_D = "WHERE d.service_id IN (SELECT service_id FROM _search_sync_ids)"
TERM_POSTINGS = ("docs", "docs_a", "docs_b", "docs_c", "docs_alt", "docs_alt_tax", "docs_desc_too")
# The fields beyond the weights (one position a field, `tsvector`): in the alternate name, in
# both the alternate and the taxonomy names, in the description as well as another field.
FIELD_POSTINGS = (("docs_alt", "2 = ANY(u.positions)"),
                  ("docs_alt_tax", "2 = ANY(u.positions) AND 3 = ANY(u.positions)"),
                  ("docs_desc_too", "5 = ANY(u.positions) AND cardinality(u.positions) > 1"))
DOC_COLUMNS = ("service_id", "source", "source_id", "name", "sort_name", "organization",
               "alternate_name", "description", "address", "city", "region", "areas",
               "accessible", "taxonomy", "languages", "phones", "body")
DOC_TYPES = ("int4", "text", "text", "text", "text", "text", "text", "text", "text", "text",
             "text", "text", "bool", "text[]", "text[]", "text[]", "text")  # the tsvector as its text


def doc_fields(doc: DocData, taxonomy_names: dict[str, str]) -> list[str | None]:
    """The texts of the fields, in FIELD_WEIGHTS order (as `SearchIndex` indexes them)."""
    tax_text = " ".join(taxonomy_names.get(c, "") for c in doc.taxonomy)
    return [doc.name, doc.alternate_name, tax_text, doc.organization, doc.description]


def tsvector(doc: DocData, taxonomy_names: dict[str, str]) -> str:
    """The tsvector literal: each token once, with one position a field it occurs in.

    Tokens are [a-z0-9]+ (`directory.text.words`), so they need no quoting inside the quotes.
    """
    positions: dict[str, list[str]] = {}
    for number, (weight, value) in enumerate(zip(FIELD_WEIGHTS, doc_fields(doc, taxonomy_names),
                                                 strict=True), 1):
        if value:
            for token in {stem(w) for w in words(value)}:
                positions.setdefault(token, []).append(f"{number}{weight}")
    return " ".join(f"'{token}':{','.join(at)}" for token, at in sorted(positions.items()))


def doc_row(doc: DocData, taxonomy_names: dict[str, str]) -> tuple[Any, ...]:
    return (doc.pk, doc.source, doc.source_id, doc.name, fold(doc.name), doc.organization,
            doc.alternate_name, doc.description, doc.address, doc.city, doc.region,
            "\n".join(doc.areas), doc.accessible, list(doc.taxonomy), sorted(doc.languages),
            list(doc.phones), tsvector(doc, taxonomy_names))


def _copy(db: Session, table: str, columns: tuple[str, ...], types: tuple[str, ...],
          rows: Iterator[tuple[Any, ...]] | list[tuple[Any, ...]]) -> None:
    raw = db.connection().connection.driver_connection  # psycopg's, in the session's transaction
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)


def _write(db: Session, docs: list[DocData], names: dict[str, str]) -> None:
    _copy(db, "dir_search_docs", DOC_COLUMNS, DOC_TYPES, (doc_row(d, names) for d in docs))
    _copy(db, "dir_search_hours", ("service_id", "weekday", "opens", "closes"),
          ("int4", "int4", "int4", "int4"),
          [(d.pk, day, opens, closes) for d in docs for day, opens, closes in d.schedules])
    _copy(db, "dir_search_holidays", ("service_id", "first_day", "last_day", "opens", "closes"),
          ("int4", "date", "date", "int4", "int4"),
          [(d.pk, first, last, opens, closes) for d in docs
           for first, last, opens, closes in d.holidays])


def _id_batches(db: Session, source: str | None) -> Iterator[list[int]]:
    """The services' ids a batch at a time (keyset pages: no list of a million ids)."""
    last = 0
    while True:
        stmt = select(Service.id).where(Service.id > last).order_by(Service.id).limit(BATCH)
        if source is not None:
            stmt = stmt.where(Service.source == source)
        ids = list(db.scalars(stmt))
        if not ids:
            return
        yield ids
        last = ids[-1]


def _index(db: Session, ids: list[int]) -> int:
    docs, names = load_docs(db, ids)
    _write(db, docs, names)
    return len(docs)


def postings(scope: str) -> str:
    """Each word of the docs in `scope` with their ids, sorted (all; and those with it in a
    field weighted A, B, C: the search's candidate tiers), and each code with its ids."""
    tier = ", ".join(f"COALESCE(array_agg(d.service_id ORDER BY d.service_id) FILTER (WHERE "
                     f"{where}), '{{}}') AS {column}" for column, where in (
                         *((f"docs_{w.lower()}", f"'{w}' = ANY(u.weights)") for w in "ABC"),
                         *FIELD_POSTINGS))
    return (f"SELECT u.lexeme AS term, array_agg(d.service_id ORDER BY d.service_id) AS docs, "  # noqa: S608 - built from constants
            f"{tier} FROM dir_search_docs d, unnest(d.body) AS u {scope} GROUP BY u.lexeme")


def code_postings(scope: str) -> str:
    return ("SELECT code, array_agg(DISTINCT d.service_id ORDER BY d.service_id) AS docs "  # noqa: S608 - built from constants
            f"FROM dir_search_docs d, unnest(d.taxonomy) AS code {scope} GROUP BY code")


def _add_postings(db: Session, scope: str) -> None:
    """Add the words and codes of the docs in `scope` (ids not in the postings yet)."""
    db.execute(text(
        f"INSERT INTO dir_search_terms (term, ndoc, {', '.join(TERM_POSTINGS)}) "  # noqa: S608 - built from constants
        f"SELECT term, cardinality(docs), {', '.join(TERM_POSTINGS)} FROM ({postings(scope)}) p "
        "ON CONFLICT (term) DO UPDATE SET ndoc = dir_search_terms.ndoc + EXCLUDED.ndoc, "
        + ", ".join(f"{c} = dir_search_terms.{c} | EXCLUDED.{c}" for c in TERM_POSTINGS)))
    db.execute(text(
        "INSERT INTO dir_search_codes (code, ndoc, docs) "  # noqa: S608 - built from constants
        f"SELECT code, cardinality(docs), docs FROM ({code_postings(scope)}) p "
        "ON CONFLICT (code) DO UPDATE SET ndoc = dir_search_codes.ndoc + EXCLUDED.ndoc, "
        "docs = dir_search_codes.docs | EXCLUDED.docs"))


def _remove_postings(db: Session, scope: str) -> None:
    """Take the docs in `scope` out of their words' and codes' postings and counts."""
    db.execute(text(
        "UPDATE dir_search_terms t SET ndoc = t.ndoc - cardinality(p.docs), "  # noqa: S608 - built from constants
        + ", ".join(f"{c} = t.{c} - p.{c}" for c in TERM_POSTINGS)
        + f" FROM ({postings(scope)}) p WHERE t.term = p.term"))
    db.execute(text(
        "UPDATE dir_search_codes t SET ndoc = t.ndoc - cardinality(p.docs), "  # noqa: S608 - built from constants
        f"docs = t.docs - p.docs FROM ({code_postings(scope)}) p WHERE t.code = p.code"))


def rebuild(db: Session) -> int:
    """Every service indexed anew; the caller commits. Returns the number indexed."""
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    db.execute(text("TRUNCATE dir_search_holidays, dir_search_hours, dir_search_docs, "
                    "dir_search_terms, dir_search_codes"))
    count = sum(_index(db, ids) for ids in _id_batches(db, None))
    _add_postings(db, "")
    return count


def rebuild_unbounded(database_url: str) -> int:
    """`rebuild` in its own transaction on a connection without the app's 30 s bound on a
    statement (`config.database`): an admin's job (`flask directory search-sync`, the
    bench), whose postings statement takes minutes at a million services. Returns the
    number indexed."""
    engine = admin_engine(database_url)  # no lock bound: it may wait for an import's sync
    try:
        with Session(engine) as db:
            count = rebuild(db)
            commit(db)
        return count
    finally:
        engine.dispose()


def sync_source(db: Session, source: str) -> int:
    """Re-index the services of one source (an import); the caller commits."""
    return sum(sync_services(db, ids) for ids in _id_batches(db, source))


def sync_services(db: Session, ids: list[int]) -> int:
    """Re-index these services (a batch of at most a few thousand): their rows replaced and
    the word and code counts moved by the difference; the caller commits."""
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    db.execute(text("CREATE TEMP TABLE IF NOT EXISTS _search_sync_ids "
                    "(service_id int PRIMARY KEY) ON COMMIT DROP"))
    db.execute(text("TRUNCATE _search_sync_ids"))
    _copy(db, "_search_sync_ids", ("service_id",), ("int4",), [(i,) for i in ids])
    _remove_postings(db, IN_SYNC_D)
    db.execute(text(f"DELETE FROM dir_search_docs {IN_SYNC}"))  # noqa: S608 - a constant
    count = _index(db, ids)
    _add_postings(db, IN_SYNC_D)
    db.execute(text("DELETE FROM dir_search_terms WHERE ndoc <= 0"))
    db.execute(text("DELETE FROM dir_search_codes WHERE ndoc <= 0"))
    return count


def in_step(db: Session) -> bool:
    """Whether every service has its row (a first start on PostgreSQL, or a switch of
    engine, finds the table empty or behind and rebuilds it)."""
    services = db.scalar(select(func.count()).select_from(Service)) or 0
    indexed = db.scalar(text("SELECT count(*) FROM dir_search_docs")) or 0
    return int(services) == int(indexed)
