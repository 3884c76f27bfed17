"""Importing real 211 exports: HSDS (211 Miami, Open Referral's sample) and iCarol (211 SF)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from directory.importer import import_path
from directory.models import (
    Eligibility,
    HolidaySchedule,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceLanguage,
    ServiceTaxonomy,
    TaxonomyTerm,
)
from directory.package import DirectoryImportError
from directory.version import current
from tests.directory_helpers import shared_data


def count(db: Session, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for column, value in where.items():
        stmt = stmt.where(getattr(model, column) == value)
    return int(db.scalar(stmt) or 0)


def test_miami_imports_whole_and_reimports_in_place(app: Flask, db: Session) -> None:
    path = shared_data() / "miami-211-hsds"
    first = import_path(app, path)
    assert first.created["services"] == 4089
    assert count(db, Service, source="miami-211-hsds") == 4089
    assert count(db, Organization, source="miami-211-hsds") == 1074
    assert count(db, TaxonomyTerm) == 1991  # 1,994 rows, three codes listed twice
    assert count(db, ServiceTaxonomy) == 17104  # 26,259 links, the repeated ones once
    girl_scouts = db.scalar(select(Service).where(Service.source_id == "136"))
    assert girl_scouts is not None and girl_scouts.name.startswith("GIRL SCOUTS COUNCIL")
    assert girl_scouts.organization is not None
    assert [p.number for p in db.scalars(select(Phone).where(Phone.service_id == girl_scouts.id))] \
        == ["305-253-4841"]
    rent = db.scalar(select(TaxonomyTerm).where(TaxonomyTerm.code == "BH-3800.7000"))
    assert rent is not None and rent.name == "Rent Payment Assistance"
    monday = db.scalars(select(Schedule).where(Schedule.service_id == girl_scouts.id,
                                               Schedule.weekday == 1)).one()
    assert monday.opens_at is not None and monday.closes_at is not None
    assert (monday.opens_at.hour, monday.closes_at.hour) == (9, 17)
    version_after_first = current(app.extensions["store"])

    again = import_path(app, path)
    assert (again.created["services"], again.updated["services"]) == (0, 4089)
    db.expire_all()
    assert count(db, Service) == 4089
    assert count(db, ServiceTaxonomy) == 17104
    assert count(db, Phone, service_id=girl_scouts.id) == 1
    assert current(app.extensions["store"]) == version_after_first + 1


def test_hsds_sample_imports_every_table(app: Flask, db: Session) -> None:
    summary = import_path(app, shared_data() / "hsds-sample" / "all_resources")
    assert summary.created["services"] == 13
    assert summary.created["organizations"] == 10
    helpline = db.scalar(select(Service).where(Service.name == "Never Homeless Helpline"))
    assert helpline is not None
    assert helpline.source_id == "c89eb05c-62dd-4b64-b494-0cc347b6ea7f"
    assert helpline.required_documents == "Sample required document"
    assert "cash" in (helpline.fees or "")
    assert count(db, Eligibility) == 1 and count(db, HolidaySchedule) == 1
    languages = set(db.scalars(select(ServiceLanguage.language)
                               .where(ServiceLanguage.service_id == helpline.id)))
    assert languages == {"English", "Spanish"}


def test_icarol_export_imports(app: Flask, db: Session) -> None:
    summary = import_path(app, shared_data() / "sf-211-icarol" / "211.csv")
    assert summary.created["organizations"] == 494  # agencies
    assert summary.created["services"] == 1637  # programs
    assert count(db, Service, source="211") == 1637
    program = db.scalar(select(Service).where(Service.source_id == "373463"))
    assert program is not None
    assert program.organization is not None and program.organization.name == "CentroNia"
    assert program.fees and program.fees.startswith("Sliding scale")
    maryland = db.scalar(select(Service).where(Service.name == "2-1-1 Maryland"))
    assert maryland is not None
    codes = set(db.scalars(select(TaxonomyTerm.code).join(ServiceTaxonomy)
                           .where(ServiceTaxonomy.service_id == maryland.id)))
    assert "TJ-3000.1500" in codes


def _bad_copy(tmp_path: Path) -> Path:
    source = shared_data() / "hsds-sample" / "all_resources"
    target = tmp_path / "bad"
    shutil.copytree(source, target)
    for item in target.iterdir():
        item.chmod(0o644)
    target.chmod(0o755)
    lines = (target / "services_at_location.csv").read_text(encoding="utf-8").splitlines()
    lines.append("x1,no-such-service," + lines[1].split(",")[2] + ",")
    (target / "services_at_location.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def test_a_bad_row_is_reported_and_nothing_is_imported(app: Flask, db: Session,
                                                       tmp_path: Path) -> None:
    bad = _bad_copy(tmp_path)
    with pytest.raises(DirectoryImportError) as caught:
        import_path(app, bad)
    rows = len((bad / "services_at_location.csv").read_text().splitlines())
    assert caught.value.problems == [
        f"services_at_location.csv, row {rows}: unknown service_id 'no-such-service'"]
    assert count(db, Service) == 0 and count(db, Organization) == 0


def test_cli_import_prints_a_summary_and_reports_bad_rows(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = runner.invoke(args=["directory", "import",
                               str(shared_data() / "hsds-sample" / "all_resources")])
    assert good.exit_code == 0, good.output
    assert "services: created 13, updated 0" in good.output
    bad = runner.invoke(args=["directory", "import", str(_bad_copy(tmp_path))])
    assert bad.exit_code != 0
    assert "services_at_location.csv, row" in bad.output and "nothing imported" in bad.output


def test_export_round_trips_through_import(app: Flask, db: Session, tmp_path: Path) -> None:
    import_path(app, shared_data() / "hsds-sample" / "all_resources", source="sample")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["directory", "export", str(tmp_path / "out.zip"),
                                 "--source", "sample"])
    assert result.exit_code == 0, result.output
    assert "services: 13" in result.output
    again = import_path(app, tmp_path / "out.zip", source="sample")
    assert (again.created["services"], again.updated["services"]) == (0, 13)
    assert count(db, Service) == 13
