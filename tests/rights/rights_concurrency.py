"""No stage of a data-subject request runs twice at once (DSR-9), with real concurrent
connections: two workers running the same attempt, and two leads approving the same
request, each pair released together by a barrier.

`race(...)` is shared by tests/rights/test_concurrency.py: on PostgreSQL it runs in the
test process (a transactional test; threads have their own connections); on SQLite
this module runs in a process of its own against a fresh file database (the suite's
database is in memory):

    python -m tests.rights.rights_concurrency DATA_DIR

Prints one JSON object of what was seen; the test asserts on it.
"""

import json
import os
import sys
import threading
import time
from typing import Any


def race(school: Any, lead: Any, parent: Any, pupil: Any) -> dict[str, Any]:
    from django.core.exceptions import ValidationError
    from django.db import connections

    from markbook.core.tenancy import school_scope
    from markbook.rights import handlers, services
    from markbook.rights.models import DataRequest

    calls: list[int] = []
    errors: list[str] = []

    def slow(run: handlers.Run) -> dict[str, Any]:
        calls.append(run.attempt)
        time.sleep(0.5)
        return {"ok": 1}

    with handlers.replaced("access", slow):
        with school_scope(school):
            made = []
            for _ in range(2):
                r = services.data_request_create(
                    actor=parent,
                    school=school,
                    kind="access",
                    subject_pupil=pupil,
                    requester_kind="parent",
                    requester_user=parent,
                    channel="own_page",
                )
                services.data_request_check_identity(actor=lead, data_request=r, method="signed_in")
                made.append(r)
            run_me, approve_me = made
            services.data_request_approve(actor=lead, data_request=run_me)

        barrier = threading.Barrier(2)
        approvals: list[str] = []

        def worker() -> None:
            try:
                with school_scope(school):
                    request = DataRequest.objects.get(pk=run_me.pk)
                    barrier.wait(10)
                    services.data_request_run(data_request=request)
            except Exception as error:
                errors.append(f"run: {error!r}")
            finally:
                connections.close_all()

        def approver() -> None:
            try:
                with school_scope(school):
                    request = DataRequest.objects.get(pk=approve_me.pk)
                    barrier.wait(10)
                    try:
                        services.data_request_approve(actor=lead, data_request=request)
                        approvals.append("approved")
                    except ValidationError as refused:
                        approvals.append("refused: " + " ".join(refused.messages))
            except Exception as error:
                errors.append(f"approve: {error!r}")
            finally:
                connections.close_all()

        for target in (worker, approver):
            threads = [threading.Thread(target=target) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            barrier.reset()
        with school_scope(school):
            ran = DataRequest.objects.get(pk=run_me.pk)
            approved = DataRequest.objects.get(pk=approve_me.pk)
            return {
                "handler_calls": len(calls),
                "run_stage": ran.stage,
                "run_events": list(ran.events.values_list("to_stage", flat=True)),
                "approvals": sorted(approvals),
                "approve_stage": approved.stage,
                "approve_events": approved.events.filter(to_stage="approved").count(),
                "errors": errors,
            }


def main(data_dir: str) -> dict[str, Any]:
    os.environ["MARKBOOK_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/markbook.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "markbook.settings"
    os.environ.pop("MARKBOOK_DEBUG", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from markbook.accounts.models import Membership
    from markbook.core.tenancy import all_schools
    from tests import factories as f

    call_command("migrate", verbosity=0)
    with all_schools():
        school = f.SchoolFactory(name="Oakfield Academy")
        lead = f.member(school, Membership.Role.TEACHER, email="lead@oakfield.sch.uk")
        Membership.objects.create(school=school, user=lead, role=Membership.Role.DPO)
        parent = f.member(school, Membership.Role.PARENT, email="parent@example.org")
        pupil = f.pupil_with_account(school, first_name="Amy", last_name="Adams", username="amy")
        f.link_parent(parent, pupil)
    seen = race(school, lead, parent, pupil)
    seen["vendor"] = connection.vendor
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
