"""The permission matrix (TEN-3, TEN-4): every URL pattern and every API operation,
for each role of the fixed world and for users of another school.

Two guarantees: a route that is not in the tables below fails
`test_every_route_is_in_the_matrix`, and each (route, role) pair is requested and
must answer exactly the status in the table. Another school's users, and platform
staff without a grant, get 404 (existence never leaks) on every school route.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import ROLES

SCHOOL_A = ("pupil", "parent", "teacher", "colleague", "admin", "trust_admin")
OUTSIDERS = ("other_teacher", "other_admin", "platform_staff")


def only(*allowed: str, ok: int = 200, denied: int = 404, anonymous: int = 302) -> dict[str, int]:
    """Status per role: `ok` for the allowed roles, `denied` for the others."""
    table = {role: (ok if role in allowed else denied) for role in ROLES}
    table["anonymous"] = anonymous
    return table


@dataclass(frozen=True)
class Route:
    expect: dict[str, int]
    method: str = "get"
    # The body, or a function of the world giving it (for ids, which differ per test).
    data: dict | Callable = field(default_factory=dict)
    upload: str = ""  # an API operation taking a file: "mis" or "oneroster" (see _upload)


# Routes from django-allauth: sign-in machinery, no school data. Each role must get
# an answer that is not a server error; they are listed so a new one is noticed.
ALLAUTH = "allauth"

PAGES: dict[str, Route | str] = {
    "dashboard": Route({**{r: 302 for r in ROLES}, "colleague": 302, "platform_staff": 200}),
    "accounts:profile": Route({**{r: 200 for r in ROLES}, "anonymous": 302}),
    # Everyone's own display preferences (ACC-7): saved, then back to the account page.
    "accounts:display": Route({r: 302 for r in ROLES}, method="post", data={"text_size": "large"}),
    "accounts:help_read": Route(
        {r: 302 for r in ROLES}, method="post", data={"help": "api-tokens"}
    ),
    "schools:home": Route(only(*SCHOOL_A)),
    "schools:terms": Route(only(*SCHOOL_A)),
    "schools:settings": Route(only("admin")),
    "trust:home": Route(only("trust_admin")),
    "rosters:pupils": Route(only("admin", "trust_admin")),
    # Amy: herself, her parent, her teacher (7A), admins; not the colleague (7B).
    "rosters:pupil_detail": Route(only("pupil", "parent", "teacher", "admin", "trust_admin")),
    "rosters:classes": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "rosters:class_detail": Route(only("teacher", "admin", "trust_admin")),
    "rosters:teachers": Route(only("admin", "trust_admin")),
    "rosters:pupil_new": Route(only("admin", "trust_admin")),
    "rosters:pupil_edit": Route(only("admin", "trust_admin")),
    # DSR-7: a teacher removes the pupils of their classes (Amy, 7A); administrators any.
    "rosters:pupil_delete": Route(only("teacher", "admin", "trust_admin")),
    "rosters:pupil_parents": Route(only("admin", "trust_admin", ok=405)),
    "rosters:me": Route(only("pupil", ok=302)),
    "rosters:class_new": Route(only("admin", "trust_admin")),
    "rosters:class_edit": Route(only("admin", "trust_admin")),
    "rosters:class_delete": Route(only("admin", "trust_admin")),
    "rosters:class_teachers": Route(only("admin", "trust_admin", ok=405)),
    "rosters:class_pupils": Route(only("admin", "trust_admin", ok=405)),
    # The confirm page (POST issues the codes): the class's teacher and school
    # administrators, as for one pupil's new sign-in code (ACC-2).
    "rosters:class_signin_cards": Route(only("teacher", "admin")),
    "rosters:years": Route(only("admin", "trust_admin")),
    # The preview of ending School A's current year; nothing is written.
    "rosters:year_rollover": Route(only("admin", "trust_admin")),
    "rosters:staff_edit": Route(only("admin", "trust_admin")),
    "rosters:staff_remove": Route(only("admin", "trust_admin")),
    # --- DSR-7 deletions: staff, the whole roster; a pupil asks, their teachers answer.
    # The impact pages (GET): administrators; the pupil's own ask page; the teacher's
    # list of Amy's request (7A) and passing it to the lead (the colleague has none).
    "rosters:staff_delete": Route(only("admin", "trust_admin")),
    "rosters:roster_delete": Route(only("admin", "trust_admin")),
    "rosters:me_delete_ask": Route(only("pupil")),
    "rosters:deletion_requests": Route(only("teacher", "colleague")),
    "rosters:deletion_request_pass": Route(only("teacher", ok=302), method="post"),
    # --- end DSR-7 deletions
    "rosters:classlist_upload": Route(only("admin", "trust_admin")),
    "rosters:oneroster": Route(only("admin", "trust_admin")),
    "rosters:oneroster_export": Route(only("admin", "trust_admin")),
    "rosters:mis_upload": Route(only("admin", "trust_admin")),
    "rosters:import_job": Route(only("admin", "trust_admin")),
    # A stalled job of School A (see _import_job): retried or cancelled, then its page.
    "rosters:import_job_retry": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"attempt": 1}
    ),
    "rosters:import_job_cancel": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"attempt": 1}
    ),
    # Tracking (ASM-4): the school's set-up is its administrators'; drops and their
    # completion all its staff's; a class's targets its teachers' and administrators'.
    "tracking:home": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "tracking:subjects": Route(only("admin", "trust_admin")),
    "tracking:subject_autolink": Route(only("admin", "trust_admin")),
    "tracking:subject_edit": Route(only("admin", "trust_admin")),
    "tracking:subject_classes": Route(only("admin", "trust_admin")),
    # Deleting says first what goes with it (a GET page), then deletes on the POST.
    "tracking:subject_delete": Route(only("admin", "trust_admin")),
    "tracking:scales": Route(only("admin", "trust_admin")),
    "tracking:scale_new": Route(only("admin", "trust_admin")),
    "tracking:scale_edit": Route(only("admin", "trust_admin")),
    "tracking:scale_delete": Route(only("admin", "trust_admin", ok=405)),
    "tracking:target_rules": Route(only("admin", "trust_admin")),
    "tracking:bands": Route(only("admin", "trust_admin")),
    "tracking:drops": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "tracking:drop_new": Route(only("admin", "trust_admin")),
    "tracking:drop_completion": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "tracking:drop_edit": Route(only("admin", "trust_admin")),
    "tracking:drop_lock": Route(only("admin", "trust_admin", ok=405)),
    "tracking:drop_delete": Route(only("admin", "trust_admin")),
    "tracking:targets_import": Route(only("admin", "trust_admin")),
    "tracking:targets_from_ks2": Route(only("admin", "trust_admin", ok=405)),
    # 7A: its teacher and the administrators; not the colleague (7B).
    "tracking:class_targets": Route(only("teacher", "admin", "trust_admin")),
    "audit:log": Route(only("admin")),
    # The markbook grid (ASM-3) and drop entry (ASM-4): the class's teacher, administrators.
    "markbook:class_marks": Route(only("teacher", "admin", "trust_admin")),
    "markbook:class_drop": Route(only("teacher", "admin", "trust_admin")),
    # Analysis (ASM-5): staff; a teacher their own classes (TEN-3). No drop in the
    # fixed world, so the pupils behind the whole-school figure are none, but allowed.
    "analysis:report": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "analysis:csv": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "analysis:pdf": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "analysis:pupils": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "trust_analysis:report": Route(only("trust_admin")),
    # Public: the privacy notice generated from the data inventory (DSR-1).
    "privacy:notice": Route({r: 200 for r in ROLES}),
    # Public: the health check, with nothing about a school or person; 503 here, as the
    # fixed world has no scheduler or worker running (tests/core/test_health.py).
    "health": Route({r: 503 for r in ROLES}),
    # Public, reached through the school's secret address (ACC-2).
    "pupil_signin": Route({r: 200 for r in ROLES}),
    # Public: the main sign-in page's "find your school" box (ACC-2); lists no school.
    "pupil_school_find": Route({r: 200 for r in ROLES}),
    "pupil_signin_code_entry": Route({r: 200 for r in ROLES}),
    # Public: a school's registration page, reached through its sign-in address (ACC-4).
    "staff_register": Route({r: 200 for r in ROLES}),
    # The link sent to an in-domain teacher (ACC-4); a forged token is refused.
    "staff_register_confirm": Route({r: 400 for r in ROLES}),
    # No Google or Microsoft configured here: the provider is unknown to everyone.
    "staff_register_sso": Route({r: 404 for r in ROLES}, method="post"),
    # A pending request to join: school administrators (and the trust's) answer it.
    "school_accounts:registration_decide": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"decision": "refuse"}
    ),
    # Without a checked code in the session: back to the code entry page.
    "pupil_signin_set_password": Route({r: 302 for r in ROLES}),
    # Amy's teacher (7A) and the school administrator; not the colleague or trust admin.
    "school_accounts:pupil_signin_code": Route(only("teacher", "admin"), method="post"),
    "api:openapi-json": Route({r: 200 for r in ROLES}),
    "api:openapi-view": Route({r: 200 for r in ROLES}),
    # Assignments (ASM-1): staff see their list; work for 7A is its teacher's and the
    # administrators' (the colleague teaches 7B: 404). assignment_id is one of 7A's.
    "assessment:assignments": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "assessment:assignment_new": Route(only("teacher", "admin", "trust_admin")),
    "assessment:assignment_detail": Route(only("teacher", "admin", "trust_admin")),
    "assessment:assignment_edit": Route(only("teacher", "admin", "trust_admin")),
    "assessment:assignment_delete": Route(only("teacher", "admin", "trust_admin")),
    # Results (ASM-3, TEN-3): a pupil's own; Amy's for her, her parent, her teacher, admins.
    "assessment:my_results": Route(only("pupil")),
    "assessment:pupil_results": Route(only("pupil", "parent", "teacher", "admin", "trust_admin")),
    "schools:family_settings": Route(only("admin")),
    # Emergency suspension (ACC-6): the school's own administrators only.
    "schools:suspension": Route(only("admin")),
    # A trust's assignments: the trust's administrators only.
    "trust_assessment:assignments": Route(only("trust_admin")),
    "trust_assessment:assignment_new": Route(only("trust_admin")),
    "trust_assessment:assignment_edit": Route(only("trust_admin")),
    # Data-subject requests (DSR-6, DSR-8, DSR-9). For these rows the colleague is School
    # A's data protection lead (see _rights_world); the request is the parent's about Amy.
    "rights:mine": Route(only(*SCHOOL_A)),
    "rights:new": Route(only(*SCHOOL_A)),
    "rights:record": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "rights:queue": Route(only("colleague")),
    # The requester (parent), the subject (Amy) and the lead; not other staff.
    "rights:detail": Route(only("pupil", "parent", "colleague")),
    "rights:identity": Route(only("colleague", ok=302), "post", {"method": "signed_in"}),
    "rights:approve": Route(only("colleague", ok=302), "post", {"note": ""}),
    "rights:refuse": Route(only("colleague", ok=302), "post", {"reason": "Unfounded"}),
    "rights:extend": Route(only("colleague", ok=302), "post", {"reason": "Complex"}),
    "rights:complete": Route(only("colleague", ok=302), "post", {"note": "Done by hand"}),
    "rights:retry": Route(only("colleague", ok=302), "post"),
    "rights:leads": Route(only("admin", "trust_admin")),
    "rights:calendar": Route(only("admin", "trust_admin", "colleague")),
    # --- Passing a change on to the register's services (DSR-10, "records when it
    # did"): the lead marks a service told of a done request (a rectification done by
    # hand); the restriction's and corrections' managers of theirs. Amy has no
    # correction in the fixed world: marking one told is refused (back, with why).
    "rights:told": Route(only("colleague", ok=302), "post", {"note": ""}),
    "school_privacy:restriction_told": Route(only("admin", "trust_admin", ok=302), "post"),
    "school_privacy:pupil_corrections_told": Route(only("admin", "trust_admin", ok=302), "post"),
    "school_privacy:user_corrections_told": Route(only("admin", "trust_admin", ok=302), "post"),
    # --- end of passing a change on.
    # --- A paper consent form recorded on a parent's behalf (CON-2): the class's
    # teacher (7A: Amy's) and administrators.
    "consent:class_paper": Route(
        only("teacher", "admin", "trust_admin", ok=302),
        method="post",
        data=lambda world: {
            "for": _consent(world)["target"],
            "pupil": world.amy.pk,
            "answer": "given",
            "parent_name": "Anne Adams",
        },
    ),
    # --- end of paper consent forms.
    # The service register and consent (CON-1 to CON-4): the register and purposes are
    # kept by administrators (and the data protection lead); a class's consent is its
    # teacher's too; the published register every member's; a parent answers for their
    # own children (Amy). entry_id, purpose_id and target: see _consent.
    "consent:register": Route(only("admin", "trust_admin")),
    "consent:service_new": Route(only("admin", "trust_admin")),
    "consent:service_edit": Route(only("admin", "trust_admin")),
    "consent:service_delete": Route(only("admin", "trust_admin")),
    "consent:purposes": Route(only("admin", "trust_admin")),
    "consent:purpose_edit": Route(only("admin", "trust_admin")),
    "consent:purpose_delete": Route(only("admin", "trust_admin")),
    "consent:overview": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "consent:class_consent": Route(only("teacher", "admin", "trust_admin")),
    "consent:class_consent_csv": Route(only("teacher", "admin", "trust_admin")),
    "consent:published": Route(only(*SCHOOL_A)),
    "consent:published_pdf": Route(only(*SCHOOL_A)),
    "consent:children": Route(only("parent")),
    "consent:child_decide": Route(
        only("parent", ok=302),
        method="post",
        data=lambda world: {"answer": "given", "for": _consent(world)["target"]},
    ),
    # Adding classes to a trust's assignment and deleting it (ASM-1): its administrators.
    "trust_assessment:assignment_classes": Route(only("trust_admin")),
    "trust_assessment:assignment_delete": Route(only("trust_admin")),
    # Restrictions, corrections and the privacy notice's versions (DSR-3, DSR-5, DSR-10):
    # the school's data protection lead (no such member in the fixed world: see
    # tests/privacy/test_restriction.py) and administrators; restriction_id is Amy's.
    "school_privacy:restrictions": Route(only("admin", "trust_admin")),
    "school_privacy:restriction_new": Route(only("admin", "trust_admin")),
    "school_privacy:restriction": Route(only("admin", "trust_admin")),
    "school_privacy:restriction_lift": Route(
        only("admin", "trust_admin", ok=302), method="post", data={"reason": "Checked."}
    ),
    "school_privacy:pupil_corrections": Route(only("admin", "trust_admin")),
    "school_privacy:user_corrections": Route(only("admin", "trust_admin")),
    # A notice of a changed privacy notice: School A's administrators dismiss it.
    "school_privacy:notice_alert_dismiss": Route(only("admin", ok=302), method="post"),
    # Public: every version of the privacy notice, with its dates.
    "privacy:versions": Route({r: 200 for r in ROLES}),
    "privacy:version": Route({r: 200 for r in ROLES}),
    # Subject access exports (DSR-2, DSR-9): started by the school's data protection
    # lead (no one in the fixed world; tests/privacy/test_export_views.py grants it);
    # an export (export_id: Amy's, asked for by her parent) is seen and downloaded by
    # who asked for it, or the lead.
    "school_privacy:exports": Route(only()),
    "school_privacy:export": Route(only("parent")),
    "school_privacy:download": Route(only("parent")),
    # Erasure and legal holds (DSR-4, RET-3): the school's data protection lead only,
    # a role nobody of the fixed world holds (tests/privacy/test_erasure_pages.py
    # checks the lead's own access).
    "school_privacy:holds": Route(only()),
    # The breach register (SEC-3): platform staff keep it; an affected school's
    # administrators (and data protection lead) read theirs. Breach 1 affects School A.
    "breaches:register": Route(only("platform_staff")),
    "breaches:detail": Route(only("platform_staff")),
    "breaches:school_add": Route(
        only("platform_staff", ok=302), "post", lambda w: {"school": w.a.pk, "people_affected": "2"}
    ),
    "breaches:step_add": Route(only("platform_staff", ok=302), "post", {"text": "Contained."}),
    "breaches:report": Route(
        only("platform_staff", ok=302), "post", {"not_reported_reason": "Encrypted."}
    ),
    "school_breaches:list": Route(only("admin", "trust_admin")),
    # The platform's list of schools (TEN-1, RET-5): platform staff only. School A has
    # not ended, so its deletion page says why it cannot be deleted.
    "platform_schools:list": Route(only("platform_staff")),
    "platform_schools:detail": Route(only("platform_staff")),
    "platform_schools:deletion": Route(only("platform_staff")),
    # Support access (TEN-6): the school's own administrators grant and end it.
    "support:grants": Route(only("admin")),
    # Those with a grant in the URL have one live: support staff holding it are refused
    # (403: their grant never covers the grants' own pages).
    "support:grant": Route({**only("admin"), "platform_staff": 403}),
    "support:revoke": Route({**only("admin", ok=302), "platform_staff": 403}, "post"),
    "school_breaches:detail": Route(only("admin", "trust_admin")),
    "school_breaches:acknowledge": Route(only("admin", "trust_admin", ok=302), "post"),
    "school_breaches:notice": Route(only("admin", "trust_admin")),
    "school_privacy:hold_lift": Route(only(), method="post", data={"lift_reason": "Done."}),
    "school_privacy:pupil_erasure": Route(only()),
    "school_privacy:person_erasure": Route(only()),
    # --- Practice answering (ASM-2, ASM-7, ASM-8): a pupil's own pages (attempt_id is
    # Amy's, at its first question); fair use for staff, reinstating Amy for her
    # teacher (7A) and the administrators (she is suspended for the call).
    "practice:home": Route(only("pupil")),
    "practice:start": Route(only("pupil", ok=302), method="post"),
    "practice:attempt": Route(only("pupil")),
    "practice:answer": Route(only("pupil"), method="post", data={"position": 1, "response": "1"}),
    "practice:summary": Route(only("pupil")),
    "practice:fair_use": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "practice:reinstate": Route(
        only("teacher", "admin", "trust_admin", ok=302),
        method="post",
        data={"reason": "Spoke to Amy."},
    ),
    # --- end of practice answering.
    # Leaderboards (ASM-6): pupils in a class and the school's staff; not parents.
    "boards:home": Route(only("pupil", "teacher", "colleague", "admin", "trust_admin")),
    # --- Teachers' practice (ASM-2): the school's staff list and start sets; a set (by
    # the teacher, see _practice) is changed by its author and the administrators; a
    # class's live view and heat map are its teachers' and administrators'; a prompt's
    # file is the school's pupils' and staff's; a pupil's practice is whoever sees Amy.
    "practice_teachers:sets": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "practice_teachers:set_new": Route(only("teacher", "colleague", "admin", "trust_admin")),
    "practice_teachers:set_edit": Route(only("teacher", "admin", "trust_admin")),
    "practice_teachers:set_publish": Route(
        only("teacher", "admin", "trust_admin", ok=302), method="post", data={"published": "1"}
    ),
    "practice_teachers:set_archive": Route(
        only("teacher", "admin", "trust_admin", ok=302), method="post", data={"archived": "1"}
    ),
    "practice_teachers:set_delete": Route(only("teacher", "admin", "trust_admin")),
    "practice_teachers:question_new": Route(only("teacher", "admin", "trust_admin")),
    "practice_teachers:question_preview": Route(
        only("teacher", "admin", "trust_admin"),
        method="post",
        data={"kind": "numeric", "prompt": "2 + 2", "answer": "4"},
    ),
    "practice_teachers:question_edit": Route(only("teacher", "admin", "trust_admin")),
    "practice_teachers:question_delete": Route(
        only("teacher", "admin", "trust_admin", ok=302), method="post"
    ),
    "practice_teachers:question_move": Route(
        only("teacher", "admin", "trust_admin", ok=302), method="post", data={"step": "1"}
    ),
    "practice_teachers:media": Route(only("pupil", "teacher", "colleague", "admin", "trust_admin")),
    "practice_teachers:class_live": Route(only("teacher", "admin", "trust_admin")),
    "practice_teachers:class_heatmap": Route(only("teacher", "admin", "trust_admin")),
    "practice_teachers:pupil_practice": Route(
        only("pupil", "parent", "teacher", "admin", "trust_admin")
    ),
    # --- end of teachers' practice.
    # Retention (RET-1, RET-2, RET-4): the school's administrators and its data
    # protection lead (tests/privacy/test_retention.py checks the lead's access).
    "school_privacy:retention": Route(only("admin", "trust_admin")),
    "school_privacy:retention_due": Route(only("admin", "trust_admin")),
}

# API operations, keyed "METHOD /path" as in the OpenAPI document. Anonymous callers
# get 401 everywhere; wrong role or invisible object 404, as on the pages.
ME = "/api/me"
S = "/api/schools/{school_id}"
API_ADMINS = ("admin", "trust_admin")
API_STAFF = ("teacher", "colleague", "admin", "trust_admin")


def api_only(*allowed: str, ok: int = 200) -> dict[str, int]:
    return only(*allowed, ok=ok, anonymous=401)


EVERYONE = tuple(r for r in ROLES if r != "anonymous")

API: dict[str, Route] = {
    f"GET {ME}": Route(api_only(*EVERYONE)),
    f"GET {ME}/tokens": Route(api_only(*EVERYONE)),
    f"POST {ME}/tokens": Route(api_only(*EVERYONE, ok=201), "post", {"name": "Laptop"}),
    # The token is the admin's own (see _kwargs); anyone else's answers 404.
    f"DELETE {ME}/tokens/{{token_id}}": Route(api_only("admin", ok=204), "delete"),
    f"GET {ME}/preferences": Route(api_only(*EVERYONE)),
    f"PUT {ME}/preferences": Route(api_only(*EVERYONE), "put", {"text_size": "large"}),
    # Every member sees the pupils visible to them (TEN-3): the colleague only Cal.
    f"GET {S}/pupils": Route(api_only(*SCHOOL_A)),
    # Amy: herself, her parent, her teacher (7A), admins; not the colleague (7B).
    f"GET {S}/pupils/{{pupil_id}}": Route(
        api_only("pupil", "parent", "teacher", "admin", "trust_admin")
    ),
    f"POST {S}/pupils": Route(
        api_only(*API_ADMINS, ok=201),
        "post",
        {"first_name": "Zed", "last_name": "Zulu", "year_group": "7"},
    ),
    f"PATCH {S}/pupils/{{pupil_id}}": Route(api_only(*API_ADMINS), "patch", {"year_group": "8"}),
    f"DELETE {S}/pupils/{{pupil_id}}": Route(api_only("teacher", *API_ADMINS, ok=204), "delete"),
    f"GET {S}/classes": Route(api_only(*API_STAFF)),
    f"GET {S}/classes/{{class_id}}": Route(api_only("teacher", "admin", "trust_admin")),
    f"POST {S}/classes": Route(
        api_only(*API_ADMINS, ok=201), "post", {"name": "8C Science", "academic_year": "2026/27"}
    ),
    f"PATCH {S}/classes/{{class_id}}": Route(api_only(*API_ADMINS), "patch", {"subject": "Maths"}),
    f"DELETE {S}/classes/{{class_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    # user_id is the teacher of 7A: attaching again changes nothing, detaching works.
    f"PUT {S}/classes/{{class_id}}/teachers/{{user_id}}": Route(
        api_only(*API_ADMINS, ok=204), "put"
    ),
    f"DELETE {S}/classes/{{class_id}}/teachers/{{user_id}}": Route(
        api_only(*API_ADMINS, ok=204), "delete"
    ),
    f"PUT {S}/classes/{{class_id}}/pupils/{{pupil_id}}": Route(
        api_only(*API_ADMINS, ok=204), "put"
    ),
    f"DELETE {S}/classes/{{class_id}}/pupils/{{pupil_id}}": Route(
        api_only(*API_ADMINS, ok=204), "delete"
    ),
    f"POST {S}/classes/{{class_id}}/pupils/{{pupil_id}}/move": Route(
        api_only(*API_ADMINS, ok=204), "post", lambda world: {"to_class": world.class_7b.pk}
    ),
    f"GET {S}/staff": Route(api_only(*API_ADMINS)),
    f"POST {S}/staff": Route(
        api_only(*API_ADMINS, ok=201),
        "post",
        {"email": "new.teacher@oakfield.sch.uk", "first_name": "New", "last_name": "Teacher"},
    ),
    # user_id is the teacher of 7A, not the school's last administrator.
    f"PATCH {S}/staff/{{user_id}}": Route(api_only(*API_ADMINS), "patch", {"first_name": "Tess"}),
    f"DELETE {S}/staff/{{user_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    # --- DSR-7 deletions: impact checks and deletions (administrators); the roster's
    # typed confirmation; a pupil asks; the teacher of Amy's class lists and passes it.
    f"GET {S}/staff/{{user_id}}/deletion": Route(api_only(*API_ADMINS)),
    f"POST {S}/staff/{{user_id}}/deletion": Route(
        api_only(*API_ADMINS, ok=204), "post", lambda w: {"fingerprint": _staff_fingerprint(w)}
    ),
    f"GET {S}/classes/{{class_id}}/deletion": Route(api_only(*API_ADMINS)),
    f"GET {S}/roster/deletion": Route(api_only(*API_ADMINS)),
    f"POST {S}/roster/deletion": Route(
        api_only(*API_ADMINS), "post", {"confirm_name": "Oakfield Academy"}
    ),
    f"POST {S}/me/deletion-request": Route(api_only("pupil", ok=201), "post", {}),
    f"GET {S}/deletion-requests": Route(api_only("teacher", "colleague")),
    f"POST {S}/deletion-requests/{{deletion_request_id}}/pass": Route(
        api_only("teacher", ok=204), "post"
    ),
    # --- end DSR-7 deletions
    f"GET {S}/pupils/{{pupil_id}}/guardians": Route(api_only(*API_ADMINS)),
    f"POST {S}/pupils/{{pupil_id}}/guardians": Route(
        api_only(*API_ADMINS, ok=201), "post", {"parent_email": "new.parent@example.com"}
    ),
    # link_id is Amy's link to her parent.
    f"DELETE {S}/pupils/{{pupil_id}}/guardians/{{link_id}}": Route(
        api_only(*API_ADMINS, ok=204), "delete"
    ),
    f"POST {S}/imports/class-list": Route(api_only(*API_ADMINS), "post", upload="classlist"),
    f"GET {S}/academic-years": Route(api_only(*API_ADMINS)),
    f"PUT {S}/phase": Route(api_only(*API_ADMINS), "put", {"phase": "secondary"}),
    f"GET {S}/academic-years/{{year_id}}/rollover": Route(api_only(*API_ADMINS)),
    # School A's phase is not set, so ending the year is refused and nothing is written.
    f"POST {S}/academic-years/{{year_id}}/rollover": Route(
        api_only(*API_ADMINS, ok=422), "post", {}
    ),
    # Previews of valid files (nothing is written); the job is one of School A's.
    f"POST {S}/imports/mis": Route(api_only(*API_ADMINS), "post", upload="mis"),
    f"POST {S}/imports/oneroster": Route(api_only(*API_ADMINS), "post", upload="oneroster"),
    f"GET {S}/imports/{{job_id}}": Route(api_only(*API_ADMINS)),
    f"POST {S}/imports/{{job_id}}/retry": Route(
        api_only(*API_ADMINS, ok=202), "post", {"attempt": 1}
    ),
    f"POST {S}/imports/{{job_id}}/cancel": Route(api_only(*API_ADMINS), "post", {"attempt": 1}),
    f"GET {S}/exports/oneroster": Route(api_only(*API_ADMINS)),
    f"GET {S}/audit": Route(api_only("admin")),
    # The markbook (ASM-3, ASM-4): 7A's teacher and administrators; an empty cell left
    # empty changes nothing, so every role's call can be the same.
    f"GET {S}/classes/{{class_id}}/marks": Route(api_only("teacher", "admin", "trust_admin")),
    f"POST {S}/classes/{{class_id}}/marks": Route(
        api_only("teacher", "admin", "trust_admin"), "post", {"cells": []}
    ),
    f"PUT {S}/classes/{{class_id}}/marks/{{assignment_id}}/{{pupil_id}}": Route(
        api_only("teacher", "admin", "trust_admin"), "put", {"value": "", "version": None}
    ),
    f"GET {S}/classes/{{class_id}}/drops/{{drop_id}}/entries": Route(
        api_only("teacher", "admin", "trust_admin")
    ),
    f"POST {S}/classes/{{class_id}}/drops/{{drop_id}}/entries": Route(
        api_only("teacher", "admin", "trust_admin"), "post", {"cells": []}
    ),
    f"PUT {S}/classes/{{class_id}}/drops/{{drop_id}}/entries/{{field_id}}/{{pupil_id}}": Route(
        api_only("teacher", "admin", "trust_admin"), "put", {"value": "", "version": None}
    ),
    f"GET {S}/settings": Route(api_only("admin")),
    # Leaderboards (ASM-6): pupils in a class and the school's staff; not parents.
    f"GET {S}/boards": Route(api_only("pupil", "teacher", "colleague", "admin", "trust_admin")),
    f"GET {S}/analysis": Route(api_only(*API_STAFF)),
    f"GET {S}/analysis/csv": Route(api_only(*API_STAFF)),
    # Only the trust's administrators; another school's users 404 (SEC-6).
    "GET /api/trusts/{trust_id}/analysis": Route(api_only("trust_admin")),
    # Sending nothing changes nothing, so every role's call can be the same.
    f"PATCH {S}/settings": Route(api_only("admin"), "patch", {}),
    # Tracking (ASM-4): set-up read by staff, written by administrators. scale_id is a
    # school-defined scale, grade_id its lowest grade, subject_id Maths (tracking 7A and
    # 7B, no targets or grades), drop_id an open drop without entries.
    f"GET {S}/tracking/scales": Route(api_only(*API_STAFF)),
    f"POST {S}/tracking/scales": Route(
        api_only(*API_ADMINS, ok=201),
        "post",
        {"name": "Effort", "grades": [{"label": "Low"}, {"label": "High"}]},
    ),
    f"GET {S}/tracking/scales/{{scale_id}}": Route(api_only(*API_STAFF)),
    f"PATCH {S}/tracking/scales/{{scale_id}}": Route(
        api_only(*API_ADMINS), "patch", {"name": "Emerging to Mastery"}
    ),
    f"DELETE {S}/tracking/scales/{{scale_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"PATCH {S}/tracking/scales/{{scale_id}}/grades/{{grade_id}}": Route(
        api_only(*API_ADMINS), "patch", {"band_id": None}
    ),
    f"GET {S}/tracking/scales/{{scale_id}}/target-rules": Route(api_only(*API_ADMINS)),
    f"PUT {S}/tracking/scales/{{scale_id}}/target-rules": Route(
        api_only(*API_ADMINS), "put", {"rules": [{"ks2_minimum": 100, "grade": "Secure"}]}
    ),
    f"GET {S}/tracking/bands": Route(api_only(*API_STAFF)),
    f"PATCH {S}/tracking/bands/{{band_id}}": Route(
        api_only(*API_ADMINS), "patch", {"name": "Secure+"}
    ),
    f"GET {S}/tracking/subjects": Route(api_only(*API_STAFF)),
    f"POST {S}/tracking/subjects": Route(
        api_only(*API_ADMINS, ok=201), "post", {"name": "Art", "scale": "GCSE 9-1"}
    ),
    f"PATCH {S}/tracking/subjects/{{subject_id}}": Route(
        api_only(*API_ADMINS), "patch", {"code": "MA"}
    ),
    f"DELETE {S}/tracking/subjects/{{subject_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"GET {S}/tracking/subjects/{{subject_id}}/classes": Route(api_only(*API_ADMINS)),
    f"PUT {S}/tracking/subjects/{{subject_id}}/classes/{{class_id}}": Route(
        api_only(*API_ADMINS, ok=204), "put"
    ),
    f"DELETE {S}/tracking/subjects/{{subject_id}}/classes/{{class_id}}": Route(
        api_only(*API_ADMINS, ok=204), "delete"
    ),
    # Amy's target in Maths: her teacher (7A) and the administrators; not the colleague.
    f"PUT {S}/tracking/subjects/{{subject_id}}/targets/{{pupil_id}}": Route(
        api_only("teacher", *API_ADMINS), "put", {"grade": "6"}
    ),
    f"POST {S}/tracking/targets/import": Route(
        api_only(*API_ADMINS), "post", {"csv": "UPN,Subject,Target\n"}
    ),
    f"POST {S}/tracking/targets/from-ks2": Route(api_only(*API_ADMINS), "post", {}),
    f"GET {S}/tracking/drops": Route(api_only(*API_STAFF)),
    f"POST {S}/tracking/drops": Route(
        api_only(*API_ADMINS, ok=201), "post", {"name": "Spring", "date": "2027-03-01"}
    ),
    f"GET {S}/tracking/drops/{{drop_id}}": Route(api_only(*API_STAFF)),
    f"PATCH {S}/tracking/drops/{{drop_id}}": Route(
        api_only(*API_ADMINS), "patch", {"deadline": "2027-01-15"}
    ),
    f"DELETE {S}/tracking/drops/{{drop_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"POST {S}/tracking/drops/{{drop_id}}/lock": Route(api_only(*API_ADMINS), "post"),
    f"POST {S}/tracking/drops/{{drop_id}}/unlock": Route(api_only(*API_ADMINS), "post"),
    f"GET {S}/tracking/drops/{{drop_id}}/completion": Route(api_only(*API_STAFF)),
    f"GET {S}/registration-requests": Route(api_only(*API_ADMINS)),
    # request_id is a fresh pending request for each call (see _kwargs).
    f"POST {S}/registration-requests/{{request_id}}/approve": Route(api_only(*API_ADMINS), "post"),
    f"POST {S}/registration-requests/{{request_id}}/refuse": Route(api_only(*API_ADMINS), "post"),
    # Assignments (ASM-1): assignment_id is one of 7A's, without marks.
    f"GET {S}/assignments": Route(api_only(*API_STAFF)),
    f"POST {S}/classes/{{class_id}}/assignments": Route(
        api_only("teacher", *API_ADMINS, ok=201), "post", {"title": "Quiz", "max_mark": 10}
    ),
    f"GET {S}/assignments/{{assignment_id}}": Route(api_only("teacher", *API_ADMINS)),
    f"PATCH {S}/assignments/{{assignment_id}}": Route(
        api_only("teacher", *API_ADMINS), "patch", {"title": "Quiz 2"}
    ),
    f"DELETE {S}/assignments/{{assignment_id}}": Route(
        api_only("teacher", *API_ADMINS, ok=204), "delete"
    ),
    # Results (ASM-3, TEN-3).
    f"GET {S}/me/results": Route(api_only("pupil")),
    f"GET {S}/pupils/{{pupil_id}}/results": Route(
        api_only("pupil", "parent", "teacher", "admin", "trust_admin")
    ),
    f"GET {S}/settings/families": Route(api_only("admin")),
    f"PATCH {S}/settings/families": Route(api_only("admin"), "patch", {}),
    # Emergency suspension (ACC-6): the school's administrators only. A wrong name
    # suspends nothing (422), and lifting a school that is not suspended is refused.
    f"GET {S}/suspension": Route(api_only("admin")),
    f"POST {S}/suspension": Route(api_only("admin", ok=422), "post", {"confirm_name": "No"}),
    f"POST {S}/suspension/lift": Route(api_only("admin", ok=422), "post", {}),
    # A trust's assignments: its administrators only. The POST names no class, so the
    # admitted trust administrator is refused by the service (422), everyone else 404.
    "GET /api/trusts/{trust_id}/assignments": Route(api_only("trust_admin")),
    "POST /api/trusts/{trust_id}/assignments": Route(
        api_only("trust_admin", ok=422), "post", {"title": "Mock", "max_mark": 60, "class_ids": []}
    ),
    "PATCH /api/trusts/{trust_id}/assignments/{trust_assignment_id}": Route(
        api_only("trust_admin"), "patch", {}
    ),
    # Data-subject requests (DSR-6, DSR-8, DSR-9): the colleague is the lead here (see
    # _rights_world); the request is the parent's about Amy, at the stage each action
    # needs. A trust administrator holds no membership to make a request about (422).
    f"GET {S}/data-requests": Route(api_only(*SCHOOL_A)),
    f"POST {S}/data-requests": Route(
        {
            **api_only("pupil", "parent", "teacher", "colleague", "admin", ok=201),
            "trust_admin": 422,
        },
        "post",
        {"kind": "access"},
    ),
    f"GET {S}/data-requests/{{data_request_id}}": Route(api_only("pupil", "parent", "colleague")),
    f"POST {S}/data-requests/{{data_request_id}}/identity-check": Route(
        api_only("colleague"), "post", {"method": "signed_in"}
    ),
    f"POST {S}/data-requests/{{data_request_id}}/approve": Route(api_only("colleague"), "post"),
    f"POST {S}/data-requests/{{data_request_id}}/refuse": Route(
        api_only("colleague"), "post", {"reason": "Unfounded"}
    ),
    f"POST {S}/data-requests/{{data_request_id}}/extend": Route(
        api_only("colleague"), "post", {"reason": "Complex"}
    ),
    f"POST {S}/data-requests/{{data_request_id}}/complete": Route(
        api_only("colleague"), "post", {"note": "Done by hand"}
    ),
    f"POST {S}/data-requests/{{data_request_id}}/retry": Route(api_only("colleague"), "post"),
    f"GET {S}/data-protection-leads": Route(api_only(*API_ADMINS)),
    f"PUT {S}/data-protection-leads/{{user_id}}": Route(api_only(*API_ADMINS), "put"),
    f"DELETE {S}/data-protection-leads/{{user_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"GET {S}/term-dates": Route(api_only(*API_ADMINS, "colleague")),
    f"POST {S}/term-dates": Route(
        api_only(*API_ADMINS, "colleague", ok=201),
        "post",
        {"kind": "closure", "name": "Training day", "start": "2026-11-02", "end": "2026-11-02"},
    ),
    f"POST {S}/term-dates/england-default": Route(
        api_only(*API_ADMINS, "colleague", ok=201), "post"
    ),
    f"DELETE {S}/term-dates/{{period_id}}": Route(
        api_only(*API_ADMINS, "colleague", ok=204), "delete"
    ),
    # The service register and consent (CON-1 to CON-4), as on the pages.
    f"GET {S}/consent/register": Route(api_only(*API_ADMINS)),
    f"POST {S}/consent/register": Route(
        api_only(*API_ADMINS, ok=201), "post", {"name": "Quizlet", "provider": "Quizlet Inc."}
    ),
    f"GET {S}/consent/register/{{entry_id}}/impact": Route(api_only(*API_ADMINS)),
    f"PATCH {S}/consent/register/{{entry_id}}": Route(api_only(*API_ADMINS), "patch", {}),
    f"DELETE {S}/consent/register/{{entry_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"GET {S}/consent/purposes": Route(api_only(*API_ADMINS)),
    f"POST {S}/consent/purposes": Route(
        api_only(*API_ADMINS, ok=201),
        "post",
        {"name": "Trip photographs", "description": "Photographs of trips in the school hall."},
    ),
    f"PATCH {S}/consent/purposes/{{purpose_id}}": Route(api_only(*API_ADMINS), "patch", {}),
    f"DELETE {S}/consent/purposes/{{purpose_id}}": Route(api_only(*API_ADMINS, ok=204), "delete"),
    f"GET {S}/consent/published": Route(api_only(*SCHOOL_A)),
    f"GET {S}/consent/classes/{{class_id}}/{{target}}": Route(
        api_only("teacher", "admin", "trust_admin")
    ),
    f"GET {S}/consent/children": Route(api_only("parent")),
    f"PUT {S}/consent/children/{{pupil_id}}/{{target}}": Route(
        api_only("parent"), "put", {"answer": "given"}
    ),
    # Read, set to more classes (7B; the original is 7A's) and deleted (ASM-1): the
    # trust's administrators only.
    "GET /api/trusts/{trust_id}/assignments/{trust_assignment_id}": Route(api_only("trust_admin")),
    "POST /api/trusts/{trust_id}/assignments/{trust_assignment_id}/classes": Route(
        api_only("trust_admin"), "post", lambda world: {"class_ids": [world.class_7b.pk]}
    ),
    "DELETE /api/trusts/{trust_id}/assignments/{trust_assignment_id}": Route(
        api_only("trust_admin"), "delete"
    ),
    # Restrictions and corrections (DSR-3, DSR-5): the data protection lead and the
    # administrators; the privacy notice's versions (DSR-10): everyone signed in.
    f"GET {S}/restrictions": Route(api_only(*API_ADMINS)),
    f"POST {S}/restrictions": Route(
        api_only(*API_ADMINS, ok=201),
        "post",
        lambda world: {"pupil_id": world.ben.pk, "reason": "Accuracy contested."},
    ),
    f"GET {S}/restrictions/{{restriction_id}}": Route(api_only(*API_ADMINS)),
    f"POST {S}/restrictions/{{restriction_id}}/lift": Route(
        api_only(*API_ADMINS), "post", {"reason": "Checked."}
    ),
    f"GET {S}/pupils/{{pupil_id}}/corrections": Route(api_only(*API_ADMINS)),
    f"POST {S}/pupils/{{pupil_id}}/corrections": Route(
        api_only(*API_ADMINS, ok=201), "post", {"field": "last_name", "value": "Adamson"}
    ),
    f"GET {S}/people/{{user_id}}/corrections": Route(api_only(*API_ADMINS)),
    f"POST {S}/people/{{user_id}}/corrections": Route(
        api_only(*API_ADMINS, ok=201), "post", {"field": "first_name", "value": "Tessa"}
    ),
    "GET /api/privacy/notice-versions": Route(api_only(*EVERYONE)),
    f"GET {S}/notice-changes": Route(api_only("admin")),
    f"POST {S}/notice-changes/{{alert_id}}/dismiss": Route(api_only("admin"), "post"),
    # Subject access exports (DSR-2, DSR-9): as on the pages.
    f"GET {S}/data-exports": Route(api_only()),
    f"POST {S}/data-exports": Route(api_only(), "post", lambda world: {"pupil_id": world.amy.pk}),
    f"GET {S}/data-exports/{{export_id}}": Route(api_only("parent")),
    f"GET {S}/data-exports/{{export_id}}/download": Route(api_only("parent")),
    # Erasure and legal holds (DSR-4, RET-3): the data protection lead only (see PAGES).
    f"GET {S}/privacy/holds": Route(api_only()),
    f"POST {S}/privacy/holds": Route(api_only(), "post", {"pupil_id": 1, "reason": "Claim."}),
    f"POST {S}/privacy/holds/{{hold_id}}/lift": Route(api_only(), "post", {"reason": "Done."}),
    # The breach register (SEC-3), see PAGES.
    "GET /api/breaches": Route(api_only("platform_staff")),
    "POST /api/breaches": Route(
        api_only("platform_staff", ok=201),
        "post",
        lambda w: {
            "title": "Matrix",
            "detected_at": "2026-01-01T00:00:00Z",
            "description": "Matrix breach.",
        },
    ),
    "GET /api/breaches/{breach_id}": Route(api_only("platform_staff")),
    "PATCH /api/breaches/{breach_id}": Route(
        api_only("platform_staff"), "patch", {"state": "contained"}
    ),
    "POST /api/breaches/{breach_id}/schools": Route(
        api_only("platform_staff"), "post", lambda w: {"school_id": w.b.pk}
    ),
    "POST /api/breaches/{breach_id}/steps": Route(
        api_only("platform_staff"), "post", {"text": "Contained."}
    ),
    "POST /api/breaches/{breach_id}/report": Route(
        api_only("platform_staff"), "post", {"not_reported_reason": "Encrypted."}
    ),
    f"GET {S}/breaches": Route(api_only("admin", "trust_admin")),
    # The platform's list of schools (TEN-1, RET-5), see PAGES: School A's state again
    # changes nothing; its deletion is refused (409), as it has not ended.
    "GET /api/platform/schools": Route(api_only("platform_staff")),
    "GET /api/platform/schools/{platform_school_id}": Route(api_only("platform_staff")),
    "POST /api/platform/schools/{platform_school_id}/status": Route(
        api_only("platform_staff"), "post", {"status": "active", "reason": "Matrix"}
    ),
    "GET /api/platform/schools/{platform_school_id}/deletion": Route(api_only("platform_staff")),
    "POST /api/platform/schools/{platform_school_id}/deletion": Route(
        api_only("platform_staff", ok=409), "post", {"plan": "0" * 16, "reason": "Matrix"}
    ),
    # Support access (TEN-6), see PAGES.
    f"GET {S}/support-grants": Route(api_only("admin")),
    f"POST {S}/support-grants": Route(
        api_only("admin", ok=201),
        "post",
        lambda w: {
            "staff_email": w.platform_staff.email,
            "reason": "Ticket 1",
            "scope": "read",
            "areas": ["roster"],
            "expires_at": (_now() + _days(1)).isoformat(),
        },
    ),
    f"POST {S}/support-grants/{{grant_id}}/revoke": Route(
        {**api_only("admin"), "platform_staff": 403}, "post"
    ),
    f"GET {S}/support-grants/{{grant_id}}/log": Route({**api_only("admin"), "platform_staff": 403}),
    f"GET {S}/breaches/{{breach_id}}": Route(api_only("admin", "trust_admin")),
    f"POST {S}/breaches/{{breach_id}}/acknowledge": Route(api_only("admin", "trust_admin"), "post"),
    f"GET {S}/breaches/{{breach_id}}/notice": Route(api_only("admin", "trust_admin")),
    f"GET {S}/privacy/erasure/pupils/{{pupil_id}}": Route(api_only()),
    f"POST {S}/privacy/erasure/pupils/{{pupil_id}}": Route(
        api_only(), "post", {"fingerprint": "0" * 64}
    ),
    # Retention (RET-1, RET-2, RET-4): as the pages. {key}: pupils who have left.
    f"GET {S}/privacy/retention": Route(api_only(*API_ADMINS)),
    f"GET {S}/privacy/retention/due": Route(api_only(*API_ADMINS)),
    f"PUT {S}/privacy/retention/{{key}}": Route(api_only(*API_ADMINS), "put", {"days": 90}),
    f"DELETE {S}/privacy/retention/{{key}}": Route(api_only(*API_ADMINS), "delete"),
    f"GET {S}/privacy/erasure/people/{{user_id}}": Route(api_only()),
    f"POST {S}/privacy/erasure/people/{{user_id}}": Route(
        api_only(), "post", {"fingerprint": "0" * 64}
    ),
    # --- Passing a change on to the register's services (DSR-10): as the pages. With
    # no correction in the fixed world, marking one told is refused (422).
    f"GET {S}/data-requests/{{data_request_id}}/services": Route(api_only("colleague")),
    f"POST {S}/data-requests/{{data_request_id}}/services/{{entry_id}}/told": Route(
        api_only("colleague"), "post", {"note": "Emailed"}
    ),
    f"GET {S}/restrictions/{{restriction_id}}/services": Route(api_only(*API_ADMINS)),
    f"POST {S}/restrictions/{{restriction_id}}/services/{{entry_id}}/told": Route(
        api_only(*API_ADMINS), "post", {}
    ),
    f"GET {S}/pupils/{{pupil_id}}/corrections/services": Route(api_only(*API_ADMINS)),
    f"POST {S}/pupils/{{pupil_id}}/corrections/services/{{entry_id}}/told": Route(
        api_only(*API_ADMINS, ok=422), "post", {}
    ),
    f"GET {S}/people/{{user_id}}/corrections/services": Route(api_only(*API_ADMINS)),
    f"POST {S}/people/{{user_id}}/corrections/services/{{entry_id}}/told": Route(
        api_only(*API_ADMINS, ok=422), "post", {}
    ),
    # --- end of passing a change on.
    # --- A paper consent form recorded on a parent's behalf (CON-2): as the page.
    f"PUT {S}/consent/classes/{{class_id}}/{{target}}/pupils/{{pupil_id}}/paper-form": Route(
        api_only("teacher", "admin", "trust_admin"),
        "put",
        {"answer": "given", "parent_name": "Anne Adams"},
    ),
    # --- end of paper consent forms.
    # --- Practice answering (ASM-2, ASM-7, ASM-8): a pupil's own sets and attempts
    # (attempt_id is Amy's, at its first question); fair use for Amy's teacher (7A) and
    # the administrators, Amy suspended for each call (see _practice_answering).
    f"GET {S}/practice/my-sets": Route(api_only("pupil")),
    f"POST {S}/practice/sets/{{set_id}}/attempts": Route(api_only("pupil", ok=201), "post", {}),
    f"GET {S}/practice/attempts/{{attempt_id}}": Route(api_only("pupil")),
    f"POST {S}/practice/attempts/{{attempt_id}}/answers": Route(
        api_only("pupil"), "post", {"position": 1, "response": "1"}
    ),
    f"GET {S}/practice/fair-use": Route(
        api_only("pupil", "teacher", "colleague", "admin", "trust_admin")
    ),
    f"POST {S}/practice/pupils/{{pupil_id}}/reinstate": Route(
        api_only("teacher", *API_ADMINS), "post", {"reason": "Spoke to Amy."}
    ),
    # --- end of practice answering.
    # --- Teachers' practice (ASM-2), as on the pages.
    f"GET {S}/practice/sets": Route(api_only(*API_STAFF)),
    f"POST {S}/practice/sets": Route(api_only(*API_STAFF, ok=201), "post", {"title": "Decimals"}),
    f"GET {S}/practice/sets/{{set_id}}": Route(api_only("teacher", *API_ADMINS)),
    f"PATCH {S}/practice/sets/{{set_id}}": Route(
        api_only("teacher", *API_ADMINS), "patch", {"description": "Halves and quarters."}
    ),
    f"DELETE {S}/practice/sets/{{set_id}}": Route(
        api_only("teacher", *API_ADMINS, ok=204), "delete"
    ),
    f"GET {S}/practice/sets/{{set_id}}/questions": Route(api_only("teacher", *API_ADMINS)),
    f"POST {S}/practice/sets/{{set_id}}/questions": Route(
        api_only("teacher", *API_ADMINS, ok=201),
        "post",
        {"kind": "numeric", "prompt": "5 x 5", "answer": "25"},
    ),
    f"PUT {S}/practice/sets/{{set_id}}/questions/order": Route(
        api_only("teacher", *API_ADMINS), "put", lambda world: {"order": _practice_order(world)}
    ),
    f"GET {S}/practice/sets/{{set_id}}/questions/{{question_id}}": Route(
        api_only("teacher", *API_ADMINS)
    ),
    f"PATCH {S}/practice/sets/{{set_id}}/questions/{{question_id}}": Route(
        api_only("teacher", *API_ADMINS), "patch", {"units": "m"}
    ),
    f"DELETE {S}/practice/sets/{{set_id}}/questions/{{question_id}}": Route(
        api_only("teacher", *API_ADMINS, ok=204), "delete"
    ),
    f"POST {S}/practice/media": Route(api_only(*API_STAFF, ok=201), "post", upload="png"),
    f"GET {S}/practice/media/{{media_id}}": Route(api_only("pupil", *API_STAFF)),
    f"GET {S}/practice/classes/{{class_id}}/live": Route(api_only("teacher", *API_ADMINS)),
    f"GET {S}/practice/classes/{{class_id}}/heatmap": Route(api_only("teacher", *API_ADMINS)),
    f"GET {S}/practice/pupils/{{pupil_id}}/heatmap": Route(
        api_only("pupil", "parent", "teacher", *API_ADMINS)
    ),
    f"GET {S}/practice/pupils/{{pupil_id}}/summary": Route(
        api_only("pupil", "parent", "teacher", *API_ADMINS)
    ),
    # --- end of teachers' practice.
}


# What each page does, done through the API (TEN-3: one service, two doors): the API
# operations doing the same thing, or, in PAGE_ONLY, why there is none. A page route
# in neither fails `test_every_page_has_an_api_twin_or_a_reason`.
PAGE_API: dict[str, tuple[str, ...]] = {
    "accounts:profile": (f"GET {ME}", f"GET {ME}/tokens", f"POST {ME}/tokens"),
    "schools:settings": (f"GET {S}/settings", f"PATCH {S}/settings"),
    "boards:home": (f"GET {S}/boards",),
    "rosters:pupils": (f"GET {S}/pupils",),
    "rosters:pupil_detail": (
        f"GET {S}/pupils/{{pupil_id}}",
        f"GET {S}/pupils/{{pupil_id}}/guardians",
    ),
    "rosters:pupil_new": (f"POST {S}/pupils",),
    "rosters:pupil_edit": (f"PATCH {S}/pupils/{{pupil_id}}",),
    "rosters:pupil_delete": (f"DELETE {S}/pupils/{{pupil_id}}",),
    "rosters:pupil_parents": (
        f"POST {S}/pupils/{{pupil_id}}/guardians",
        f"DELETE {S}/pupils/{{pupil_id}}/guardians/{{link_id}}",
    ),
    "rosters:classes": (f"GET {S}/classes",),
    "rosters:class_detail": (f"GET {S}/classes/{{class_id}}",),
    "rosters:class_new": (f"POST {S}/classes",),
    "rosters:class_edit": (f"PATCH {S}/classes/{{class_id}}",),
    "rosters:class_delete": (f"DELETE {S}/classes/{{class_id}}",),
    "rosters:class_teachers": (
        f"PUT {S}/classes/{{class_id}}/teachers/{{user_id}}",
        f"DELETE {S}/classes/{{class_id}}/teachers/{{user_id}}",
    ),
    "rosters:class_pupils": (
        f"PUT {S}/classes/{{class_id}}/pupils/{{pupil_id}}",
        f"DELETE {S}/classes/{{class_id}}/pupils/{{pupil_id}}",
        f"POST {S}/classes/{{class_id}}/pupils/{{pupil_id}}/move",
    ),
    "rosters:teachers": (f"GET {S}/staff", f"POST {S}/staff", f"GET {S}/registration-requests"),
    "rosters:staff_edit": (f"PATCH {S}/staff/{{user_id}}",),
    "rosters:staff_remove": (f"DELETE {S}/staff/{{user_id}}",),
    # --- DSR-7 deletions
    "rosters:staff_delete": (
        f"GET {S}/staff/{{user_id}}/deletion",
        f"POST {S}/staff/{{user_id}}/deletion",
    ),
    "rosters:roster_delete": (f"GET {S}/roster/deletion", f"POST {S}/roster/deletion"),
    "rosters:me_delete_ask": (f"POST {S}/me/deletion-request",),
    "rosters:deletion_requests": (f"GET {S}/deletion-requests",),
    "rosters:deletion_request_pass": (f"POST {S}/deletion-requests/{{deletion_request_id}}/pass",),
    # --- end DSR-7 deletions
    "rosters:classlist_upload": (f"POST {S}/imports/class-list",),
    "rosters:oneroster": (f"POST {S}/imports/oneroster",),
    "rosters:oneroster_export": (f"GET {S}/exports/oneroster",),
    "rosters:mis_upload": (f"POST {S}/imports/mis",),
    "rosters:import_job": (f"GET {S}/imports/{{job_id}}",),
    "rosters:import_job_retry": (f"POST {S}/imports/{{job_id}}/retry",),
    "rosters:import_job_cancel": (f"POST {S}/imports/{{job_id}}/cancel",),
    "audit:log": (f"GET {S}/audit",),
    "schools:family_settings": (f"GET {S}/settings/families", f"PATCH {S}/settings/families"),
    "schools:suspension": (
        f"GET {S}/suspension",
        f"POST {S}/suspension",
        f"POST {S}/suspension/lift",
    ),
    # Tracking (ASM-4): the school's set-up, drops and targets.
    "tracking:subjects": (f"GET {S}/tracking/subjects", f"POST {S}/tracking/subjects"),
    "tracking:subject_edit": (f"PATCH {S}/tracking/subjects/{{subject_id}}",),
    "tracking:subject_delete": (f"DELETE {S}/tracking/subjects/{{subject_id}}",),
    "tracking:subject_classes": (
        f"GET {S}/tracking/subjects/{{subject_id}}/classes",
        f"PUT {S}/tracking/subjects/{{subject_id}}/classes/{{class_id}}",
        f"DELETE {S}/tracking/subjects/{{subject_id}}/classes/{{class_id}}",
    ),
    "tracking:scales": (f"GET {S}/tracking/scales",),
    "tracking:scale_new": (f"POST {S}/tracking/scales",),
    "tracking:scale_edit": (
        f"GET {S}/tracking/scales/{{scale_id}}",
        f"PATCH {S}/tracking/scales/{{scale_id}}",
    ),
    "tracking:scale_delete": (f"DELETE {S}/tracking/scales/{{scale_id}}",),
    "tracking:target_rules": (
        f"GET {S}/tracking/scales/{{scale_id}}/target-rules",
        f"PUT {S}/tracking/scales/{{scale_id}}/target-rules",
    ),
    "tracking:bands": (
        f"GET {S}/tracking/bands",
        f"PATCH {S}/tracking/bands/{{band_id}}",
        f"PATCH {S}/tracking/scales/{{scale_id}}/grades/{{grade_id}}",
    ),
    "tracking:drops": (f"GET {S}/tracking/drops",),
    "tracking:drop_new": (f"POST {S}/tracking/drops",),
    "tracking:drop_completion": (
        f"GET {S}/tracking/drops/{{drop_id}}",
        f"GET {S}/tracking/drops/{{drop_id}}/completion",
    ),
    "tracking:drop_edit": (f"PATCH {S}/tracking/drops/{{drop_id}}",),
    "tracking:drop_lock": (
        f"POST {S}/tracking/drops/{{drop_id}}/lock",
        f"POST {S}/tracking/drops/{{drop_id}}/unlock",
    ),
    "tracking:drop_delete": (f"DELETE {S}/tracking/drops/{{drop_id}}",),
    "tracking:targets_import": (f"POST {S}/tracking/targets/import",),
    "tracking:targets_from_ks2": (f"POST {S}/tracking/targets/from-ks2",),
    "tracking:class_targets": (f"PUT {S}/tracking/subjects/{{subject_id}}/targets/{{pupil_id}}",),
    "assessment:assignments": (f"GET {S}/assignments",),
    "assessment:assignment_new": (f"POST {S}/classes/{{class_id}}/assignments",),
    "assessment:assignment_detail": (f"GET {S}/assignments/{{assignment_id}}",),
    "assessment:assignment_edit": (f"PATCH {S}/assignments/{{assignment_id}}",),
    "assessment:assignment_delete": (f"DELETE {S}/assignments/{{assignment_id}}",),
    "assessment:my_results": (f"GET {S}/me/results",),
    "assessment:pupil_results": (f"GET {S}/pupils/{{pupil_id}}/results",),
    "trust_assessment:assignments": ("GET /api/trusts/{trust_id}/assignments",),
    "trust_assessment:assignment_new": ("POST /api/trusts/{trust_id}/assignments",),
    "trust_assessment:assignment_edit": (
        "GET /api/trusts/{trust_id}/assignments/{trust_assignment_id}",
        "PATCH /api/trusts/{trust_id}/assignments/{trust_assignment_id}",
    ),
    "trust_assessment:assignment_classes": (
        "POST /api/trusts/{trust_id}/assignments/{trust_assignment_id}/classes",
    ),
    "trust_assessment:assignment_delete": (
        "DELETE /api/trusts/{trust_id}/assignments/{trust_assignment_id}",
    ),
    "analysis:report": (f"GET {S}/analysis",),
    "analysis:csv": (f"GET {S}/analysis/csv",),
    "trust_analysis:report": ("GET /api/trusts/{trust_id}/analysis",),
    "markbook:class_marks": (
        f"GET {S}/classes/{{class_id}}/marks",
        f"POST {S}/classes/{{class_id}}/marks",
        f"PUT {S}/classes/{{class_id}}/marks/{{assignment_id}}/{{pupil_id}}",
    ),
    "markbook:class_drop": (
        f"GET {S}/classes/{{class_id}}/drops/{{drop_id}}/entries",
        f"POST {S}/classes/{{class_id}}/drops/{{drop_id}}/entries",
        f"PUT {S}/classes/{{class_id}}/drops/{{drop_id}}/entries/{{field_id}}/{{pupil_id}}",
    ),
    "rosters:years": (f"GET {S}/academic-years", f"PUT {S}/phase"),
    "rosters:year_rollover": (
        f"GET {S}/academic-years/{{year_id}}/rollover",
        f"POST {S}/academic-years/{{year_id}}/rollover",
    ),
    "accounts:display": (f"GET {ME}/preferences", f"PUT {ME}/preferences"),
    "accounts:help_read": (f"PUT {ME}/preferences",),
    "school_accounts:registration_decide": (
        f"POST {S}/registration-requests/{{request_id}}/approve",
        f"POST {S}/registration-requests/{{request_id}}/refuse",
    ),
    # Data-subject requests (DSR-6, DSR-8, DSR-9).
    "rights:mine": (f"GET {S}/data-requests",),
    "rights:new": (f"POST {S}/data-requests",),
    "rights:record": (f"POST {S}/data-requests",),
    "rights:queue": (f"GET {S}/data-requests",),
    "rights:detail": (f"GET {S}/data-requests/{{data_request_id}}",),
    "rights:identity": (f"POST {S}/data-requests/{{data_request_id}}/identity-check",),
    "rights:approve": (f"POST {S}/data-requests/{{data_request_id}}/approve",),
    "rights:refuse": (f"POST {S}/data-requests/{{data_request_id}}/refuse",),
    "rights:extend": (f"POST {S}/data-requests/{{data_request_id}}/extend",),
    "rights:complete": (f"POST {S}/data-requests/{{data_request_id}}/complete",),
    "rights:retry": (f"POST {S}/data-requests/{{data_request_id}}/retry",),
    "rights:leads": (
        f"GET {S}/data-protection-leads",
        f"PUT {S}/data-protection-leads/{{user_id}}",
        f"DELETE {S}/data-protection-leads/{{user_id}}",
    ),
    "rights:calendar": (
        f"GET {S}/term-dates",
        f"POST {S}/term-dates",
        f"POST {S}/term-dates/england-default",
        f"DELETE {S}/term-dates/{{period_id}}",
    ),
    # The service register and consent (CON-1 to CON-4).
    "consent:register": (f"GET {S}/consent/register",),
    "consent:service_new": (f"POST {S}/consent/register",),
    "consent:service_edit": (f"PATCH {S}/consent/register/{{entry_id}}",),
    "consent:service_delete": (
        f"GET {S}/consent/register/{{entry_id}}/impact",
        f"DELETE {S}/consent/register/{{entry_id}}",
    ),
    "consent:purposes": (f"GET {S}/consent/purposes", f"POST {S}/consent/purposes"),
    "consent:purpose_edit": (f"PATCH {S}/consent/purposes/{{purpose_id}}",),
    "consent:purpose_delete": (f"DELETE {S}/consent/purposes/{{purpose_id}}",),
    "consent:overview": (f"GET {S}/consent/published",),
    "consent:class_consent": (f"GET {S}/consent/classes/{{class_id}}/{{target}}",),
    "consent:class_consent_csv": (f"GET {S}/consent/classes/{{class_id}}/{{target}}",),
    "consent:published": (f"GET {S}/consent/published",),
    "consent:children": (f"GET {S}/consent/children",),
    "consent:child_decide": (f"PUT {S}/consent/children/{{pupil_id}}/{{target}}",),
    # Restrictions, corrections, notice versions (DSR-3, DSR-5, DSR-10).
    "school_privacy:restrictions": (f"GET {S}/restrictions",),
    "school_privacy:restriction_new": (f"POST {S}/restrictions",),
    "school_privacy:restriction": (f"GET {S}/restrictions/{{restriction_id}}",),
    "school_privacy:restriction_lift": (f"POST {S}/restrictions/{{restriction_id}}/lift",),
    "school_privacy:pupil_corrections": (
        f"GET {S}/pupils/{{pupil_id}}/corrections",
        f"POST {S}/pupils/{{pupil_id}}/corrections",
    ),
    "school_privacy:user_corrections": (
        f"GET {S}/people/{{user_id}}/corrections",
        f"POST {S}/people/{{user_id}}/corrections",
    ),
    "school_privacy:notice_alert_dismiss": (
        f"GET {S}/notice-changes",
        f"POST {S}/notice-changes/{{alert_id}}/dismiss",
    ),
    "privacy:versions": ("GET /api/privacy/notice-versions",),
    # Subject access exports (DSR-2, DSR-9).
    "school_privacy:exports": (f"GET {S}/data-exports", f"POST {S}/data-exports"),
    "school_privacy:export": (f"GET {S}/data-exports/{{export_id}}",),
    "school_privacy:download": (f"GET {S}/data-exports/{{export_id}}/download",),
    # Erasure and legal holds (DSR-4, RET-3).
    "school_privacy:holds": (f"GET {S}/privacy/holds", f"POST {S}/privacy/holds"),
    # The platform's list of schools (TEN-1, RET-5).
    "platform_schools:list": ("GET /api/platform/schools",),
    "platform_schools:detail": (
        "GET /api/platform/schools/{platform_school_id}",
        "POST /api/platform/schools/{platform_school_id}/status",
    ),
    "platform_schools:deletion": (
        "GET /api/platform/schools/{platform_school_id}/deletion",
        "POST /api/platform/schools/{platform_school_id}/deletion",
    ),
    # The breach register (SEC-3).
    "breaches:register": ("GET /api/breaches", "POST /api/breaches"),
    "breaches:detail": ("GET /api/breaches/{breach_id}", "PATCH /api/breaches/{breach_id}"),
    "breaches:school_add": ("POST /api/breaches/{breach_id}/schools",),
    "breaches:step_add": ("POST /api/breaches/{breach_id}/steps",),
    "breaches:report": ("POST /api/breaches/{breach_id}/report",),
    "school_breaches:list": (f"GET {S}/breaches",),
    "support:grants": (f"GET {S}/support-grants", f"POST {S}/support-grants"),
    "support:grant": (f"GET {S}/support-grants/{{grant_id}}/log",),
    "support:revoke": (f"POST {S}/support-grants/{{grant_id}}/revoke",),
    "school_breaches:detail": (f"GET {S}/breaches/{{breach_id}}",),
    "school_breaches:acknowledge": (f"POST {S}/breaches/{{breach_id}}/acknowledge",),
    "school_breaches:notice": (f"GET {S}/breaches/{{breach_id}}/notice",),
    "school_privacy:hold_lift": (f"POST {S}/privacy/holds/{{hold_id}}/lift",),
    "school_privacy:retention": (
        f"GET {S}/privacy/retention",
        f"PUT {S}/privacy/retention/{{key}}",
        f"DELETE {S}/privacy/retention/{{key}}",
    ),
    "school_privacy:retention_due": (f"GET {S}/privacy/retention/due",),
    "school_privacy:pupil_erasure": (
        f"GET {S}/privacy/erasure/pupils/{{pupil_id}}",
        f"POST {S}/privacy/erasure/pupils/{{pupil_id}}",
    ),
    "school_privacy:person_erasure": (
        f"GET {S}/privacy/erasure/people/{{user_id}}",
        f"POST {S}/privacy/erasure/people/{{user_id}}",
    ),
    # --- Passing a change on to the register's services (DSR-10).
    "rights:told": (
        f"GET {S}/data-requests/{{data_request_id}}/services",
        f"POST {S}/data-requests/{{data_request_id}}/services/{{entry_id}}/told",
    ),
    "school_privacy:restriction_told": (
        f"GET {S}/restrictions/{{restriction_id}}/services",
        f"POST {S}/restrictions/{{restriction_id}}/services/{{entry_id}}/told",
    ),
    "school_privacy:pupil_corrections_told": (
        f"GET {S}/pupils/{{pupil_id}}/corrections/services",
        f"POST {S}/pupils/{{pupil_id}}/corrections/services/{{entry_id}}/told",
    ),
    "school_privacy:user_corrections_told": (
        f"GET {S}/people/{{user_id}}/corrections/services",
        f"POST {S}/people/{{user_id}}/corrections/services/{{entry_id}}/told",
    ),
    # --- end of passing a change on.
    # --- A paper consent form (CON-2).
    "consent:class_paper": (
        f"PUT {S}/consent/classes/{{class_id}}/{{target}}/pupils/{{pupil_id}}/paper-form",
    ),
    # --- end of paper consent forms.
    # --- Practice answering (ASM-2, ASM-7).
    "practice:home": (f"GET {S}/practice/my-sets",),
    "practice:start": (f"POST {S}/practice/sets/{{set_id}}/attempts",),
    "practice:attempt": (f"GET {S}/practice/attempts/{{attempt_id}}",),
    "practice:answer": (f"POST {S}/practice/attempts/{{attempt_id}}/answers",),
    "practice:fair_use": (f"GET {S}/practice/fair-use",),
    "practice:reinstate": (f"POST {S}/practice/pupils/{{pupil_id}}/reinstate",),
    # --- end of practice answering.
    # --- Teachers' practice (ASM-2).
    "practice_teachers:sets": (f"GET {S}/practice/sets",),
    "practice_teachers:set_new": (f"POST {S}/practice/sets",),
    "practice_teachers:set_edit": (
        f"GET {S}/practice/sets/{{set_id}}",
        f"PATCH {S}/practice/sets/{{set_id}}",
    ),
    "practice_teachers:set_publish": (f"PATCH {S}/practice/sets/{{set_id}}",),
    "practice_teachers:set_archive": (f"PATCH {S}/practice/sets/{{set_id}}",),
    "practice_teachers:set_delete": (f"DELETE {S}/practice/sets/{{set_id}}",),
    "practice_teachers:question_new": (
        f"POST {S}/practice/sets/{{set_id}}/questions",
        f"POST {S}/practice/media",
    ),
    "practice_teachers:question_edit": (
        f"GET {S}/practice/sets/{{set_id}}/questions/{{question_id}}",
        f"PATCH {S}/practice/sets/{{set_id}}/questions/{{question_id}}",
    ),
    "practice_teachers:question_delete": (
        f"DELETE {S}/practice/sets/{{set_id}}/questions/{{question_id}}",
    ),
    "practice_teachers:question_move": (f"PUT {S}/practice/sets/{{set_id}}/questions/order",),
    "practice_teachers:media": (f"GET {S}/practice/media/{{media_id}}",),
    "practice_teachers:class_live": (f"GET {S}/practice/classes/{{class_id}}/live",),
    "practice_teachers:class_heatmap": (f"GET {S}/practice/classes/{{class_id}}/heatmap",),
    "practice_teachers:pupil_practice": (
        f"GET {S}/practice/pupils/{{pupil_id}}/summary",
        f"GET {S}/practice/pupils/{{pupil_id}}/heatmap",
    ),
    # --- end of teachers' practice.
}
PAGE_ONLY: dict[str, str] = {
    "practice:summary": "the answers of an attempt, each verdict already sent by the answer operation",
    "practice_teachers:question_preview": (
        "the question as the pupil will see it while the teacher types; nothing is stored"
    ),
    "dashboard": "sends each person to their school's page; no data of its own",
    "schools:home": "a per-role menu of links and counts the list operations already give",
    "trust:home": "a trust administrator's menu of the trust's schools",
    "schools:terms": "a person accepts the data-protection terms on the school's behalf",
    "rosters:me": "sends a pupil to their own pupil page",
    "school_accounts:pupil_signin_code": "a code shown once, to hand to the pupil in person",
    "privacy:notice": "the public privacy notice, a page for people to read",
    "health": "a probe for the proxy and monitors, JSON already, outside the API",
    "pupil_signin": "sign-in is done by a person in a browser",
    "pupil_signin_code_entry": "sign-in is done by a person in a browser",
    "pupil_signin_set_password": "sign-in is done by a person in a browser",
    "staff_register": "registration is done by a person in a browser",
    "staff_register_confirm": "the link emailed to the person registering",
    "staff_register_sso": "registration through a provider's sign-in, in a browser",
    "tracking:home": "a menu of the tracking pages",
    "tracking:subject_autolink": "a preview of links by class subject names, then the same PUT links",
    "analysis:pdf": "a printable summary for governors, a document for people",
    "analysis:pupils": "the pupils behind a figure, a page reached from the analysis tables",
    "pupil_school_find": "a pupil types their school's code to reach its sign-in page",
    "rosters:class_signin_cards": "cards with codes shown once, printed to hand out in person",
    "consent:published_pdf": "the published register as a printable document, for people",
    "privacy:version": "one earlier version of the public privacy notice, as published, to read",
}


def _walk(patterns, prefix="", namespace=None):  # type: ignore[no-untyped-def]
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace if p.namespace else namespace
            if namespace and p.namespace:
                ns = f"{namespace}:{p.namespace}"
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = (
                f"{namespace}:{p.name}"
                if namespace and p.name
                else (p.name or prefix + str(p.pattern))
            )
            yield name, prefix + str(p.pattern), p


def page_routes() -> dict[str, tuple[str, URLPattern]]:
    return {name: (pattern, p) for name, pattern, p in _walk(get_resolver().url_patterns)}


def api_operations() -> list[str]:
    from markbook.api import api

    schema = api.get_openapi_schema()
    return sorted(
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    )


def _is_allauth(pattern: URLPattern) -> bool:
    module = getattr(pattern.callback, "__module__", "") or ""
    return module.startswith(("allauth.", "django.views.generic"))


def test_every_route_is_in_the_matrix():
    missing = [
        name
        for name, (_, p) in page_routes().items()
        if not name.startswith("api:") or name in ("api:openapi-json", "api:openapi-view")
        if name not in PAGES and not _is_allauth(p)
    ]
    # API routes are checked per operation below.
    missing += [op for op in api_operations() if op not in API]
    assert missing == [], f"routes missing from the permission matrix: {missing}"


def test_every_page_has_an_api_twin_or_a_reason():
    """TEN-3, TEN-4: a page's service is reachable through the API as well (the same
    service, the same permissions), or the page is listed in PAGE_ONLY with a reason.
    Every operation named must exist; a page in both tables is a mistake."""
    pages = [
        name
        for name, (_, p) in page_routes().items()
        if not name.startswith("api:") and not _is_allauth(p)
    ]
    unmapped = [name for name in pages if name not in PAGE_API and name not in PAGE_ONLY]
    assert unmapped == [], f"pages with no API operation and no reason in PAGE_ONLY: {unmapped}"
    assert sorted(set(PAGE_API) & set(PAGE_ONLY)) == []
    assert sorted(set(PAGE_API) | set(PAGE_ONLY)) == sorted(pages), "entries for no page"
    operations = set(api_operations())
    named = {op for ops in PAGE_API.values() for op in ops}
    assert sorted(named - operations) == [], "PAGE_API names operations the API does not have"
    assert all(reason.strip() for reason in PAGE_ONLY.values())


def _pending_registration(world):  # type: ignore[no-untyped-def]
    from markbook.accounts.registration import registration_request_create
    from markbook.core.tenancy import school_scope

    with school_scope(world.a):
        return registration_request_create(
            school=world.a,
            role="pupil",
            email="new.pupil@oakfield.sch.uk",
            first_name="New",
            last_name="Pupil",
            year_group="7",
            parental_consent=True,
        )


def _kwargs(world, pattern: str) -> dict:  # type: ignore[no-untyped-def]
    values = {
        "school_id": world.a.pk,
        "platform_school_id": world.a.pk,
        "trust_id": world.a.trust_id,
        "pupil_id": world.amy.pk,
        "class_id": world.class_7a.pk,
        "year_id": world.class_7a.academic_year_id,
        "user_id": world.teacher.pk,
        "signin_slug": world.a.signin_slug,
        "provider_id": "google",
        "token": "not-a-token",
        "hold_id": 1,  # a legal hold: refused before it is looked up (DPO only)
        "key": "pupils_left",  # a retention rule (RET-2)
    }
    if "{link_id}" in pattern:
        values["link_id"] = _guardian_link(world)
    if "<int:request_id>" in pattern or "{request_id}" in pattern:
        values["request_id"] = _pending_registration(world).pk
    names = re.findall(r"<(?:\w+:)?(\w+)>|\{(\w+)\}", pattern)
    tracked = {"scale_id", "subject_id", "drop_id", "band_id", "grade_id"}
    if tracked & {a or b for a, b in names}:
        values.update(_tracking(world))
    values.update(_markbook(world, {a or b for a, b in names} - {"assignment_id"}))
    if ("assignment_id", "") in names or ("", "assignment_id") in names:
        values["assignment_id"] = _assignment(world)
    if ("trust_assignment_id", "") in names or ("", "trust_assignment_id") in names:
        values["trust_assignment_id"] = _trust_assignment(world)
    flat = {a or b for a, b in names}
    if _is_rights(pattern):
        _rights_world(world)
    if "deletion_request_id" in flat:  # DSR-7 deletions
        values["deletion_request_id"] = _deletion_request(world)
    if "data_request_id" in flat:
        values["data_request_id"] = _data_request(world, pattern)
    if "period_id" in flat:
        values["period_id"] = _calendar_period(world)
    if "grant_id" in flat:
        values["grant_id"] = _support_grant(world)
    if "breach_id" in flat:
        values["breach_id"] = _breach(world)
    if {"entry_id", "purpose_id", "target"} & {a or b for a, b in names}:
        values.update(_consent(world))
    values.update(_privacy(world, {a or b for a, b in names}))
    if ("export_id", "") in names or ("", "export_id") in names:
        values["export_id"] = _data_export(world)
    # Practice (ASM-2): a pupil's start and attempts use the built-in times tables;
    # teachers' routes (a set, its questions, a picture) use the teacher's own set.
    pupil_practice = "attempt" in pattern or "/start/" in pattern or "reinstate" in pattern
    if {"set_id", "question_id", "media_id"} & flat and not pupil_practice:
        values.update(_practice(world))
    elif "attempt_id" in flat or "/practice/" in pattern:
        values.update(_practice_answering(world, pattern))
    if ("job_id", "") in names or ("", "job_id") in names:
        values["job_id"] = _import_job(
            world, stalled=pattern.rstrip("/").endswith(("retry", "cancel"))
        )
    return {a or b: values[a or b] for a, b in names}


def _practice_answering(world, pattern: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """School A's times-tables practice (set_id), Amy's attempt at it at its first
    question (attempt_id); for a reinstatement, Amy's practice suspended (ASM-7)."""
    from markbook.core.tenancy import school_scope
    from markbook.practice import answering, banks
    from markbook.practice.models import QuestionSet, Standing

    with school_scope(world.a):
        banks.builtin_sets_ensure(school=world.a)
        tables = QuestionSet.objects.get(generator__builtin="tables-practice")
        found = {"set_id": tables.pk}
        if "attempt_id" in pattern:
            Standing.objects.filter(pupil=world.amy).update(suspended=False)
            found["attempt_id"] = answering.attempt_start(pupil=world.amy, question_set=tables).pk
        if "reinstate" in pattern:
            Standing.objects.update_or_create(
                school=world.a, pupil=world.amy, defaults={"suspended": True, "warnings": 3}
            )
    return found


