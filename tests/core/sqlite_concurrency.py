"""Concurrent use of a file-based SQLite database, run in a process of its own by
tests/core/test_sqlite_concurrency.py (the test suite's database is in memory).

    python -m tests.core.sqlite_concurrency DATA_DIR

migrates a fresh database in DATA_DIR with the project's settings (WAL, busy timeout,
IMMEDIATE transactions), then:

1. an import worker (a thread with its own connection) writes many pupils in one
   transaction and holds it open;
2. meanwhile pages are read as the administrator, and the system checks run on a
   fresh connection (the JSONField check once failed here);
3. a second writer adds a pupil: it must wait for the import, then succeed;
4. the import commits.

Prints one JSON object of what was seen; the test asserts on it.
"""

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

IMPORTED = 3000


def main(data_dir: str) -> dict[str, Any]:
    os.environ["MARKBOOK_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/markbook.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "markbook.settings"
    os.environ.pop("MARKBOOK_DEBUG", None)
    import django

    django.setup()
    from django.core import checks
    from django.core.management import call_command
    from django.db import connection, connections, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from markbook.accounts.models import Membership
    from markbook.core.tenancy import all_schools, school_scope
    from markbook.rosters import services
    from markbook.rosters.models import Pupil
    from markbook.schools.years import academic_year_current
    from tests import factories as f

    setup_test_environment()  # the test client's host and outbox
    call_command("migrate", verbosity=0)
    seen: dict[str, Any] = {
        "journal_mode": connection.cursor().execute("PRAGMA journal_mode").fetchone()[0],
        "busy_timeout_ms": connection.cursor().execute("PRAGMA busy_timeout").fetchone()[0],
    }
    with all_schools():
        school = f.SchoolFactory(name="Oakfield Academy")
        admin = f.member(school, Membership.Role.SCHOOL_ADMIN, email="admin@oakfield.sch.uk")
        f.pupil_with_account(school, first_name="Amy", last_name="Adams", username="amy.adams")
    with school_scope(school):
        # A school in use has its current academic year (made on first use, a write).
        academic_year_current(school)

    import_written = threading.Event()
    release_import = threading.Event()
    writer_waiting = threading.Event()
    errors: list[str] = []

    def import_worker() -> None:
        """A large import in one long transaction, as the OneRoster import writes."""
        try:
            with school_scope(school), transaction.atomic():
                now = datetime.now(UTC)
                people = [(f"imported.{n}", "Imported", f"Pupil {n}") for n in range(IMPORTED)]
                user_ids = services.pupil_accounts_insert(school=school, people=people, now=now)
                from markbook.core.rows import insert_rows

                insert_rows(
                    Pupil,
                    [
                        {
                            "school_id": school.pk,
                            "user_id": user_id,
                            "username": username,
                            "first_name": first,
                            "last_name": last,
                            "year_group": "7",
                        }
                        for user_id, (username, first, last) in zip(user_ids, people, strict=True)
                    ],
                    now=now,
                )
                import_written.set()
                release_import.wait(60)
            seen["import_committed"] = True
        except Exception as error:  # reported, not swallowed: the test fails on it
            errors.append(f"import: {error!r}")
            import_written.set()
        finally:
            connections.close_all()

    def second_writer() -> None:
        """An administrator adds a pupil while the import writes."""
        try:
            with school_scope(school):
                writer_waiting.set()
                with transaction.atomic():
                    pupil = services.pupil_create(
                        actor=admin,
                        school=school,
                        first_name="Eve",
                        last_name="Evans",
                        year_group="8",
                    )
                    # Inside the writer's transaction: the import had committed before it began.
                    seen["writer_saw_pupils"] = Pupil.objects.count()
                seen["writer_pupil"] = pupil.username
        except Exception as error:
            errors.append(f"second writer: {error!r}")
        finally:
            connections.close_all()

    def system_checks() -> None:
        """`manage.py check` on a new connection while the import holds the write lock."""
        try:
            seen["checks"] = [
                f"{m.id}: {m.msg}"
                for m in checks.run_checks(databases=["default"])
                if m.is_serious()
            ]
        except Exception as error:
            errors.append(f"checks: {error!r}")
        finally:
            connections.close_all()

    client = Client()
    client.force_login(admin)  # the session is written before the import begins
    worker = threading.Thread(target=import_worker)
    worker.start()
    import_written.wait(120)

    # Pages that only read answer at once: WAL readers never wait for the writer.
    statuses = {}
    for name, path in {
        "dashboard": f"/s/{school.pk}/",
        "classes": f"/s/{school.pk}/roster/classes/",
    }.items():
        statuses[name] = client.get(path).status_code
    seen["statuses"] = statuses
    with school_scope(school):
        seen["read_during_import"] = Pupil.objects.count()

    def busy_page() -> None:
        """The pupil list writes a read event (SEC-1): with a busy timeout far shorter
        than the import, it answers 503 "busy" instead of a 500."""
        try:
            impatient = Client(raise_request_exception=False)
            impatient.cookies = client.cookies  # the administrator's session
            answer = impatient.get(f"/s/{school.pk}/roster/pupils/")
            seen["busy_status"] = answer.status_code
            seen["busy_text"] = answer.content.decode()
        except Exception as error:
            errors.append(f"busy page: {error!r}")
        finally:
            connections.close_all()

    options = connections.settings["default"]["OPTIONS"]
    timeout, options["timeout"] = options["timeout"], 0.2  # for the next new connection only
    busy = threading.Thread(target=busy_page)
    busy.start()
    busy.join(120)
    options["timeout"] = timeout

    checker = threading.Thread(target=system_checks)
    checker.start()
    checker.join(120)

    writer = threading.Thread(target=second_writer)
    writer.start()
    writer_waiting.wait(60)
    time.sleep(1)  # let the writer reach BEGIN IMMEDIATE and wait on the import's lock
    seen["writer_done_before_import"] = "writer_pupil" in seen
    release_import.set()
    worker.join(120)
    writer.join(120)
    with school_scope(school):
        seen["pupils_after"] = Pupil.objects.count()
    seen["errors"] = errors
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
