"""Property-based run of the whole API (schemathesis): every operation, with inputs
generated from the OpenAPI document, as School A's administrator holding a Bearer
token, must never answer a server error.

The calls go through Django's WSGI handler in this test's thread, so they share its
database connection and transaction: the fixed world is visible, and whatever the
examples change is rolled back at the end. Path ids are drawn from the world's real
objects (and a few that do not exist or belong to School B), and uploads often from
valid files, so the operations reach their services instead of stopping at 404/422.
"""

import datetime as dt
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from markbook.accounts.registration import registration_request_create
from markbook.accounts.services import api_token_create
from markbook.assessment.services import assignment_create
from markbook.core.tenancy import school_scope
from markbook.rosters.models import GuardianLink, ImportJob
from markbook.rosters.oneroster.export import oneroster_export
from markbook.tracking.models import Band, GradeScale
from markbook.tracking.scales import subject_create
from tests.conftest import World
from tests.factories import stalled_import_job
from tests.practice.helpers import PNG

# Examples per operation and mode, the same ones every run (derandomized): with 10,
# all but three operations reach their services (a 2xx) at least once, which the
# test asserts; 8 reach one fewer.
EXAMPLES = int(os.environ.get("MARKBOOK_FUZZ_EXAMPLES", "10"))
# The operations of Markbook's platform staff, fuzzed with their token.
PLATFORM = ("/api/breaches", "/api/platform/")
NEW = ["new.person@oakfield.sch.uk", "another.person@example.org"]


def _ids(world: World) -> dict[str, list[int]]:
    spare, _ = api_token_create(user=world.admin, name="revocable")
    jobs, requests = [], []
    for school in (world.a, world.b):
        with school_scope(school):
            jobs.append(ImportJob.objects.create(school=school, kind="mis", status="done").pk)
            # Pending requests to join (pupils, so no password hash is computed).
            requests += [
                registration_request_create(
                    school=school,
                    role="pupil",
                    email=f"joiner{n}@{school.pk}.example",
                    first_name="Joiner",
                    last_name=str(n),
                    year_group="7",
                    parental_consent=True,
                ).pk
                for n in range(3 if school == world.a else 1)
            ]
    # A stalled job, so that retry and cancel are reached too (ROS-2, ROS-4); cancel and
    # refuse get their own, or the retries and approvals before them use them all up.
    jobs.append(stalled_import_job(world.a, actor=world.admin).pk)
    to_cancel = stalled_import_job(world.a, actor=world.admin).pk
    with school_scope(world.a):
        to_refuse = [
            registration_request_create(
                school=world.a,
                role="pupil",
                email=f"refused{n}@{world.a.pk}.example",
                first_name="Refused",
                last_name=str(n),
                year_group="7",
                parental_consent=True,
            ).pk
            for n in range(2)
        ]
    links = []
    for school in (world.a, world.b):
        with school_scope(school):
            links += list(GuardianLink.objects.values_list("pk", flat=True))
    # School A's current year, with its phase set so that the rollover is reached (ROS-1).
    years = [world.class_7a.academic_year_id, world.class_b1.academic_year_id, 0]
    world.a.phase = "secondary"
    world.a.save(update_fields=["phase"])
    # School A's tracking set-up first: the markbook's drop then takes its Maths subject.
    tracked = _tracking_ids(world)
    # 7A's markbook: an assignment and a drop with its fields (ASM-3, ASM-4).
    from tests.factories import markbook_assignment, markbook_drop

    assignment = markbook_assignment(world.class_7a).pk
    drop = markbook_drop(world.class_7a, name="7A grid drop")
    with school_scope(world.a):
        fields = list(drop.fields.values_list("pk", flat=True))
    from markbook.assessment.services import assignment_create

    with school_scope(world.a):
        quizzes = [
            assignment_create(actor=None, teaching_class=world.class_7a, title=t, max_mark=10).pk
            for t in ("Quiz", "Test", "Essay")
        ]
    rights = _rights_ids(world)
    # School A's register and consent purposes (CON-1, CON-4).
    from tests.factories import consent_world

    consent = consent_world(world)
    return {
        "entry_id": [consent["service"].pk, consent["service"].pk, 0],
        "purpose_id": [consent["purpose"].pk, 0],
        "target": [f"service-{consent['service'].pk}", f"purpose-{consent['purpose'].pk}", "x-0"],
        "assignment_id": [assignment, *quizzes, 0],
        "drop_id": [drop.pk, drop.pk, 0],
        "field_id": [*fields, 0],
        "school_id": [world.a.pk, world.a.pk, world.a.pk, world.b.pk],
        "pupil_id": [world.amy.pk, world.ben.pk, world.cal.pk, world.dee.pk, 0],
        "class_id": [world.class_7a.pk, world.class_7b.pk, world.class_b1.pk, 0],
        "user_id": [world.teacher.pk, world.colleague.pk, world.parent.pk, world.other_teacher.pk],
        "token_id": [spare.pk, 0],
        "job_id": [jobs[0], jobs[2], jobs[2], jobs[1], 0],
        "request_id": [*requests, 0],
        "request_id /refuse": [*to_refuse, requests[-1], 0],
        "job_id /cancel": [to_cancel, jobs[0], 0],
        "link_id": [*links, 0],
        # (class, pupil) enrolled, for moving a pupil out of their class.
        "enrolled": [(world.class_7a.pk, world.amy.pk), (world.class_7b.pk, world.cal.pk)],
        "year_id": [years[0], years[0], years[1], years[2]],
        # The markbook's drop (7A's, with fields) serves the tracking operations too.
        **{k: v for k, v in tracked.items() if k != "drop_id"},
        **rights,
        # Restrictions and notices of a changed privacy notice (DSR-5, DSR-10).
        **_privacy_ids(world),
        "breach_id": [_breach_id(world), 0],
        "grant_id": [_grant_id(world), 0],
        **_practice_ids(world),
        # A teacher's practice set with its questions and a picture (ASM-2); its set
        # ids replace the built-in sets' for the teachers' operations.
        **_teacher_practice_ids(world),
    }


