"""Whole numbers in URLs (`<int:id>`) bounded to what the databases store.

Werkzeug's `int` converter takes any length of digits, but SQLite cannot bind an integer past
64 bits (`OverflowError`) and PostgreSQL refuses one past its `integer` column type ("integer
out of range"): both were 500s, found by schemathesis on `PUT /api/admin/bulletins/<id>` and
`GET /api/admin/routing/versions/<number>`. A number no row can have is simply not found: past
the bound the URL does not match (404).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

LARGEST_ID = 2**31 - 1  # PostgreSQL's `integer`, the type of every id and number column here


class BoundedId(IntegerConverter):
    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, LARGEST_ID if max is None else max, signed)


def install(app: Flask) -> None:
    """Before any blueprint registers its routes."""
    app.url_map.converters["int"] = BoundedId