def _is_rights(pattern: str) -> bool:
    """A route of data-subject requests, the lead role or term dates (DSR-6)."""
    return any(
        part in "/" + pattern
        for part in ("/requests/", "/data-requests", "/term-dates", "/data-protection-leads")
    )


def _rights_world(world) -> None:  # type: ignore[no-untyped-def]
    """The colleague (a teacher) is School A's data protection lead."""
    from markbook.accounts.models import Membership
    from markbook.core.tenancy import school_scope

    with school_scope(world.a):
        Membership.objects.get_or_create(school=world.a, user=world.colleague, role="dpo")


def _data_request(world, pattern: str) -> int:  # type: ignore[no-untyped-def]
    """The parent's request about Amy, at the stage the route's action needs: identity
    checked to approve, approved by hand to mark done, failed to retry; else received."""
    from markbook.core.tenancy import school_scope
    from markbook.rights import services
    from markbook.rights.models import DataRequest

    action = pattern.rstrip("/").rsplit("/", 1)[-1]
    if "/told" in pattern or action == "services":
        action = "told"  # a done request passed on to the register's services (DSR-10)
    with school_scope(world.a):
        r = services.data_request_create(
            actor=world.parent,
            school=world.a,
            kind="rectification" if action in ("complete", "told") else "access",
            subject_pupil=world.amy,
            requester_kind="parent",
            requester_user=world.parent,
            channel="own_page",
        )
        if action in ("approve", "complete", "told"):
            services.data_request_check_identity(
                actor=world.colleague, data_request=r, method="signed_in"
            )
        if action in ("complete", "told"):
            services.data_request_approve(actor=world.colleague, data_request=r)
        if action == "told":
            services.data_request_complete(actor=world.colleague, data_request=r, note="Fixed")
        if action == "retry":
            DataRequest.objects.filter(pk=r.pk).update(
                stage="failed", failed_stage="in_progress", attempt=1, error="Stopped"
            )
    return r.pk


