"""Benchmark of pupils' answers over HTTP (issue 12, ASM-2), against a bare Django view.

    .venv/bin/python bench/answers.py [--seconds 60] [--pupils 1000] [--connections 64]
        [--server granian:2x8] [--compare] [--endpoint practice|placeholder]
        [--cache redis://127.0.0.1:6379/13]
        [--read live=/api/schools/{school}/practice/classes/{class}/live ...]

On a throwaway PostgreSQL database (a role without SUPERUSER or BYPASSRLS, as .ci/run
makes, so row-level security binds), migrated, with one school of `--pupils` pupils in
classes of 30, each with a sign-in session (cookie and CSRF token) and an API token:

1. bare: `GET /bench/bare`, a Django JSON view behind every middleware, no database
   work: the floor of Django under this server;
2. answers: the endpoint (`--endpoint`): each request is one pupil's answer, sent as
   that pupil (their token or session), no two requests of one pupil at once; the
   response gives the next question, which the pupil answers next.

Both are served by a production server (bench/serve.py: MARKBOOK_ENV=production,
kept database connections, the cache in Redis, `--cache`) on loopback and driven by
wrk with `--connections` connections for `--seconds` (after a warm-up). Printed per
phase: requests/s, p50, p95 and p99 latency, errors (non-2xx answers, with a sample
of their bodies, socket errors and timeouts), the ratio of answers/s to bare/s and
the machine's load average; then the check that every answer acknowledged with a
2xx is in the database. `--read` sends a teacher's GET (the live class view, a
board) every `--read-every` seconds alongside the measured answers, and prints its
p50 and p95. `--compare` runs both phases under each server configuration (gunicorn
sync, gunicorn gthread, granian) to choose one; `--rounds` repeats them in turn, as a
shared machine's load moves the figures.

The endpoint is pluggable: an `Endpoint` says how to prepare each pupil, the Lua that
builds a pupil's request and reads the response, and how to check the acknowledged
answers are stored. `practice` (the default, `practice_endpoint()`) is the practice
app's answer operation on a times-tables practice (answers worked out from the
prompt, a tenth wrong on purpose), with fair use and the answer rate limits off;
`placeholder` is one INSERT per answer (bench_urls.answer), the harness's own check.

wrk comes from Debian (`apt-get install wrk`); the script installs it when missing
and it is running as root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import import_mis as mis  # noqa: E402  (the throwaway PostgreSQL database)
import serve  # noqa: E402

ROOT = BENCH.parent
CLASS_SIZE = 30
WARM_UP_SECONDS = 5
COMPARED = ("gunicorn-sync:5", "gunicorn-gthread:2x8", "granian:2x8")


# --- The pupils ------------------------------------------------------------------------


@dataclass
class Pupil:
    """One signed-in pupil as the load generator sees them (one line of the pupils file)."""

    index: int
    user_id: int
    token: str  # API token (Authorization: Bearer ...)
    session: str  # session cookie value
    csrf: str  # CSRF cookie value, sent back in X-CSRFToken
    state: str = ""  # the endpoint's own, e.g. an attempt id and the first question

    def line(self) -> str:
        fields = (self.index, self.user_id, self.token, self.session, self.csrf, self.state)
        return "\t".join(str(f) for f in fields)


def seed(pupils: int, log: Callable[[str], None] = print) -> tuple[object, list[Pupil]]:
    """A school (terms accepted) with `pupils` pupils in classes of CLASS_SIZE, each with
    an account, a session and an API token; (school, pupils)."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string

    from markbook.accounts.models import ApiToken, Membership, User, token_digest
    from markbook.core.rows import insert_rows
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import Enrolment, TeachingClass
    from markbook.rosters.models import Pupil as PupilRow
    from markbook.schools.models import TermsAcceptance
    from markbook.schools.years import academic_year_current

    began = time.perf_counter()
    school, _admin = mis.fresh_school("answers")
    tag = school.pk
    with school_scope(school):
        TermsAcceptance.objects.create(
            school=school, version=settings.MARKBOOK_TERMS_VERSION, accepted_by_name="Bench"
        )
        user_ids = insert_rows(
            User,
            [
                {"username": f"a{tag}.pupil.{i}", "first_name": f"P{i}", "last_name": "Bench"}
                | {"email": "", "password": "!"}
                for i in range(pupils)
            ],
        )
        insert_rows(
            Membership, [{"school_id": tag, "user_id": u, "role": "pupil"} for u in user_ids]
        )
        pupil_ids = insert_rows(
            PupilRow,
            [
                {"school_id": tag, "user_id": u, "first_name": f"P{i}", "last_name": "Bench"}
                | {"username": f"answers.{i}", "year_group": "4"}
                for i, u in enumerate(user_ids)
            ],
        )
        year = academic_year_current(school)
        enrolments = []
        for c in range(0, pupils, CLASS_SIZE):
            group = TeachingClass.objects.create(
                school=school, name=f"4{c // CLASS_SIZE} Maths", academic_year=year
            )
            enrolments += [
                {"school_id": tag, "teaching_class_id": group.pk, "pupil_id": p}
                for p in pupil_ids[c : c + CLASS_SIZE]
            ]
        insert_rows(Enrolment, enrolments)
        secrets = [ApiToken.new_secret() for _ in user_ids]
        insert_rows(
            ApiToken,
            [
                {"user_id": u, "name": "bench", "digest": token_digest(s), "prefix": s[:8]}
                for u, s in zip(user_ids, secrets, strict=True)
            ],
        )
        people = []
        for i, user in enumerate(User.objects.filter(pk__in=user_ids).order_by("pk")):
            session = SessionStore()
            session["_auth_user_id"] = str(user.pk)
            session["_auth_user_backend"] = "markbook.accounts.backends.SchoolPupilBackend"
            session["_auth_user_hash"] = user.get_session_auth_hash()
            session.create()
            people.append(
                Pupil(i, user.pk, secrets[i], session.session_key or "", _get_new_csrf_string())
            )
    log(f"   seeded {pupils} pupils in {time.perf_counter() - began:.1f} s")
    return school, people