def _teacher_practice_ids(world: World) -> dict[str, list[int]]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from markbook.practice.media import media_upload
    from markbook.practice.models import Question
    from tests.practice.helpers import PNG, teacher_set

    made = teacher_set(world, title="Fuzzed fractions")
    with school_scope(world.a):
        questions = list(Question.objects.filter(question_set=made).values_list("pk", flat=True))
        picture = media_upload(
            actor=world.teacher, school=world.a, upload=SimpleUploadedFile("p.png", PNG)
        )
    # A set of its own for the explicit reorder, which must name every question once.
    ordered = teacher_set(world, title="Fuzz order")
    with school_scope(world.a):
        order = list(
            Question.objects.filter(question_set=ordered)
            .order_by("-position")
            .values_list("pk", flat=True)
        )
    return {
        "set_id": [made.pk, made.pk, 0],
        "question_id": [*questions, 0],
        "media_id": [picture.pk, 0],
        "set_id /order": [ordered.pk],
        "order": order,
    }


def _grant_id(world: World) -> int:
    """A live support grant of School A's roster (TEN-6)."""
    from markbook.support.services import support_grant_create

    with school_scope(world.a):
        return support_grant_create(
            actor=world.admin,
            school=world.a,
            staff_email=world.platform_staff.email,
            reason="Fuzz",
            scope="read",
            areas=["roster"],
            expires_at=timezone.now() + dt.timedelta(days=1),
        ).pk


def _breach_id(world: World) -> int:
    """A breach affecting School A (SEC-3)."""
    from django.utils import timezone

    from markbook.breaches import services

    breach = services.breach_record(
        actor=world.platform_staff,
        title="Fuzz",
        detected_at=timezone.now(),
        description="For the fuzz.",
        data_categories=["identity"],
        risk="high",
    )
    services.breach_school_add(actor=world.platform_staff, breach=breach, school=world.a)
    return breach.pk


def _practice_ids(world: World) -> dict[str, list[int]]:
    """Both schools' built-in practice sets, and Amy's and Dee's attempts (ASM-2): the
    token's administrator is turned away from a pupil's own, as it must be."""
    from markbook.practice import answering, banks
    from markbook.practice.models import QuestionSet

    sets, attempts = [], []
    for school, pupil in ((world.a, world.amy), (world.b, world.dee)):
        with school_scope(school):
            banks.builtin_sets_ensure(school=school)
            first = QuestionSet.objects.order_by("pk").first()
            assert first is not None
            sets.append(first.pk)
            attempts.append(answering.attempt_start(pupil=pupil, question_set=first).pk)
    return {"set_id": [*sets, 0], "attempt_id": [*attempts, 0]}


