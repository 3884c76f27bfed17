"""One entry point for every import: pick the reader by the file's shape, write, bump version."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config.database import session_scope
from config.extensions import deployment
from directory import search_loader, version
from directory.hsds_reader import read_hsds
from directory.icarol_reader import read_icarol
from directory.package import DirectoryImportError, Package, Summary
from directory.writer import write_package


def detect_format(path: Path) -> str:
    if path.is_dir() or path.suffix.lower() == ".zip":
        return "hsds"
    if path.suffix.lower() == ".csv":
        return "icarol"
    raise DirectoryImportError([f"{path}: expected an HSDS datapackage (folder or .zip) "
                                "or an iCarol .csv export"])


def default_source(path: Path) -> str:
    """The dataset's name: its folder (or file) name, so re-imports match their records."""
    name = path.name if path.is_dir() else path.stem
    if name in {"data", "all_resources"} and path.parent.name:
        name = f"{path.parent.name}/{name}" if name == "all_resources" else path.parent.name
    return name[:64]


def read(path: Path, source: str, fmt: str = "auto") -> Package:
    if not path.exists():
        raise DirectoryImportError([f"{path}: no such file or folder"])
    fmt = detect_format(path) if fmt == "auto" else fmt
    return read_hsds(path, source) if fmt == "hsds" else read_icarol(path, source)


def import_path(app: Flask, path: Path, source: str | None = None, fmt: str = "auto") -> Summary:
    """Import all or nothing; raises DirectoryImportError listing bad rows (nothing written)."""
    package = read(path, source or default_source(path), fmt)
    return write(app, package)


def write(app: Flask, package: Package) -> Summary:
    with app.app_context():
        dep = deployment()  # regions as published now, not only the data files'
    with session_scope(app) as db:
        summary = write_package(db, package, dep)
        if search_loader.on_postgres(app):
            from directory.search_sync import sync_source

            sync_source(db, package.source)  # in the import's transaction: all or nothing
    version.bump(app.extensions["store"])
    if search_loader.has_index(app):
        search_loader.refresh(app)  # the importer pays for the new index, not the next search
    return summary