# --- The endpoints -----------------------------------------------------------------------

# The Lua every endpoint shares: the pupils of this wrk thread, each sent by one
# connection at a time (a free list), the counts and the acknowledged answers. An
# endpoint's Lua defines `build(p)` (the request for pupil `p`: wrk.format(...)) and
# `parse(status, body)` (the pupil the response is for, or nil, and the id of the answer
# it acknowledges, or nil); `auth(p)` gives the pupil's token and session headers.
LUA_COMMON = r"""
local threads = {}
local count = 0
function setup(thread)
  thread:set("tid", count)
  count = count + 1
  table.insert(threads, thread)
end

local function split(line)
  local out = {}
  for f in (line .. "\t"):gmatch("([^\t]*)\t") do out[#out + 1] = f end
  return out
end

pupils, by_user, free, acked, non2xx, unattributed, turn = {}, {}, {}, {}, 0, 0, 0
samples = {}

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS"))
  local path = os.getenv("BENCH_PUPILS") or ""
  if path ~= "" then
    local i = 0
    for line in io.lines(path) do
      if i % n == tid then
        local f = split(line)
        local p = {index = tonumber(f[1]), user = f[2], token = f[3], session = f[4],
                   csrf = f[5], state = f[6]}
        pupils[#pupils + 1] = p
        by_user[p.user] = p
        free[#free + 1] = p
      end
      i = i + 1
    end
  end
end

function auth(p)
  return {
    ["Authorization"] = "Bearer " .. p.token,
    ["Cookie"] = "sessionid=" .. p.session .. "; csrftoken=" .. p.csrf,
    ["X-CSRFToken"] = p.csrf,
    ["X-Forwarded-Proto"] = "https",
    ["Content-Type"] = "application/json",
  }
end

function request()
  local p = table.remove(free)
  if p == nil and #pupils > 0 then
    -- every pupil of this thread waits for an answer (or lost one): take turns
    turn = turn % #pupils + 1
    p = pupils[turn]
  end
  return build(p)
end

function response(status, headers, body)
  local ok = status >= 200 and status < 300
  if not ok then
    non2xx = non2xx + 1
    if #samples < 3 then samples[#samples + 1] = status .. " " .. body:sub(1, 200) end
  end
  local p, ack = parse(status, body)
  if p ~= nil then free[#free + 1] = p else unattributed = unattributed + 1 end
  if ok and ack ~= nil then acked[#acked + 1] = ack end
end

function done(summary, latency, requests)
  local out = io.open(os.getenv("BENCH_ACKED"), "w")
  local n2, lost, total = 0, 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + t:get("non2xx")
    lost = lost + t:get("unattributed")
    for _, sample in ipairs(t:get("samples")) do io.write("NON2XX ", sample, "\n") end
    for _, id in ipairs(t:get("acked")) do
      out:write(id, "\n")
      total = total + 1
    end
  end
  out:close()
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "acked": %d, ' ..
    '"unattributed": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, n2, total, lost, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""

LUA_BARE = r"""
function build(p)
  return wrk.format("GET", "/bench/bare", {["X-Forwarded-Proto"] = "https"})