def _suspended(world: World):  # type: ignore[no-untyped-def]
    from markbook.practice.models import Standing

    with school_scope(world.a):
        Standing.objects.update_or_create(
            school=world.a, pupil=world.amy, defaults={"suspended": True, "warnings": 3}
        )
    return world.amy


def _rights_ids(world: World) -> dict[str, list[int]]:
    """Data-subject requests (DSR-6, DSR-9): the administrator is also the school's
    data protection lead here, with a request at each stage and a term to delete."""
    from markbook.accounts.models import Membership
    from markbook.rights import services as rights
    from markbook.rights.models import SchoolCalendarPeriod

    with school_scope(world.a):
        Membership.objects.create(school=world.a, user=world.admin, role="dpo")
        made = []
        for kind in ("access", "rectification", "erasure"):
            r = rights.data_request_create(
                actor=world.parent,
                school=world.a,
                kind=kind,
                subject_pupil=world.amy,
                requester_kind="parent",
                requester_user=world.parent,
                channel="own_page",
            )
            made.append(r.pk)
            if kind != "access":
                rights.data_request_check_identity(
                    actor=world.admin, data_request=r, method="signed_in"
                )
            if kind == "rectification":
                rights.data_request_approve(actor=world.admin, data_request=r)
        term = SchoolCalendarPeriod.objects.create(
            school=world.a, kind="term", name="Autumn", start="2025-09-03", end="2025-12-18"
        )
    return {"data_request_id": [*made, 0], "period_id": [term.pk, 0]}


def _rights_explicit(world: World) -> dict[str, tuple[dict, dict | None, dict | None]]:  # type: ignore[type-arg]
    """Each request action once on a request at the stage it needs (DSR-6, DSR-9)."""
    from markbook.rights import services as rights
    from markbook.rights.models import DataRequest

    R = "/api/schools/{school_id}/data-requests"
    at: dict[str, int] = {}
    with school_scope(world.a):
        for action in ("identity-check", "approve", "refuse", "extend", "complete", "retry"):
            r = rights.data_request_create(
                actor=world.parent,
                school=world.a,
                kind="rectification" if action == "complete" else "access",
                subject_pupil=world.amy,
                requester_kind="parent",
                requester_user=world.parent,
                channel="own_page",
            )
            at[action] = r.pk
            if action in ("approve", "complete"):
                rights.data_request_check_identity(
                    actor=world.admin, data_request=r, method="signed_in"
                )
            if action == "complete":
                rights.data_request_approve(actor=world.admin, data_request=r)
            if action == "retry":
                DataRequest.objects.filter(pk=r.pk).update(stage="failed", attempt=1)
    bodies: dict[str, dict | None] = {  # type: ignore[type-arg]
        "identity-check": {"method": "signed_in"},
        "approve": {},
        "refuse": {"reason": "Unfounded"},
        "extend": {"reason": "Complex"},
        "complete": {"note": "Done by hand"},
        "retry": None,
    }
    return {
        **{
            f"POST {R}/{{data_request_id}}/{action}": (
                {"data_request_id": pk},
                bodies[action],
                None,
            )
            for action, pk in at.items()
        },
        f"POST {R}": ({}, {"kind": "access"}, None),
        "DELETE /api/schools/{school_id}/data-protection-leads/{user_id}": (
            {"user_id": world.teacher.pk},
            None,
            None,
        ),
        # Last year's closure: England's pattern for this year is refused once the school
        # has dates for it.
        "POST /api/schools/{school_id}/term-dates/england-default": ({}, None, None),
        "POST /api/schools/{school_id}/term-dates": (
            {},
            {"kind": "closure", "name": "Inset", "start": "2025-11-03", "end": "2025-11-03"},
            None,
        ),
    }