# --- DSR-7 deletions
def _deletion_request(world) -> int:  # type: ignore[no-untyped-def]
    """Amy (7A, the teacher's class) asked on her own page to have her account deleted."""
    from markbook.core.tenancy import school_scope
    from markbook.rosters import services

    with school_scope(world.a):
        return services.pupil_deletion_ask(actor=world.amy.user, pupil=world.amy).pk


def _staff_fingerprint(world) -> str:  # type: ignore[no-untyped-def]
    """The impact check's fingerprint for deleting the teacher (user_id)."""
    from markbook.core.tenancy import school_scope
    from markbook.rosters import services

    with school_scope(world.a):
        impact = services.staff_delete_impact(actor=None, school=world.a, user=world.teacher)
        return str(impact.plan.fingerprint)


# --- end DSR-7 deletions


def _calendar_period(world) -> int:  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import school_scope
    from markbook.rights.models import SchoolCalendarPeriod

    with school_scope(world.a):
        return SchoolCalendarPeriod.objects.create(
            school=world.a, kind="term", name="Autumn term", start="2026-09-03", end="2026-12-18"
        ).pk


def _consent(world) -> dict:  # type: ignore[no-untyped-def]
    """School A's register (CON-1): Markbook and the default purposes, a service for
    Year 7 that needs consent, and a purpose of the school's own (CON-4)."""
    from tests.factories import consent_world

    made = consent_world(world)
    return {
        "entry_id": made["service"].pk,
        "purpose_id": made["purpose"].pk,
        "target": f"service-{made['service'].pk}",
    }