end
function parse(status, body) return nil, nil end
"""


@dataclass
class Check:
    """The post-run check: how many acknowledged answers the database holds."""

    acknowledged: int
    stored: int
    rows: int  # every answer row the run wrote, acknowledged or not

    @property
    def ok(self) -> bool:
        return self.stored == self.acknowledged

    def __str__(self) -> str:
        verdict = "all stored" if self.ok else f"{self.acknowledged - self.stored} MISSING"
        return (
            f"{self.acknowledged} answers acknowledged, {self.stored} of them in the database "
            f"({verdict}); {self.rows} rows written in all"
        )


@dataclass
class Endpoint:
    """How the answers phase drives one endpoint.

    - `prepare(pupils)`: in the harness process (Django set up on the database),
      before the servers start; may fill each pupil's `state` (tab-free text the Lua
      sees as `p.state`);
    - `lua`: defines `build(p)` and `parse(status, body)` (see LUA_COMMON);
    - `check(acked)`: after the run, given the ids `parse` acknowledged.
    """

    name: str
    lua: str
    check: Callable[[list[str]], Check]
    prepare: Callable[[list[Pupil]], None] = field(default=lambda pupils: None)
    # Settings for the servers and the harness (environment variables).
    env: dict[str, str] = field(default_factory=dict)
    # Before every wrk run: each pupil's `state` afresh (None: it stays as prepared).
    refresh: Callable[[list[Pupil]], None] | None = None
    # Given the seeded school, before `prepare`.
    bind: Callable[[object], None] = field(default=lambda school: None)


def placeholder_endpoint() -> Endpoint:
    """One INSERT per answer (bench_urls.answer): the stand-in until the practice app."""

    def prepare(pupils: list[Pupil]) -> None:
        from bench_urls import TABLE_SQL
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(TABLE_SQL)
        for p in pupils:
            p.state = "7x8"

    def check(acked: list[str]) -> Check:
        from django.db import connection

        ids = [int(a) for a in acked]
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_answer WHERE id = ANY(%s)", [ids])
            (stored,) = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM bench_answer")
            (rows,) = cursor.fetchone()
        return Check(len(set(ids)), stored, rows)

    lua = r"""
function build(p)
  local a, b = p.state:match("(%d+)x(%d+)")
  local body = string.format('{"question": "%s", "answer": %d}', p.state, a * b)
  return wrk.format("POST", "/api/bench/answer", auth(p), body)
end
function parse(status, body)
  local id = body:match('"id": (%d+)')
  local p = by_user[body:match('"user": (%d+)') or ""]
  if p ~= nil then p.state = body:match('"next": "(%d+x%d+)"') or p.state end
  return p, id
