"""Helpers for API tests: JSON calls as a role, with a session or a Bearer token."""

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from markbook.accounts.services import api_token_create
from tests.conftest import World


class Api:
    """A test client that speaks JSON to /api/ as one role."""

    def __init__(self, client, world: World) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.world = world

    def school(self, path: str = "", school=None) -> str:  # type: ignore[no-untyped-def]
        return f"/api/schools/{(school or self.world.a).pk}{path}"

    def call(self, method: str, url: str, body: Any = None, **extra: Any):  # type: ignore[no-untyped-def]
        kwargs: dict[str, Any] = dict(extra)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(url, **kwargs)

    def get(self, url: str, **params: Any):  # type: ignore[no-untyped-def]
        return self.client.get(url, params)

    def post(self, url: str, body: Any = None, **extra: Any):  # type: ignore[no-untyped-def]
        return self.call("post", url, body if body is not None else {}, **extra)

    def patch(self, url: str, body: Any, **extra: Any):  # type: ignore[no-untyped-def]
        return self.call("patch", url, body, **extra)

    def put(self, url: str, **extra: Any):  # type: ignore[no-untyped-def]
        return self.call("put", url, **extra)

    def delete(self, url: str, **extra: Any):  # type: ignore[no-untyped-def]
        return self.call("delete", url, **extra)


@pytest.fixture
def api_as(client_for, world):  # type: ignore[no-untyped-def]
    """api_as(role) -> an Api signed in (session) as that role's user."""
    return lambda role: Api(client_for(role), world)


@pytest.fixture
def bearer(world):  # type: ignore[no-untyped-def]
    """bearer(role) -> an Api authenticated only by a fresh personal token of that role."""
    from django.test import Client

    def make(role: str) -> Api:
        token, secret = api_token_create(user=world.user(role), name=f"{role} tests")
        api = Api(Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), world)
        api.token = token  # type: ignore[attr-defined]
        api.secret = secret  # type: ignore[attr-defined]
        return api

    return make


def count_queries(call) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content[:300]
    return len(queries)
