"""bench/import_mis.py keeps working: its file imports cleanly, its floor writes the
same rows as the import, and a small run reports every phase. Nothing is timed here."""

import pytest

from markbook.core.tenancy import school_scope
from markbook.rosters.imports.mis import mis_import
from markbook.rosters.models import Pupil
from tests.bench import load

bench = load("import_mis")

pytestmark = pytest.mark.django_db

COMPARED = [
    f.attname
    for f in Pupil._meta.concrete_fields
    if f.name not in ("id", "school", "user", "created_at", "updated_at")
]


def pupils_of(school) -> list[tuple]:  # type: ignore[no-untyped-def]
    with school_scope(school):
        return [
            (*(getattr(p, name) for name in COMPARED), p.user.username.split(".", 2)[2])
            for p in Pupil.objects.filter(school=school).select_related("user").order_by("upn")
        ]


def test_generated_file_is_valid_with_every_field_and_no_warnings():
    school, admin = bench.fresh_school("check")
    with school_scope(school):
        result = mis_import(actor=admin, school=school, data=bench.mis_file(40), filename="f.csv")
    assert result.ok, result.errors[:3]
    assert result.warnings == []
    assert len(result.added) == 40
    assert len(result.columns) == len(bench.HEADER)


def test_floor_writes_the_rows_the_import_wrote():
    school, admin = bench.fresh_school("import")
    bench.timed_import(school, admin, bench.mis_file(20))
    target, _ = bench.fresh_school("floor")
    bench.timed_floor(target, bench.floor_rows(school, target))
    imported, floored = pupils_of(school), pupils_of(target)
    assert len(imported) == 20
    assert floored == imported
    assert any(row[COMPARED.index("ethnicity")] for row in floored)  # decrypted in the target


def test_small_run_reports_every_phase_and_the_targets():
    timings = bench.run_backend(backend="sqlite", pupils=20, repeat=2, log=lambda line: None)
    assert [(t.phase, t.rows) for t in timings] == [(p, 20) for p in bench.PHASES]
    assert all(t.seconds > 0 for t in timings)
    text = bench.report(timings)
    assert "sqlite: first import" in text and "re-import" in text