end
"""
    return Endpoint("placeholder (one INSERT)", lua, check, prepare)


# The practice answers' settings on the servers (and the harness): no fair use (its
# script-like pupils would be warned and suspended) and no answer rate limits (a pupil
# answers far faster than a child could), as bench/practice.py has them.
PRACTICE_ENV = {
    "MARKBOOK_PRACTICE_FAIR_USE": "0",
    "MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE": "0",
    "MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS": "0",
}
# Long attempts: no pupil finishes one during a run (the run would restart none).
PRACTICE_QUESTIONS = 30_000  # a small integer field
# The share of answers the Lua gets wrong on purpose (both verdicts' paths run).
WRONG_SHARE = 0.1


def practice_endpoint() -> Endpoint:
    """The practice app's answer operation (ASM-2, issue 12).

    - `prepare`: the school's built-in sets; one attempt per pupil at the times-tables
      PRACTICE set (no deadlines), started through `answering.attempt_start`, its id,
      its current question's position and prompt in `p.state` ("id|position|prompt");
    - `refresh` (before every wrk run): the same, read again from the database, as a
      run ends with answers sent but not read;
    - Lua: `POST /api/schools/{school}/practice/attempts/{id}/answers` with the current
      position and the answer worked out from the prompt (7 times 8 is 56, 56 by 7 is
      8), wrong on purpose `WRONG_SHARE` of the time; the response names the attempt
      (so the pupil) and gives the next question's position and prompt; every 2xx
      answer is acknowledged as its attempt's id;
    - `check`: per attempt, the answered items in the database against the 2xx
      answers counted: each pupil must have at least as many stored as acknowledged
      (an answer sent as a run ended may be stored without its response being read).
    """
    from collections import Counter

    school: dict[str, object] = {}

    def _states(pupils: list[Pupil]) -> None:
        from markbook.core.tenancy import school_scope
        from markbook.practice.models import Attempt

        with school_scope(school["school"]):
            rows = {
                a.pupil.user_id: a
                for a in Attempt.objects.select_related("pupil", "current").filter(
                    question_set=school["set"], state=Attempt.State.IN_PROGRESS
                )
            }
        for p in pupils:
            attempt = rows[p.user_id]
            assert attempt.current is not None
            p.state = f"{attempt.pk}|{attempt.current.position}|{attempt.current.prompt}"

    def prepare(pupils: list[Pupil]) -> None:
        from markbook.core.tenancy import school_scope
        from markbook.practice import answering, banks
        from markbook.practice.models import QuestionSet
        from markbook.rosters.models import Pupil as PupilRow

        began = time.perf_counter()
        target = school["school"]
        with school_scope(target):
            banks.builtin_sets_ensure(school=target)  # type: ignore[arg-type]
            tables = QuestionSet.objects.get(generator__builtin="tables-practice")
            assert tables.mode == QuestionSet.Mode.PRACTICE
            tables.question_count = PRACTICE_QUESTIONS
            tables.save(update_fields=["question_count"])
            school["set"] = tables
            rows = {r.user_id: r for r in PupilRow.objects.select_related("school")}
            for p in pupils:
                answering.attempt_start(pupil=rows[p.user_id], question_set=tables)
        _states(pupils)
        print(f"   started {len(pupils)} attempts in {time.perf_counter() - began:.1f} s")

    def check(acked: list[str]) -> Check:
        from django.db.models import Count

        from markbook.core.tenancy import school_scope
        from markbook.practice.models import Item

        counted = Counter(int(a) for a in acked)
        with school_scope(school["school"]):
            stored = dict(
                Item.objects.filter(answered_at__isnull=False)
                .values_list("attempt_id")
                .annotate(n=Count("id"))
                .values_list("attempt_id", "n")
            )
        kept = sum(min(n, stored.get(a, 0)) for a, n in counted.items())
        short = [a for a, n in counted.items() if stored.get(a, 0) < n]
        if short:
            print(f"   attempts with fewer answers stored than acknowledged: {short[:10]}")
        return Check(sum(counted.values()), kept, sum(stored.values()))

    lua = (
        f'local SCHOOL = os.getenv("BENCH_SCHOOL")\nlocal WRONG = {WRONG_SHARE}\n'
        + r"""
local by_attempt = {}
local function solve(prompt)
  local a, op, b = prompt:match("^(%d+)%s*(.-)%s*(%d+)$")
  a, b = tonumber(a), tonumber(b)
  if a == nil or b == nil then return "0" end
  -- "×" (JSON may send it as \u00d7) multiplies; "÷" (\u00f7) divides
  if op == "÷" or op:find("f7") then return tostring(math.floor(a / b)) end
  return tostring(a * b)
end

function build(p)
  if p.attempt == nil then
    local id, position, prompt = p.state:match("^(%d+)|(%d+)|(.*)$")
    p.attempt, p.position, p.prompt = id, position, prompt
    by_attempt[id] = p
  end
  local answer = solve(p.prompt)
  if math.random() < WRONG then answer = tostring(tonumber(answer) + 1) end
  local body = string.format('{"position": %s, "response": "%s"}', p.position, answer)
  local path = "/api/schools/" .. SCHOOL .. "/practice/attempts/" .. p.attempt .. "/answers"
  return wrk.format("POST", path, auth(p), body)
end

function parse(status, body)
  local id = body:match('"attempt":%s*{%s*"id":%s*(%d+)')
  local p = by_attempt[id or ""]
  if p == nil then return nil, nil end
  local position, prompt = body:match(
    '"question":%s*{%s*"position":%s*(%d+),%s*"prompt":%s*"([^"]*)"')
  if position ~= nil then p.position, p.prompt = position, prompt end
  if status >= 200 and status < 300 then return p, id end
  return p, nil