def _privacy_ids(world: World) -> dict[str, list[int]]:
    """A restriction on Cal and a notice for School A, so their operations are reached."""
    from django.utils import timezone

    from markbook.privacy.models import NoticeAlert
    from markbook.privacy.notices import notice_publish
    from markbook.privacy.services import restriction_place

    version = notice_publish(notify=False).version
    with school_scope(world.a):
        placed = restriction_place(
            school=world.a, subject=world.cal, kind="restriction", reason="Fuzz", by=None
        )
        alert = NoticeAlert.objects.create(
            school=world.a, version=version, created_at=timezone.now()
        )
        # A ready copy of Ben's data the administrator (the lead here) asked for, and a
        # legal hold on Cal (DSR-2, RET-3).
        from markbook.privacy.export.services import export_run, export_start
        from markbook.privacy.services import legal_hold_place

        made = export_start(
            school=world.a, requested_by=world.admin, pupil=world.ben, enqueue=False
        )
        export_run(made.pk)
        # A correction of the parent's record, for the school to pass on (DSR-10).
        from markbook.privacy.services import rectify

        rectify(
            school=world.a, subject=world.parent, field="first_name", new_value="Patricia", by=None
        )
        hold = legal_hold_place(
            actor=world.admin, school=world.a, subject=world.cal, reason="A claim"
        )
    return {
        "restriction_id": [placed.pk, placed.pk, 0],
        "alert_id": [alert.pk, alert.pk, 0],
        "export_id": [made.pk, made.pk, 0],
        "hold_id": [hold.pk, 0],
    }


def _tracking_ids(world: World) -> dict[str, list[int]]:
    """School A's tracking set-up (ASM-4), so its operations are reached too."""
    from tests.factories import tracking_world

    made = tracking_world(world)
    with school_scope(world.a):
        grade = made["scale"].grades.order_by("rank").first()
        bands = list(Band.objects.order_by("rank").values_list("pk", flat=True)[:2])
    return {
        "band_id": [*bands, 0],
        "scale_id": [made["scale"].pk, 0],
        "subject_id": [made["subject"].pk, 0],
        "drop_id": [made["drop"].pk, made["drop"].pk, 0],
        "grade_id": [grade.pk if grade else 0, 0],
    }


def _files(world: World) -> list[bytes]:
    """Valid uploads for the import operations (an MIS CSV, School A's OneRoster
    export, a class list), so that they are reached beyond their file checks;
    generated bytes too."""
    with school_scope(world.a):
        oneroster = oneroster_export(actor=world.admin, school=world.a)
    return [
        b"Surname,Forename,Admission No,Year\nEvans,Eve,A1,7\n",
        oneroster,
        b"class,first name,last name\n7A Maths,Eve,Evans\n",
    ]


def _order(operation) -> tuple[bool, bool, int]:  # type: ignore[no-untyped-def]
    """Deletions last, links before the objects they link, so earlier operations still
    find the world's objects; ending the year (which archives the classes) after all."""
    ends_year = operation.method.upper() == "POST" and operation.path.endswith("/rollover")
    return (ends_year, operation.method.upper() == "DELETE", -operation.path.count("{"))


def _fuzz(  # type: ignore[no-untyped-def]
    operation, mode, ids: dict, headers: dict, statuses: dict, files: list, examples: int = EXAMPLES
) -> None:
    params = [p for p in ids if "{" + p + "}" in operation.path]

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def check(case, data):  # type: ignore[no-untyped-def]
        for name in params:
            own = f"{name} /{operation.path.rsplit('/', 1)[-1]}"
            choices = ids.get(own, ids[name])
            case.path_parameters[name] = data.draw(st.sampled_from(choices), label=name)
        # The stalled job's attempt, often: retry and cancel then reach their service.
        seen = isinstance(case.body, dict) and "attempt" in case.body
        if seen and data.draw(st.booleans(), label="attempt seen"):
            case.body["attempt"] = 1
        # A real class to move to, and a new address for staff and parents, often: the
        # move, the staff and the parent links then reach their services (ROS-1).
        real = {"to_class": ids["class_id"], "parent_email": NEW}
        if operation.path.endswith("/staff"):
            real["email"] = NEW
        for key in sorted(
            real.keys() & (case.body.keys() if isinstance(case.body, dict) else set())
        ):
            if data.draw(st.booleans(), label=f"real {key}"):
                case.body[key] = data.draw(st.sampled_from(real[key]), label=key)
                if key == "to_class":
                    pair = data.draw(st.sampled_from(ids["enrolled"]), label="enrolled")
                    case.path_parameters["class_id"], case.path_parameters["pupil_id"] = pair
        # A name, often: a new pupil needs one (or a pseudonym), which generated bodies
        # rarely hold, so that the create is reached and not only its checks.
        named = operation.label == "POST /api/schools/{school_id}/pupils"
        if named and isinstance(case.body, dict) and data.draw(st.booleans(), label="named"):
            case.body.update(first_name="Eve", last_name="Evans")
        # Only an upload's "file": a generated JSON body may hold a key of that name too.
        if case.media_type == "multipart/form-data" and isinstance(case.body, dict):
            # A practice question's picture for its upload (ASM-2); the imports' files
            # for the others.
            own_files = [PNG] if operation.path.endswith("/practice/media") else files
            upload = data.draw(st.sampled_from([None, *own_files]), label="file")
            if upload is not None:
                case.body["file"] = upload
                # Often only the file, as a person uploading sends it: generated values
                # of the other fields would be refused before the import is reached.
                if data.draw(st.booleans(), label="only the file"):
                    case.body = {"file": upload}
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        statuses.setdefault(operation.label, set()).add(response.status_code)

    check()


