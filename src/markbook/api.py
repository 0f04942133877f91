"""The JSON API: one NinjaAPI, a router per app (OpenAPI at /api/docs)."""

from ninja import NinjaAPI
from ninja.security import django_auth

api = NinjaAPI(
    title="Markbook API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    description=(
        "Authenticate with a session cookie or `Authorization: Bearer <token>`. "
        "Paths under /schools/{school_id}/ are scoped to that school: other schools' "
        "objects answer 404."
    ),
)