def _privacy(world, names: set[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A restriction on Amy, a notice of a changed privacy notice for School A, and a
    published version of the notice (DSR-5, DSR-10)."""
    from django.utils import timezone

    from markbook.core.tenancy import school_scope
    from markbook.privacy.models import NoticeAlert
    from markbook.privacy.notices import notice_publish
    from markbook.privacy.restriction import pupil_restriction
    from markbook.privacy.services import restriction_place

    found: dict[str, int] = {}
    if names & {"version_id", "alert_id"}:
        found["version_id"] = notice_publish(notify=False).version.pk
    with school_scope(world.a):
        if "restriction_id" in names:
            placed = pupil_restriction(world.amy) or restriction_place(
                school=world.a, subject=world.amy, kind="restriction", reason="Matrix", by=None
            )
            found["restriction_id"] = placed.pk
        if "alert_id" in names:
            found["alert_id"] = NoticeAlert.objects.create(
                school=world.a, version_id=found["version_id"], created_at=timezone.now()
            ).pk
    return found


def _now():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


def _days(n: int):  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.timedelta(days=n)


def _support_grant(world) -> int:  # type: ignore[no-untyped-def]
    """A live read-only grant of School A's roster to the platform staff member (TEN-6)."""
    from markbook.core.tenancy import school_scope
    from markbook.support.services import support_grant_create

    with school_scope(world.a):
        return support_grant_create(
            actor=world.admin,
            school=world.a,
            staff_email=world.platform_staff.email,
            reason="Matrix",
            scope="read",
            areas=["roster"],
            expires_at=_now() + _days(1),
        ).pk


def _breach(world) -> int:  # type: ignore[no-untyped-def]
    """A high-risk breach affecting School A (SEC-3)."""
    from django.utils import timezone

    from markbook.breaches import services

    breach = services.breach_record(
        actor=world.platform_staff,
        title="Matrix breach",
        detected_at=timezone.now(),
        description="For the matrix.",
        data_categories=["identity"],
        risk="high",
    )
    services.breach_school_add(actor=world.platform_staff, breach=breach, school=world.a)
    return breach.pk


def _data_export(world) -> int:  # type: ignore[no-untyped-def]
    """A ready export of Amy's data, asked for by her parent (DSR-2)."""
    from markbook.core.tenancy import school_scope
    from markbook.privacy.export.services import export_run, export_start

    with school_scope(world.a):
        item = export_start(school=world.a, requested_by=world.parent, pupil=world.amy)
        return export_run(item.pk).pk


def _guardian_link(world) -> int:  # type: ignore[no-untyped-def]
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import GuardianLink

    with school_scope(world.a):
        return GuardianLink.objects.get(pupil=world.amy, parent=world.parent).pk


def _markbook(world, names: set[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """An assignment, and a drop with its fields, of class 7A (ASM-3, ASM-4)."""
    from tests.factories import markbook_assignment, markbook_drop

    found: dict[str, int] = {}
    if "assignment_id" in names:
        found["assignment_id"] = markbook_assignment(world.class_7a).pk
    if "drop_id" in names:
        drop = markbook_drop(world.class_7a, name="7A grid drop")
        found["drop_id"] = drop.pk
        from markbook.core.tenancy import school_scope

        with school_scope(world.a):
            found["field_id"] = drop.fields.first().pk
    return found


def _assignment(world) -> int:  # type: ignore[no-untyped-def]
    """An assignment of 7A (no marks)."""
    from markbook.assessment.services import assignment_create
    from markbook.core.tenancy import school_scope

    with school_scope(world.a):
        return assignment_create(
            actor=world.teacher, teaching_class=world.class_7a, title="Quiz", max_mark=10
        ).pk


def _trust_assignment(world) -> int:  # type: ignore[no-untyped-def]
    """A trust's original set to 7A."""
    from markbook.assessment.services import trust_assignment_create
    from markbook.core.tenancy import school_scope

    with school_scope(world.a):
        return trust_assignment_create(
            actor=world.trust_admin,
            trust=world.a.trust,
            classes=[world.class_7a],
            title="Mock",
            max_mark=60,
        ).pk


def _tracking(world) -> dict:  # type: ignore[no-untyped-def]
    """School A's tracking set-up: a school-defined scale, Maths and a drop (ASM-4)."""
    from markbook.core.tenancy import school_scope
    from markbook.tracking.models import Band
    from tests.factories import tracking_world

    made = tracking_world(world)
    with school_scope(world.a):
        band = Band.objects.get(rank=3)
        grade = made["scale"].grades.order_by("rank").first()
    return {
        "scale_id": made["scale"].pk,
        "subject_id": made["subject"].pk,
        "drop_id": made["drop"].pk,
        "band_id": band.pk,
        "grade_id": grade.pk,
    }


def _import_job(world, stalled: bool = False) -> int:  # type: ignore[no-untyped-def]
    """A finished import job of School A (no upload, no task), or, for retry and
    cancel, a stalled one with its upload kept."""
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import ImportJob
    from tests.factories import stalled_import_job

    if stalled:
        return stalled_import_job(world.a, actor=world.admin).pk
    with school_scope(world.a):
        job = ImportJob.objects.create(
            school=world.a, kind="mis", status="done", filename="mis.csv", created_by=world.admin
        )
    return job.pk


def _upload(world, kind: str):  # type: ignore[no-untyped-def]
    """A valid file for an import operation: an MIS CSV, or School A's own OneRoster export."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from markbook.core.tenancy import school_scope
    from markbook.rosters.oneroster.export import oneroster_export

    if kind == "png":
        from tests.practice.helpers import PNG

        return SimpleUploadedFile("picture.png", PNG, content_type="image/png")
    if kind == "classlist":
        return SimpleUploadedFile(
            "classes.csv", b"class,first name,last name\n7A Maths,Eve,Evans\n"
        )
    if kind == "mis":
        return SimpleUploadedFile(
            "mis.csv", b"Surname,Forename,Admission No,Year\nEvans,Eve,A1,7\n"
        )
    with school_scope(world.a):
        data = oneroster_export(actor=world.admin, school=world.a)
    return SimpleUploadedFile("oneroster.zip", data, content_type="application/zip")


def _practice(world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The teacher's set of two questions and a picture they uploaded (ASM-2)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from markbook.core.tenancy import school_scope
    from markbook.practice.media import media_upload
    from markbook.practice.models import PromptMedia, Question, QuestionSet
    from tests.practice.helpers import PNG, teacher_set

    with school_scope(world.a):
        made = QuestionSet.objects.filter(title="Matrix fractions").first()
    if made is None:  # once per test: a page's and its twins' ids are the same
        made = teacher_set(world, title="Matrix fractions")
        with school_scope(world.a):
            media_upload(
                actor=world.teacher, school=world.a, upload=SimpleUploadedFile("p.png", PNG)
            )
    with school_scope(world.a):
        question = Question.objects.filter(question_set=made).order_by("position").first()
        picture = PromptMedia.objects.order_by("pk").first()
    return {"set_id": made.pk, "question_id": question.pk, "media_id": picture.pk}


def _practice_order(world) -> list[int]:  # type: ignore[no-untyped-def]
    """The matrix set's questions, last first."""
    from markbook.core.tenancy import school_scope
    from markbook.practice.models import Question

    with school_scope(world.a):
        ids = Question.objects.filter(question_set__title="Matrix fractions").order_by("-position")
        return list(ids.values_list("pk", flat=True))


def _data(world, route: Route) -> dict:  # type: ignore[no-untyped-def]
    return route.data(world) if callable(route.data) else route.data


def _as_each_role(answer: Callable[[str], tuple[str, int]], expect: dict[str, int]) -> None:
    """Ask as every role in turn, each in a savepoint rolled back afterwards (with the
    cache and the keys forgotten, as between tests), so no role sees what another's
    request changed; then fail once, listing every role that got another status."""
    from django.core.cache import cache
    from django.db import transaction

    from markbook.core import keys

    wrong = []
    for role in ROLES:
        cache.clear()
        keys.forget_cached_keys()
        with transaction.atomic():
            asked, status = answer(role)
            transaction.set_rollback(True)
        if status != expect[role]:
            wrong.append(f"{asked} as {role}: {status}, expected {expect[role]}")
    assert not wrong, "\n".join(wrong)


def _page_cases():  # type: ignore[no-untyped-def]
    for name, route in PAGES.items():
        if isinstance(route, Route):
            yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(_page_cases()))
def test_page_answers_each_role_as_the_matrix_says(client_for, world, name):
    """The page's objects are made once; each role's request runs in its own savepoint."""
    from django.urls import reverse

    route = PAGES[name]
    assert isinstance(route, Route)
    pattern, _ = page_routes()[name]
    url = reverse(name, kwargs=_kwargs(world, pattern))
    data = _data(world, route)  # made once too (some helpers keep what they made)

    def answer(role: str) -> tuple[str, int]:
        response = getattr(client_for(role), route.method)(url, data)
        return f"{route.method.upper()} {url}", response.status_code

    _as_each_role(answer, route.expect)


@pytest.mark.parametrize("role", ROLES)
def test_allauth_routes_never_fail(client_for, world, role):
    client = client_for(role)
    for _name, (pattern, p) in page_routes().items():
        if not _is_allauth(p) or "(?P<" in pattern:
            continue
        url = "/" + pattern
        assert client.get(url).status_code < 500, url


def _api_cases():  # type: ignore[no-untyped-def]
    for op in API:
        yield pytest.param(op, id=op)


@pytest.mark.parametrize("op", list(_api_cases()))
def test_api_answers_each_role_as_the_matrix_says(client_for, world, op):
    """The operation's objects are made once; each role's call runs in its own savepoint."""
    import json

    method, path = op.split(" ", 1)
    route = API[op]
    values = _kwargs(world, path.replace("{token_id}", ""))
    if "{token_id}" in path:
        from markbook.accounts.services import api_token_create

        values["token_id"] = api_token_create(user=world.admin, name="matrix")[0].pk
    url = path.format(**values)
    body = json.dumps(_data(world, route)) if method in ("POST", "PUT", "PATCH") else ""

    def answer(role: str) -> tuple[str, int]:
        kwargs = {}
        if route.upload:  # a file is read once: a new one each time
            kwargs = {"data": {"file": _upload(world, route.upload)}}
        elif body:
            kwargs = {"data": body, "content_type": "application/json"}
        response = getattr(client_for(role), method.lower())(url, **kwargs)
        return f"{method} {url} ({response.content[:200]!r})", response.status_code

    _as_each_role(answer, route.expect)
