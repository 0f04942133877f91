"""CSV files for people's spreadsheets neutralise formula-like cells; imports warn
about such values and store them as given; the OneRoster zip keeps them verbatim
(SEC-1, ROS-2, ROS-4)."""

import csv
import io
import re
from pathlib import Path

import pytest

from markbook.core.spreadsheet import csv_for_people, neutralise
from markbook.core.tenancy import school_scope
from markbook.privacy.record import processing_rows, record_csv
from markbook.rosters.imports.classlist import classlist_import
from markbook.rosters.imports.mis import mis_import
from markbook.rosters.models import Pupil
from tests.conftest import World
from tests.rosters.test_mis_import import HEADER, ROW2
from tests.rosters.test_oneroster import _export, _files, _import, _newfield, _rows

SRC = Path(__file__).resolve().parents[2] / "src" / "markbook"
FORMULAS = ['=HYPERLINK("http://x.example","Click")', "+SUM(1,2)", "-2+3", "@cmd", "\tx", "\rx"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_like_cell_is_prefixed_with_a_quote(value: str):
    """SEC-1 (OWASP CSV injection): =, +, -, @, tab and carriage return."""
    assert neutralise(value) == "'" + value
    text = csv_for_people(["name"], [[value]])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["name"], ["'" + value]]


@pytest.mark.parametrize("value", ["Amy", "O'Neil", "Smith-Jones", "7A", "", "a=b"])
def test_ordinary_cells_are_left_alone(value: str):
    assert neutralise(value) == value


def test_every_csv_writer_is_the_shared_one_or_the_oneroster_export():
    """SEC-1: a CSV for people is written by csv_for_people; the one other writer is
    the OneRoster export, read by systems (documented there). A new csv.writer fails."""
    allowed = {SRC / "core" / "spreadsheet.py", SRC / "rosters" / "oneroster" / "export.py"}
    writers = {
        path
        for path in SRC.rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    }
    assert writers <= allowed, sorted(str(p) for p in writers - allowed)
    assert "csv_for_people" in (SRC / "privacy" / "record.py").read_text(encoding="utf-8")


def test_the_record_of_processing_csv_neutralises_its_cells(monkeypatch):
    """SEC-1: the processing record is opened in a spreadsheet by the DPO."""
    rows = processing_rows()
    row = rows[0]
    monkeypatch.setattr(type(row), "cells", lambda self: ("=1+1", *("x",) * 10))
    assert "'=1+1" in record_csv([row])


def test_the_mis_import_warns_about_formulas_and_stores_them_as_given(world: World):
    """ROS-2, SEC-1: a warning (not an error) naming row and column."""
    data = f"{HEADER}\n{ROW2.replace('Fin', '=HYPERLINK(1)', 1)}\n".encode()
    with school_scope(world.a):
        result = mis_import(
            actor=world.admin, school=world.a, data=data, filename="m.csv", confirm=True
        )
        assert result.ok and result.applied, result.errors
        assert [(w.row, w.column) for w in result.warnings if "formula" in w.message] == [
            (2, "forename")
        ]
        assert Pupil.objects.filter(first_name="=HYPERLINK(1)").exists()


def test_the_class_list_import_warns_about_formulas_and_stores_them_as_given(world: World):
    """ROS-2, SEC-1."""
    data = b'class,first name,last name\n9Q Art,"+SUM(1,2)",Zane\n'
    with school_scope(world.a):
        result = classlist_import(actor=world.admin, school=world.a, data=data, filename="l.csv")
        assert result.ok, result.problems
        assert [(w.row, w.column) for w in result.warnings] == [(2, "first name")]
        assert Pupil.objects.filter(first_name="+SUM(1,2)").exists()


def test_a_oneroster_export_keeps_formula_like_names_verbatim_and_round_trips(world: World):
    """ROS-4, SEC-1: OneRoster files are for systems: written verbatim (no quote), so
    importing the export gives exactly the same names; the import notes the values."""
    names = {"amy.adams": ('=HYPERLINK("x")', "@cmd"), "ben.brown": ("+SUM(1,2)", "-Brown")}
    with school_scope(world.a):
        for username, (first, last) in names.items():
            Pupil.objects.filter(username=username).update(first_name=first, last_name=last)
    users = {u["username"]: u for u in _rows(_files(_export(world))["users"])}
    for username, (first, last) in names.items():
        assert (users[username]["givenName"], users[username]["familyName"]) == (first, last)
    new = _newfield(world)
    result = _import(new, _export(world))
    assert result.ok, result.problems
    assert any("could be run as formulas" in n for n in result.notes)
    with school_scope(new):
        got = {p.username: (p.first_name, p.last_name) for p in Pupil.objects.all()}
    assert {u: got[u] for u in names} == names
