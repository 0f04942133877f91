"""The JSON API: one NinjaAPI, a router per app (OpenAPI at /api/docs).

Every operation answers errors as `{"detail": ..., "errors": {field: [...]}}` and
declares 401, 403, 404 and 422 (markbook.core.api).
"""

import copy
import functools
from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.security import django_auth

from markbook.accounts.api import router as accounts_router
from markbook.accounts.api_registration import router as registration_router
from markbook.assessment.api import router as assessment_router
from markbook.assessment.grid_api import router as markbook_router
from markbook.audit.api import router as audit_router
from markbook.breaches.api import router as breaches_router
from markbook.consent.api import router as consent_router
from markbook.core.api import ApiTokenAuth, install_error_handlers
from markbook.core.text import without_requirement_ids
from markbook.practice.api import router as practice_router
from markbook.practice.api_boards import router as boards_router
from markbook.practice.api_teachers import router as practice_teachers_router
from markbook.privacy.api import router as privacy_router
from markbook.privacy.api_erasure import router as privacy_erasure_router
from markbook.privacy.api_exports import router as privacy_exports_router
from markbook.privacy.retention.api import router as retention_router
from markbook.rights.api import router as rights_router
from markbook.rosters.api import router as rosters_router
from markbook.rosters.api_deletions import router as deletions_router
from markbook.rosters.api_imports import router as imports_router
from markbook.rosters.api_people import router as people_router
from markbook.rosters.api_years import router as years_router
from markbook.schools.api import router as settings_router
from markbook.schools.platform_api import router as platform_schools_router
from markbook.support.api import router as support_router
from markbook.tracking.analysis.api import router as analysis_router
from markbook.tracking.api import router as tracking_router
from markbook.tracking.api_drops import router as drops_router
from markbook.tracking.api_targets import router as targets_router


class MarkbookAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        """The OpenAPI document, its descriptions without the requirement IDs that the
        docstrings they come from cite (the docs are read by schools' developers).

        Built once per process and path prefix (the operations are fixed once the URLs
        are loaded; building it takes a second or two), a copy given each time."""
        key = repr(sorted(kwargs.items()))
        if key not in self._schemas:
            schema = super().get_openapi_schema(**kwargs)
            _plain_descriptions(schema)
            self._schemas[key] = schema
        return copy.deepcopy(self._schemas[key])

    @functools.cached_property
    def _schemas(self) -> dict[str, OpenAPISchema]:
        return {}


def _plain_descriptions(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                node[key] = without_requirement_ids(value)
            else:
                _plain_descriptions(value)
    elif isinstance(node, list):
        for item in node:
            _plain_descriptions(item)


api = MarkbookAPI(
    title="Markbook API",
    version="1",
    urls_namespace="api",
    # A Bearer token (checked by ApiTokenMiddleware), or a session cookie with CSRF.
    auth=[ApiTokenAuth(), django_auth],
    description=(
        "Authenticate with a session cookie (send the CSRF token on unsafe methods) or "
        "`Authorization: Bearer <token>` (create one on your profile page). "
        "Paths under /schools/{school_id}/ are scoped to that school: other schools' "
        "objects answer 404. Errors answer `{detail, errors}`; `errors` names each "
        "invalid field (422)."
    ),
)
install_error_handlers(api)
# First: the busiest operation (answering practice questions, ASM-2) is then matched
# first among the API's many URL patterns, which Django tries in order.
api.add_router("", practice_router)
api.add_router("", accounts_router)
api.add_router("", rosters_router)
api.add_router("", people_router)
api.add_router("", deletions_router)
api.add_router("", imports_router)
api.add_router("", years_router)
api.add_router("", audit_router)
api.add_router("", settings_router)
api.add_router("", registration_router)
api.add_router("", markbook_router)
api.add_router("", assessment_router)
api.add_router("", tracking_router)
api.add_router("", drops_router)
api.add_router("", targets_router)
api.add_router("", analysis_router)
api.add_router("", rights_router)
api.add_router("", consent_router)
api.add_router("", breaches_router)
api.add_router("", platform_schools_router)
api.add_router("", support_router)
api.add_router("", privacy_router)
api.add_router("", privacy_exports_router)
api.add_router("", privacy_erasure_router)
api.add_router("", boards_router)
api.add_router("", practice_teachers_router)
api.add_router("", retention_router)
