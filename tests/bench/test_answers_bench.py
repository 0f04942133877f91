"""bench/answers.py and bench/serve.py keep working where they can without wrk or a
server: the seeded pupils are signed in (session and token), each pupil's line has
every field the Lua reads, and the servers' command lines are as documented. The
run itself (servers, wrk, PostgreSQL) is the benchmark's, not the suite's."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from tests.bench import load

answers = load("answers")
serve = answers.serve

pytestmark = pytest.mark.django_db


def test_seeded_pupils_are_signed_in_by_session_and_by_token():
    _school, pupils = answers.seed(4, log=lambda line: None)
    assert len({p.user_id for p in pupils}) == 4
    for p in pupils:
        fields = p.line().split("\t")
        assert len(fields) == 6 and fields[1] == str(p.user_id)
        session = SessionStore(session_key=p.session)
        assert session["_auth_user_id"] == str(p.user_id)
    client = Client()
    me = client.get("/api/me", headers={"authorization": f"Bearer {pupils[0].token}"})
    assert me.status_code == 200, me.content


def test_server_specs_and_command_lines():
    assert serve.parse("gunicorn-gthread:2x8") == serve.Server("gunicorn-gthread", 2, 8)
    assert serve.parse("gunicorn-sync:5") == serve.Server("gunicorn-sync", 5, 1)
    gthread = serve.parse("gunicorn-gthread:2x8").command(8123)
    assert gthread[1:3] == ["-m", "gunicorn"] and "gthread" in gthread
    assert gthread[gthread.index("--threads") + 1] == "8"
    granian = serve.parse("granian:2x4").command(8123)
    assert granian[granian.index("--interface") + 1] == "wsgi"
    assert granian[-1] == "markbook.wsgi:application"
    with pytest.raises(ValueError, match="one of"):
        serve.Server("uwsgi")


def test_the_servers_run_in_production_with_kept_connections(tmp_path):
    env = serve.server_env("postgres://x@127.0.0.1/x", str(tmp_path), "bench_settings")
    assert env["MARKBOOK_ENV"] == "production"
    assert env["MARKBOOK_DB_CONN_MAX_AGE"] == "60"


def test_the_practice_endpoint_drives_the_answer_operation():
    """The default endpoint is the practice app's answer operation (issue 12, ASM-2):
    its Lua builds an answer from the current question and reads the next one."""
    endpoint = answers.ENDPOINTS["practice"]()
    assert endpoint.name == "practice answers"
    assert "/answers" in endpoint.lua and "build(p)" in endpoint.lua
    assert "build(p)" in answers.placeholder_endpoint().lua
