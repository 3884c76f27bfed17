"""The interpreter vendors and configured lines (config/data/call_lines.json and
interpreter_codes.csv): checked when read, bad data named by file and line."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from app import create_app
from config.call_lines import CallLinesError, dtmf_for, line_number, load_call_lines
from config.ontario import DATA_DIR, data_files, load_deployment
from config.settings import Settings


def test_the_shipped_data_loads_and_covers_known_languages() -> None:
    dep = data_files()
    known = {lang.code for lang in dep.interpreter_languages}
    lines = dep.call_lines
    assert {"crisis", "health811", "kids_help_phone", "awhl"} <= set(lines.lines)
    assert lines.lines["health811"].phone == "+18667970007"
    assert lines.lines["kids_help_phone"].name("fr") == "Jeunesse, J'écoute"
    assert lines.vendors and all(set(v.languages) <= known for v in lines.vendors.values())
    assert known <= {code for v in lines.vendors.values() for code in v.languages}  # every one
    assert [v.id for v in lines.vendors_for("pa")] == ["voxbridge", "parlons"]


def test_dtmf_is_the_access_code_then_the_language_code_with_pauses() -> None:
    vendor = data_files().call_lines.vendors["voxbridge"]
    digits = dtmf_for(vendor, "pa")
    assert digits == f"wwww{vendor.access_code}#ww{vendor.languages['pa']}#"
    assert re.fullmatch(r"[w0-9#]+", digits)
    with pytest.raises(KeyError):
        dtmf_for(vendor, "xx")


def test_the_crisis_line_number_is_the_setting() -> None:
    crisis = data_files().call_lines.lines["crisis"]
    assert crisis.phone is None and line_number(crisis, "988") == "988"
    assert line_number(data_files().call_lines.lines["awhl"], "988") == "+18668630511"


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_json(data: Path, change: str, to: str) -> None:
    path = data / "call_lines.json"
    text = path.read_text(encoding="utf-8")
    assert change in text
    path.write_text(text.replace(change, to, 1), encoding="utf-8")


def json_line(data: Path, needle: str) -> int:
    lines = (data / "call_lines.json").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(("change", "to", "entry", "says"), [
    ('"phone": "+18667970007"', '"phone": "866-797-0007"', "health811", "not an E.164"),
    ('"phone": "+18005550142"', '"phone": "+1800555"', "voxbridge", "not an E.164"),
    ('"access_code": "421907"', '"access_code": "42-19"', "voxbridge", "digits only"),
    ('"phone": "+18006686868"', '"phone": null', "kids_help_phone", "only the crisis line"),
])
def test_bad_json_names_the_file_and_the_entrys_line(
        tmp_path: Path, change: str, to: str, entry: str, says: str) -> None:
    data = copy_data(tmp_path)
    edit_json(data, change, to)
    line = json_line(data, f'"id": "{entry}"')
    with pytest.raises(CallLinesError, match=re.escape(f"call_lines.json:{line}:")) as err:
        load_deployment(data)
    assert says in str(err.value) and entry in str(err.value)


def test_broken_json_names_its_line(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    edit_json(data, '"lines": [', '"lines": [,')
    with pytest.raises(CallLinesError, match=r"call_lines\.json:\d+:"):
        load_deployment(data)


@pytest.mark.parametrize(("row", "says"), [
    ("voxbridge,pa,1a3", "digits only"),
    ("voxbridge,klingon,555", "not in interpreter_languages.csv"),
    ("nobody,pa,555", "unknown vendor"),
    ("voxbridge,cmn,999", "two codes for cmn"),
])
def test_bad_codes_name_the_csv_line(tmp_path: Path, row: str, says: str) -> None:
    data = copy_data(tmp_path)
    path = data / "interpreter_codes.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    rows.insert(5, row)  # the file's line 6
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CallLinesError, match=re.escape("interpreter_codes.csv:6:")) as err:
        load_call_lines(data, {lang.code for lang in data_files().interpreter_languages})
    assert says in str(err.value)


@pytest.mark.parametrize("number", ["9-8-8", "+1988", "", "+1416555"])
def test_a_bad_crisis_number_stops_start_up(settings: Settings, number: str) -> None:
    with pytest.raises(CallLinesError, match="CRISIS_LINE_NUMBER"):
        create_app(dataclasses.replace(settings, crisis_line_number=number))


def test_the_crisis_number_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRISIS_LINE_NUMBER", "+18334564566")
    assert Settings.from_env().crisis_line_number == "+18334564566"
    monkeypatch.delenv("CRISIS_LINE_NUMBER")
    assert Settings.from_env().crisis_line_number == "988"