@pytest.fixture
def keep_connection():  # type: ignore[no-untyped-def]
    """A bare WSGIHandler closes the database connection after each request, which on
    PostgreSQL would end the test's transaction; Django's test client avoids this the
    same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("keep_connection")
def test_no_api_operation_answers_a_server_error(world: World):
    _, secret = api_token_create(user=world.admin, name="schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    ids = _ids(world)
    files = _files(world)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    statuses: dict[str, set[int]] = {}
    # Each import once with its own valid file alone, as a person uploads it, before the
    # fuzz changes the world, so that reaching it does not hang on what hypothesis draws.
    mis, oneroster, classlist = files
    for operation in operations:
        kind = operation.path.rsplit("/", 1)[-1]
        upload = {"mis": mis, "oneroster": oneroster, "class-list": classlist}.get(kind)
        if upload is None or operation.method.upper() != "POST":
            continue
        case = operation.Case(
            path_parameters={"school_id": world.a.pk},
            body={"file": upload},
            media_type="multipart/form-data",
        )
        response = case.call(headers=headers)
        assert response.status_code == 200, (operation.label, response.content[:300])
        statuses.setdefault(operation.label, set()).add(response.status_code)
    # Operations whose valid bodies hypothesis rarely draws, each once with one, before
    # the fuzz: they must answer 2xx (ASM-1, ASM-4).
    with school_scope(world.a):
        spare = assignment_create(
            actor=None, teaching_class=world.class_7a, title="Spare", max_mark=5
        ).pk
        # A subject no assignment uses (Maths is 7A's, whose assignments use it).
        spare_subject = subject_create(
            actor=None,
            school=world.a,
            name="Spare subject",
            scale=GradeScale.objects.get(name="GCSE 9-1"),
        ).pk
    from tests.factories import consent_world

    explicit = {
        # The maximum mark may be left out for a practice set (ASM-2), so generated
        # bodies seldom hold a valid assignment: one is sent as a teacher would.
        "POST /api/schools/{school_id}/classes/{class_id}/assignments": (
            {"class_id": world.class_7a.pk},
            {"title": "Fractions test", "max_mark": 20},
            None,
        ),
        "POST /api/schools/{school_id}/tracking/scales": (
            {},
            {"name": "Effort check", "grades": [{"label": "Low"}, {"label": "High"}]},
            None,
        ),
        "POST /api/schools/{school_id}/tracking/subjects": (
            {},
            {"name": "Geography", "scale": "GCSE 9-1"},
            None,
        ),
        "DELETE /api/schools/{school_id}/assignments/{assignment_id}": (
            {"assignment_id": spare},
            None,
            {"confirm": "true"},
        ),
        **_rights_explicit(world),
        # Tracking (ASM-4): a whole KS2 table of the school's own scale, and a subject
        # deleted with the confirmation that data would need.
        "PUT /api/schools/{school_id}/tracking/scales/{scale_id}/target-rules": (
            {"scale_id": ids["scale_id"][0]},
            {"rules": [{"ks2_minimum": 95, "grade": "Secure"}]},
            None,
        ),
        "DELETE /api/schools/{school_id}/tracking/subjects/{subject_id}": (
            {"subject_id": spare_subject},
            None,
            {"confirm": "true"},
        ),
        # Amy's target in Maths, a grade of its scale (generated grades rarely are one).
        "PUT /api/schools/{school_id}/tracking/subjects/{subject_id}/targets/{pupil_id}": (
            {"subject_id": ids["subject_id"][0], "pupil_id": world.amy.pk},
            {"grade": "6"},
            None,
        ),
        # The whole-school analysis as first opened: generated drop ids are never real.
        "GET /api/schools/{school_id}/analysis": ({}, None, None),
        "GET /api/schools/{school_id}/analysis/csv": ({}, None, None),
        # A copy of Amy's data and a legal hold on Ben (DSR-2, RET-3).
        "POST /api/schools/{school_id}/data-exports": ({}, {"pupil_id": world.amy.pk}, None),
        "POST /api/schools/{school_id}/privacy/holds": (
            {},
            {"pupil_id": world.ben.pk, "reason": "A claim against the school."},
            None,
        ),
        # A school's shorter period for pupils who have left, and back (RET-2).
        "PUT /api/schools/{school_id}/privacy/retention/{key}": (
            {"key": "pupils_left"},
            {"days": 90},
            None,
        ),
        "DELETE /api/schools/{school_id}/privacy/retention/{key}": (
            {"key": "pupils_left"},
            None,
            None,
        ),
        # The parent's correction passed on to the register's service (DSR-10).
        "POST /api/schools/{school_id}/people/{user_id}/corrections/services/{entry_id}/told": (
            {"user_id": world.parent.pk, "entry_id": consent_world(world)["service"].pk},
            {"note": "Emailed them."},
            None,
        ),
        # A new pupil (ROS-1): a body hypothesis rarely draws whole.
        "POST /api/schools/{school_id}/pupils": (
            {},
            {"first_name": "Fuzz", "last_name": "Pupil", "year_group": "7"},
            None,
        ),
        # Support access for the platform's staff member (TEN-6).
        "POST /api/schools/{school_id}/support-grants": (
            {},
            {
                "staff_email": world.platform_staff.email,
                "reason": "Ticket 1",
                "scope": "read",
                "areas": ["roster"],
                "expires_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
            },
            None,
        ),
        # Amy's practice suspended for fair use, reinstated (ASM-7).
        "POST /api/schools/{school_id}/practice/pupils/{pupil_id}/reinstate": (
            {"pupil_id": _suspended(world).pk},
            {"reason": "Spoke to her about it."},
            None,
        ),
        # Restrictions and corrections (DSR-3, DSR-5).
        "POST /api/schools/{school_id}/restrictions": (
            {},
            {"pupil_id": world.ben.pk, "reason": "Accuracy contested."},
            None,
        ),
        "POST /api/schools/{school_id}/pupils/{pupil_id}/corrections": (
            {"pupil_id": world.amy.pk},
            {"field": "last_name", "value": "Adamson"},
            None,
        ),
        "POST /api/schools/{school_id}/people/{user_id}/corrections": (
            {"user_id": world.parent.pk},
            {"field": "first_name", "value": "Pat"},
            None,
        ),
        # A teacher's practice set and a question in it (ASM-2).
        "POST /api/schools/{school_id}/practice/sets": ({}, {"title": "Fuzz warm-up"}, None),
        "PUT /api/schools/{school_id}/practice/sets/{set_id}/questions/order": (
            {"set_id": ids["set_id /order"][0]},
            {"order": ids["order"]},
            None,
        ),
        "POST /api/schools/{school_id}/practice/sets/{set_id}/questions": (
            {"set_id": ids["set_id"][0]},
            {"kind": "numeric", "prompt": "6 x 7", "answer": "42"},
            None,
        ),
    }
    for operation in operations:
        if operation.label not in explicit:
            continue
        path, body, query = explicit[operation.label]
        case = operation.Case(
            path_parameters={"school_id": world.a.pk, **path},
            **({"body": body, "media_type": "application/json"} if body is not None else {}),
            **({"query": query} if query else {}),
        )
        response = case.call(headers=headers)
        assert 200 <= response.status_code < 300, (operation.label, response.content[:300])
        statuses.setdefault(operation.label, set()).add(response.status_code)
    # The emergency suspension is not fuzzed: suspending the school would end the very
    # token the run uses (tests/schools/test_suspension.py drives those operations).
    unfuzzed = [op for op in operations if "/suspension" in op.path]
    for operation in sorted(operations, key=_order):
        if operation in unfuzzed:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, ids, headers, statuses, files)
    # The run must have reached the operations, not only been turned away.
    assert all(statuses.get(op.label) for op in operations if op not in unfuzzed)
    # 409: a markbook cell written on a version other than the stored one, also an answer
    # from the operation itself (ASM-3).
    reached = {label for label, codes in statuses.items() if codes & {200, 201, 202, 204, 409}}
    # The token is a school administrator's: a pupil's own results and the trust's
    # operations are other roles' (the permission matrix reaches them).
    # A parent's own children's consent is a parent's (CON-2).
    others = [
        op
        for op in operations
        if "/me/results" in op.path
        or "/trusts/" in op.path
        or "/consent/children" in op.path
        # A pupil's own request to delete their account, and their teachers' list (DSR-7).
        or "/deletion-request" in op.path
        # The breach register and the list of schools are platform staff's (SEC-3,
        # TEN-1): test_no_platform_operation_answers_a_server_error fuzzes them.
        or op.path.startswith(PLATFORM)
        # A pupil's own practice (ASM-2).
        or "/practice/my-sets" in op.path
        or op.path.endswith("/attempts")
        or "/practice/attempts" in op.path
        or op in unfuzzed
        # Tokens are made from a signed-in session, never with a token (ACC-2).
        or (op.method.upper() == "POST" and op.path == "/api/me/tokens")
    ]
    assert len(reached) >= len(operations) - 3 - len(others), "\n".join(
        sorted(set(statuses) - reached)
    )
    never_422 = [
        op.label
        for op in operations
        if op.method.upper() in ("POST", "PATCH")
        and 422 not in statuses.get(op.label, set())
        # Not the other roles' operations, nor those with no body to get wrong.
        and op not in others
        and len(op.body) > 0
    ]
    assert never_422 == []


@pytest.mark.usefixtures("keep_connection")
def test_no_platform_operation_answers_a_server_error(world: World):
    """The breach register's and the list of schools' operations (SEC-3, TEN-1, RET-5)
    as platform staff holding a token: never a server error, and each reached. School
    B, ended, is deleted once with its real plan first; the fuzz then meets a deleted
    school, School A (live) and ids that do not exist."""
    from markbook.schools.deletion import school_deletion_plan
    from markbook.schools.lifecycle import school_status_change

    _, secret = api_token_create(user=world.platform_staff, name="schemathesis")
    headers = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.path.startswith(PLATFORM)
    ]
    assert len(operations) >= 10
    school_status_change(actor=world.platform_staff, school=world.b, status="ended", reason="Fuzz")
    plan = school_deletion_plan(world.b)
    statuses: dict[str, set[int]] = {}
    (deletion,) = [
        op for op in operations if op.method.upper() == "POST" and op.path.endswith("/deletion")
    ]
    case = deletion.Case(
        path_parameters={"platform_school_id": world.b.pk},
        body={"plan": plan.fingerprint, "reason": "The school asked"},
        media_type="application/json",
    )
    response = case.call(headers=headers)
    assert response.status_code == 200, response.content[:300]
    statuses.setdefault(deletion.label, set()).add(response.status_code)
    breach = _breach_id(world)
    ids = {
        "breach_id": [breach, 0],
        "platform_school_id": [world.a.pk, world.b.pk, 0],
        "class_id": [],  # no platform operation moves a pupil (see _fuzz)
    }
    # Bodies hypothesis rarely draws valid, each once: they must answer 200.
    explicit = {
        "POST /api/platform/schools/{platform_school_id}/status": (
            {"platform_school_id": world.a.pk},
            {"status": "suspended", "reason": "Unpaid"},
        ),
        "POST /api/breaches/{breach_id}/schools": (
            {"breach_id": breach},
            {"school_id": world.a.pk},
        ),
        "POST /api/breaches/{breach_id}/report": (
            {"breach_id": breach},
            {"not_reported_reason": "The data was encrypted."},
        ),
    }
    for operation in operations:
        if operation.label not in explicit:
            continue
        path, body = explicit[operation.label]
        case = operation.Case(path_parameters=path, body=body, media_type="application/json")
        response = case.call(headers=headers)
        assert response.status_code == 200, (operation.label, response.content[:300])
        statuses.setdefault(operation.label, set()).add(response.status_code)
    for operation in sorted(operations, key=_order):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, ids, headers, statuses, [], examples=8)
    reached = {label for label, codes in statuses.items() if codes & {200, 201, 409}}
    assert reached == {op.label for op in operations}, sorted(
        {op.label for op in operations} - reached
    )