end
"""
    )

    endpoint = Endpoint("practice answers", lua, check, prepare)
    endpoint.env = PRACTICE_ENV
    endpoint.refresh = _states
    endpoint.bind = lambda target: school.update(school=target)
    return endpoint


ENDPOINTS: dict[str, Callable[[], Endpoint]] = {
    "placeholder": placeholder_endpoint,
    "practice": practice_endpoint,
}


# --- A teacher's reads alongside ---------------------------------------------------------


@dataclass
class Read:
    """A teacher's GET sent alongside the answers (the live class view, a board)."""

    label: str
    path: str
    token: str
    every: float  # seconds between two of them (one at a time)


@dataclass
class ReadFigures:
    label: str
    latencies_ms: list[float]
    errors: int

    def __str__(self) -> str:
        if not self.latencies_ms:
            return f"{self.label}: NO ANSWER ({self.errors} errors)"
        got = sorted(self.latencies_ms)

        def pct(q: float) -> float:
            return got[min(len(got) - 1, max(0, int(len(got) * q + 0.5) - 1))]

        return (
            f"{self.label}: {len(got)} reads, p50 {pct(0.5):.1f} ms, p95 {pct(0.95):.1f} ms, "
            f"max {got[-1]:.1f} ms, errors {self.errors}"
        )


def teacher_reads(school: object, specs: list[str], every: float) -> list[Read]:
    """A teacher of the first class, with an API token, and their reads."""
    from markbook.accounts.models import ApiToken, Membership, User, token_digest
    from markbook.core.tenancy import school_scope
    from markbook.rosters.models import ClassTeacher, TeachingClass

    with school_scope(school):
        user = User.objects.create(
            username=f"a{school.pk}.teacher",
            first_name="T",
            last_name="Bench",
            email="",  # type: ignore[attr-defined]
        )
        Membership.objects.create(school=school, user=user, role=Membership.Role.TEACHER)
        group = TeachingClass.objects.order_by("pk").first()
        assert group is not None
        ClassTeacher.objects.create(school=school, teaching_class=group, teacher=user)
        secret = ApiToken.new_secret()
        ApiToken.objects.create(
            user=user, name="bench", digest=token_digest(secret), prefix=secret[:8]
        )
    reads = []
    for spec in specs:
        label, _, path = spec.partition("=")
        path = path.replace("{school}", str(school.pk)).replace("{class}", str(group.pk))  # type: ignore[attr-defined]
        reads.append(Read(label, path, secret, every))
    return reads


