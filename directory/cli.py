"""`flask --app app directory ...`: import, export and generate the services directory."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from directory.package import DirectoryImportError

directory_cli = AppGroup("directory", help="The services directory (HSDS): import, export, generate.")


@directory_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--source", default=None, help="Dataset name (default: the folder or file name).")
@click.option("--format", "fmt", type=click.Choice(["auto", "hsds", "icarol"]), default="auto")
def import_cmd(path: Path, source: str | None, fmt: str) -> None:
    """Import an HSDS datapackage (folder or zip) or an iCarol CSV; all or nothing."""
    from directory.importer import import_path

    started = time.perf_counter()
    try:
        summary = import_path(current_app._get_current_object(), path, source, fmt)  # type: ignore[attr-defined]
    except DirectoryImportError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in summary.lines():
        click.echo(line)
    click.echo(f"imported {path} in {time.perf_counter() - started:.1f}s")


@directory_cli.command("export")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--source", default=None, help="Only this dataset (default: everything).")
def export_cmd(path: Path, source: str | None) -> None:
    """Write the directory out as an HSDS datapackage (a folder, or a .zip)."""
    from directory.exporter import export

    counts = export(current_app._get_current_object(), path, source)  # type: ignore[attr-defined]
    click.echo(", ".join(f"{name}: {count}" for name, count in counts.items()))


@directory_cli.command("generate")
@click.option("--services", "count", type=int, default=56000, show_default=True)
@click.option("--seed", type=int, default=211, show_default=True)
@click.option("--if-empty", is_flag=True,
              help="only when the directory has no service yet (scripts/serve.sh uses it)")
def generate_cmd(count: int, seed: int, if_empty: bool) -> None:
    """A realistic Ontario-sized directory (source 'generated'), for demos and benchmarks."""
    from directory.generator import generate
    from directory.shared_data import miami_dir

    if if_empty and (held := service_count()):
        click.echo(f"the directory already holds {held} services")
        return
    if not miami_dir().is_dir():
        raise click.ClickException(
            f"no 211 Miami data at {miami_dir()} (the generator takes its services' taxonomy codes from it): "
            "set SHARED_DATA_DIR, or import a directory with `flask directory import`")
    started = time.perf_counter()
    summary = generate(current_app._get_current_object(), count, seed)  # type: ignore[attr-defined]
    for line in summary.lines():
        click.echo(line)
    click.echo(f"generated {count} services in {time.perf_counter() - started:.1f}s")


@directory_cli.command("search-sync")
def search_sync_cmd() -> None:
    """Re-index every service in the PostgreSQL search engine's tables (SEARCH_ENGINE=postgres).

    Imports keep the tables in step and a start finds them behind; this is for a switch of
    engine on a running deployment, or after editing services in the database by hand."""
    from directory import version
    from directory.search_sync import rebuild_unbounded

    started = time.perf_counter()
    count = rebuild_unbounded(current_app.extensions["settings"].database_url)
    version.bump(current_app.extensions["store"])  # every worker reloads the engine's counts
    click.echo(f"indexed {count} services in {time.perf_counter() - started:.1f}s")


def service_count() -> int:
    from sqlalchemy import func, select

    from config.database import session_scope
    from directory.models import Service

    with session_scope(current_app) as db:
        return int(db.scalar(select(func.count()).select_from(Service)) or 0)


def register(app: Flask) -> None:
    app.cli.add_command(directory_cli)