@contextmanager
def reading(base_url: str, reads: list[Read]) -> Iterator[list[ReadFigures]]:
    """Each read in its own thread, one at a time every `every` seconds, until the
    block ends; their figures, filled in when it ends."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    stop = threading.Event()
    out: list[ReadFigures] = []
    host = urlsplit(base_url)

    def loop(read: Read, figures: ReadFigures) -> None:
        conn = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
        headers = {"Authorization": f"Bearer {read.token}", "X-Forwarded-Proto": "https"}
        while not stop.is_set():
            began = time.perf_counter()
            try:
                conn.request("GET", read.path, headers=headers)
                response = conn.getresponse()
                response.read()
                if 200 <= response.status < 300:
                    figures.latencies_ms.append((time.perf_counter() - began) * 1000)
                else:
                    figures.errors += 1
            except (OSError, http.client.HTTPException):
                figures.errors += 1
                conn.close()
            stop.wait(max(0.0, read.every - (time.perf_counter() - began)))
        conn.close()

    threads = []
    for read in reads:
        figures = ReadFigures(read.label, [], 0)
        out.append(figures)
        threads.append(threading.Thread(target=loop, args=(read, figures), daemon=True))
    for t in threads:
        t.start()
    try:
        yield out
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)


# --- wrk ---------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk command; installed from Debian (apt-get) when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("== installing wrk (apt-get install wrk)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("This benchmark needs wrk: apt-get install wrk (Debian's package).")
    return found


@dataclass
class Figures:
    phase: str
    server: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    acked: list[str]
    load: float = 0.0  # the machine's 1-minute load average after the run
    reads: list[ReadFigures] = field(default_factory=list)  # sent alongside, if any

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    *,
    base_url: str,
    lua: str,
    seconds: int,
    connections: int,
    threads: int,
    pupils_file: Path | None,
    work: Path,
) -> dict[str, object]:
    """One wrk run of the script; the figures its done() printed, and the acked ids."""
    script = work / "run.lua"
    script.write_text(LUA_COMMON + lua)
    acked = work / "acked.txt"
    env = {
        **os.environ,
        "BENCH_THREADS": str(threads),
        "BENCH_PUPILS": str(pupils_file or ""),
        "BENCH_ACKED": str(acked),
    }
    command = [
        *(ensure_wrk(), "--threads", str(threads), "--connections", str(connections)),
        *("--duration", f"{seconds}s", "--timeout", "10s", "--script", str(script), base_url),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")),
        None,
    )
    if line is None:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    for sample in (x for x in done.stdout.splitlines() if x.startswith("NON2XX ")):
        print(f"   {sample}", flush=True)
    figures: dict[str, object] = json.loads(line.removeprefix("BENCH_JSON "))
    figures["acked_ids"] = acked.read_text().split()
    return figures


def measure(
    phase: str,
    server: serve.Server,
    base_url: str,
    lua: str,
    args: argparse.Namespace,
    pupils_file: Path | None,
    work: Path,
    before: Callable[[], None] | None = None,
    reads: list[Read] | None = None,
) -> Figures:
    """A warm-up run, then the measured one (`before` each: the pupils file afresh),
    with `reads` sent alongside the measured one."""
    run = {
        "base_url": base_url,
        "lua": lua,
        "connections": args.connections,
        "threads": args.wrk_threads,
        "pupils_file": pupils_file,
        "work": work,
    }
    if before is not None:
        before()
    warm = run_wrk(seconds=WARM_UP_SECONDS, **run)  # type: ignore[arg-type]
    if before is not None:
        before()
    with reading(base_url, reads or []) as read:
        got = run_wrk(seconds=args.seconds, **run)  # type: ignore[arg-type]
    for r in read:
        print(f"   {r}", flush=True)
    errors = sum(int(got[k]) for k in ("connect", "read", "write", "timeout"))  # type: ignore[call-overload]
    figures = Figures(
        phase=phase,
        server=server.label,
        requests=int(got["requests"]),  # type: ignore[call-overload]
        seconds=int(got["duration_us"]) / 1e6,  # type: ignore[call-overload]
        p50_ms=int(got["p50_us"]) / 1000,  # type: ignore[call-overload]
        p95_ms=int(got["p95_us"]) / 1000,  # type: ignore[call-overload]
        p99_ms=int(got["p99_us"]) / 1000,  # type: ignore[call-overload]
        non2xx=int(got["non2xx"]),  # type: ignore[call-overload]
        socket_errors=errors,
        acked=list(warm["acked_ids"]) + list(got["acked_ids"]),  # type: ignore[call-overload]
        load=os.getloadavg()[0],
        reads=read,
    )
    if figures.requests == 0:
        print(f"   {phase}: NO ANSWER in {args.seconds} s (server stalled? see its log)")
    print(
        f"   {phase:<28} {figures.per_second:8.0f} req/s  p50 {figures.p50_ms:6.1f} ms  "
        f"p95 {figures.p95_ms:6.1f} ms  p99 {figures.p99_ms:6.1f} ms  "
        f"non-2xx {figures.non2xx}  socket errors {errors}  load {figures.load:.1f}",
        flush=True,
    )
    return figures


def report(results: list[tuple[Figures, Figures]], check: Check | None) -> str:
    lines = [
        f"{'server':<44} {'phase':<28} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'non-2xx':>8} {'sock err':>8} {'ratio':>6} {'load':>5}"
    ]
    for bare, answers in results:
        for f in (bare, answers):
            ratio = f.per_second / bare.per_second if bare.per_second else 0.0
            lines.append(
                f"{f.server:<44} {f.phase:<28} {f.per_second:8.0f} {f.p50_ms:7.1f} "
                f"{f.p95_ms:7.1f} {f.p99_ms:7.1f} {f.non2xx:8d} {f.socket_errors:8d} "
                f"{ratio:6.2f} {f.load:5.1f}"
            )
    for _bare, answers in results:
        lines += [f"alongside {answers.server}: {r}" for r in answers.reads]
    if check is not None:
        lines.append(f"check: {check}")
    return "\n".join(lines)


# --- The run -----------------------------------------------------------------------------


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ.update(serve.server_env(database_url, data_dir, "bench_settings"))
    os.environ["MARKBOOK_DB_CONN_MAX_AGE"] = "0"
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    mis._check_rls()


def _drained(quiet: float = 1.0, longest: float = 30.0) -> None:
    """Wait until the server has finished the requests wrk left in flight as it stopped
    (no other session of the database busy for `quiet` seconds), so the pupils' state
    read next is the one they will answer."""
    from django.db import connection

    deadline = time.monotonic() + longest
    calm_since = time.monotonic()
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            (busy,) = cursor.fetchone()
        if busy:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= quiet:
            return
        time.sleep(0.1)


def run(args: argparse.Namespace, database_url: str) -> tuple[list[tuple[Figures, Figures]], Check]:
    endpoint = ENDPOINTS[args.endpoint]()
    servers = [serve.parse(s) for s in (COMPARED if args.compare else [args.server])]
    servers *= args.rounds
    os.environ.update(endpoint.env)
    if args.cache:
        os.environ["MARKBOOK_CACHE_URL"] = args.cache  # the servers' and the harness's
    with tempfile.TemporaryDirectory(prefix="markbook-answers-") as tmp:
        work = Path(tmp)
        print(f"== seeding {args.pupils} pupils on PostgreSQL", flush=True)
        _setup_django(database_url, tmp)
        school, pupils = seed(args.pupils)
        os.environ["BENCH_SCHOOL"] = str(school.pk)  # type: ignore[attr-defined]
        endpoint.bind(school)
        endpoint.prepare(pupils)
        pupils_file = work / "pupils.tsv"
        from django.db import connection

        def write_pupils() -> None:
            if endpoint.refresh is not None:
                _drained()
                endpoint.refresh(pupils)
                connection.close()
            pupils_file.write_text("".join(p.line() + "\n" for p in pupils))

        write_pupils()
        reads = teacher_reads(school, args.read, args.read_every) if args.read else []
        connection.close()  # the servers' connections only, while measuring
        results, acked = [], []
        for server in servers:
            print(
                f"== {server.label}: {args.connections} connections, {args.seconds} s",
                flush=True,
            )
            with serve.serving(server, database_url=database_url, data_dir=tmp) as url:
                bare = measure("bare view", server, url, LUA_BARE, args, None, work)
                answers = measure(
                    endpoint.name,
                    server,
                    url,
                    endpoint.lua,
                    args,
                    pupils_file,
                    work,
                    before=write_pupils,
                    reads=reads,
                )
            results.append((bare, answers))
            acked += answers.acked
        check = endpoint.check(acked)
    return results, check


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="each measured run (60)")
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--server",
        default=f"{serve.CHOSEN}:2x8",
        help="KIND:WORKERS[xTHREADS], KIND one of " + ", ".join(serve.KINDS),
    )
    parser.add_argument("--compare", action="store_true", help="each of " + ", ".join(COMPARED))
    parser.add_argument(
        "--rounds", type=int, default=1, help="run every server this many times, in turn"
    )
    parser.add_argument("--endpoint", choices=sorted(ENDPOINTS), default="practice")
    parser.add_argument(
        "--cache",
        default="redis://127.0.0.1:6379/13",
        help="MARKBOOK_CACHE_URL of the servers (Redis: the live view and the answer "
        "throttle's counters stay out of the database); empty for each process's memory",
    )
    parser.add_argument(
        "--read",
        action="append",
        metavar="LABEL=PATH",
        help="a teacher's GET sent alongside the answers, every --read-every seconds, its "
        "p95 printed; {school} and {class} in PATH are the school's and the teacher's "
        "class's ids (e.g. live=/api/schools/{school}/practice/classes/{class}/live)",
    )
    parser.add_argument("--read-every", type=float, default=1.0)
    parser.add_argument(
        "--postgres", metavar="URL", help="a database of a role without BYPASSRLS to use"
    )
    args = parser.parse_args(argv)
    if args.connections < args.wrk_threads:
        parser.error("--connections must be at least --wrk-threads")
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    ensure_wrk()
    if args.postgres:
        results, check = run(args, args.postgres)
    else:
        if not mis._postgres_up():
            raise SystemExit("PostgreSQL is not answering on 127.0.0.1:5432.")
        with mis.ThrowawayPostgres() as url:
            results, check = run(args, url)
    print()
    print(report(results, check))
    if not check.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
