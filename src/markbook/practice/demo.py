"""Demo content for online practice (ASM-2, ASM-6): a few weeks of times-table practice
and timed trials for the demo pupils, so the heat maps and the leaderboards show
something real, and one practice set set as homework (ASM-1).

Realistic rather than random: each pupil has a skill, and a few facts they find hard
(answered wrongly more often, and slowly); response times are log-normal. Written with
a few bulk inserts (the demo seed stays fast), then the school's leaderboard rows are
rebuilt from them. Parents' answers on the global leaderboard are seeded here too
(most consented), since the board is what that consent is for (CON-2).
Runs inside the school's scope.
"""

import math
import random
from collections import Counter
from datetime import datetime, timedelta

from django.utils import timezone

from markbook.assessment.models import Assignment, Mark
from markbook.audit import services as audit
from markbook.consent.models import ConsentDecision, ConsentPurpose
from markbook.consent.services import GLOBAL_LEADERBOARD
from markbook.practice import boards, homework
from markbook.practice.models import Attempt, Item, QuestionSet
from markbook.rosters.models import Enrolment, GuardianLink, Pupil, TeachingClass
from markbook.schools.models import School

# Pupils who practise, at most, per school: enough for full boards, few enough to be fast.
PRACTISING = 90
# Facts many pupils find hard (the national multiplication tables check's usual suspects).
HARD = ("6x7", "7x8", "8x7", "6x8", "8x9", "9x7", "7x7", "12x7", "12x8", "8x8", "9x6", "11x12")
TABLES = tuple(range(2, 13))
WEEKS = 3
ITEMS_PER_ATTEMPT = 20
TRIAL_QUESTIONS = 25
TRIAL_SECONDS = 6


def _facts() -> list[str]:
    return [f"{a}x{b}" for a in TABLES for b in range(1, 13)]


def _moment(rng: random.Random, day_start: datetime, now: datetime) -> datetime:
    """A time in the afternoon or evening of that day, never in the future."""
    moment = day_start + timedelta(hours=rng.uniform(15, 20))
    return min(moment, now - timedelta(minutes=rng.randint(5, 90)))


def demo_practice(school: School) -> dict[str, int]:
    """Seed the school's practice history, one homework and the boards; the counts
    (seeded once: nothing happens when the school has practice sets already)."""
    if QuestionSet.objects.exists():
        return {"attempts": 0, "items": 0}
    rng = random.Random(f"practice:{school.urn or school.pk}")  # the same on every database
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tables = QuestionSet.objects.create(
        school=school,
        title="Times tables 2 to 12",
        kind=QuestionSet.Kind.TIMES_TABLES,
        question_count=ITEMS_PER_ATTEMPT,
        generator={"tables": list(TABLES), "operations": ["multiply"]},
        published=True,
    )
    trial = QuestionSet.objects.create(
        school=school,
        title="Multiplication check",
        kind=QuestionSet.Kind.TIMES_TABLES,
        mode=QuestionSet.Mode.TRIAL,
        question_count=TRIAL_QUESTIONS,
        seconds_per_question=TRIAL_SECONDS,
        generator={"tables": list(TABLES), "operations": ["multiply"]},
        published=True,
    )
    enrolled = Enrolment.objects.filter(
        teaching_class__kind=TeachingClass.Kind.TEACHING,
        teaching_class__academic_year__closed_at=None,
        pupil__status=Pupil.Status.ON_ROLL,
    ).order_by("teaching_class__name", "pupil_id")
    class_sizes: Counter[int] = Counter()
    pupil_ids: list[int] = []
    for class_id, pupil_id in enrolled.values_list("teaching_class_id", "pupil_id"):
        class_sizes[class_id] += 1
        if pupil_id not in pupil_ids:
            pupil_ids.append(pupil_id)
    # Every class's pupils first (so each class board has content), then the rest.
    chosen = pupil_ids[:PRACTISING]
    facts = _facts()
    plans: list[tuple[int, str, datetime, list[tuple[str, bool, int]]]] = []
    for pupil_id in chosen:
        skill = rng.gauss(0, 0.35)  # below 0: quicker and surer
        hard = set(rng.sample(HARD, rng.randint(2, 5)))
        sessions = []
        for week in range(WEEKS, -1, -1):
            for _ in range(rng.randint(0 if week else 1, 2)):
                if week == 0:  # this week: from Monday to now
                    days_back = rng.randint(0, timezone.localtime(now).weekday())
                else:
                    days_back = week * 7 + rng.randint(-3, 3)
                start = _moment(rng, today - timedelta(days=days_back), now)
                mode: str = (
                    QuestionSet.Mode.TRIAL if rng.random() < 0.35 else QuestionSet.Mode.PRACTICE
                )
                sessions.append((start, mode))
        for start, mode in sorted(sessions):
            count = TRIAL_QUESTIONS if mode == QuestionSet.Mode.TRIAL else ITEMS_PER_ATTEMPT
            answers = []
            for _ in range(count):
                fact = rng.choice(facts) if rng.random() > 0.25 else rng.choice(sorted(hard))
                is_hard = fact in hard
                ms = int(
                    math.exp(rng.gauss(math.log(2300) + skill + (0.7 if is_hard else 0), 0.45))
                )
                wrong = 0.06 + max(skill, -0.2) * 0.1 + (0.35 if is_hard else 0)
                answers.append((fact, rng.random() > wrong, ms))
            plans.append((pupil_id, mode, start, answers))
    attempts = [
        Attempt(
            school=school,
            pupil_id=pupil_id,
            question_set=trial if mode == QuestionSet.Mode.TRIAL else tables,
            state=Attempt.State.FINISHED,
            mode=mode,
            total=len(answers),
            seconds_per_question=TRIAL_SECONDS if mode == QuestionSet.Mode.TRIAL else None,
            answered=len(answers),
            correct_count=sum(1 for _, ok, ms in answers if ok and _in_time(mode, ms)),
            points=sum(10 for _, ok, ms in answers if ok and _in_time(mode, ms)),
            seed=rng.getrandbits(40),
            started_at=start,
            last_active_at=start + timedelta(milliseconds=sum(ms for _, _, ms in answers)),
            finished_at=start + timedelta(milliseconds=sum(ms for _, _, ms in answers)),
        )
        for pupil_id, mode, start, answers in plans
    ]
    Attempt.objects.bulk_create(attempts, batch_size=500)
    items = []
    for attempt, (pupil_id, mode, start, answers) in zip(attempts, plans, strict=True):
        moment = start
        for position, (fact, ok, ms) in enumerate(answers):
            a, b = (int(x) for x in fact.split("x"))
            timed_out = not _in_time(mode, ms)
            shown = min(ms, TRIAL_SECONDS * 1000) if mode == QuestionSet.Mode.TRIAL else ms
            right = ok and not timed_out
            items.append(
                Item(
                    school=school,
                    attempt=attempt,
                    pupil_id=pupil_id,
                    position=position,
                    fact=fact,
                    style=f"times:{a}",
                    prompt=f"{a} × {b}",
                    expected=str(a * b),
                    asked_at=moment,
                    deadline=moment + timedelta(seconds=TRIAL_SECONDS)
                    if mode == QuestionSet.Mode.TRIAL
                    else None,
                    answered_at=moment + timedelta(milliseconds=shown),
                    response=""
                    if timed_out
                    else str(a * b if ok else a * b + rng.choice((-a, a, 1, -1))),
                    correct=right,
                    timed_out=timed_out,
                    response_ms=shown,
                    points=10 if right else 0,
                )
            )
            moment += timedelta(milliseconds=shown + 400)
    Item.objects.bulk_create(items, batch_size=2000)
    consented = _consent(school, rng, chosen)
    homework_attempts = _homework(school, rng, tables, class_sizes, now)
    rows = boards.rebuild_rows(school=school)
    counts = {
        "attempts": len(attempts) + homework_attempts,
        "items": len(items),
        "pupils": len(chosen),
        "consented": consented,
        "board_rows": rows,
    }
    audit.record(actor=None, school=school, action="practice.demo.seeded", data=counts)
    return counts


def _in_time(mode: str, ms: int) -> bool:
    return mode != QuestionSet.Mode.TRIAL or ms <= TRIAL_SECONDS * 1000


def _consent(school: School, rng: random.Random, pupil_ids: list[int]) -> int:
    """Most parents of practising pupils consent to the global leaderboard (CON-2)."""
    purpose = ConsentPurpose.objects.filter(key=GLOBAL_LEADERBOARD, active=True).first()
    if purpose is None:
        return 0
    parents = dict(
        GuardianLink.objects.filter(pupil_id__in=pupil_ids)
        .order_by("pk")
        .values_list("pupil_id", "parent_id")
    )
    now = timezone.now()
    decisions = [
        ConsentDecision(
            school=school,
            pupil_id=pupil_id,
            purpose=purpose,
            version=purpose.version,
            answer="given" if rng.random() < 0.85 else "refused",
            decided_by_id=parent_id,
            decided_at=now - timedelta(days=rng.randint(10, 40)),
        )
        for pupil_id, parent_id in parents.items()
        if rng.random() < 0.8
    ]
    ConsentDecision.objects.bulk_create(decisions, batch_size=1000)
    return sum(1 for d in decisions if d.answer == "given")


def _homework(
    school: School,
    rng: random.Random,
    qset: QuestionSet,
    class_sizes: Counter[int],
    now: datetime,
) -> int:
    """One practice homework for the largest class, due in three days, its score as
    the mark: half the class done, a few started, the rest not yet. The class and the
    order of its pupils are chosen by size and id, not by name, so the demo is the
    same on every database (their collations sort names differently)."""
    if not class_sizes:
        return 0
    class_id = min(class_sizes, key=lambda c: (-class_sizes[c], c))
    teaching_class = TeachingClass.objects.get(pk=class_id)
    assignment = Assignment.objects.create(
        school=school,
        teaching_class=teaching_class,
        title="Times tables practice",
        kind=Assignment.Kind.HOMEWORK,
        due_date=timezone.localdate() + timedelta(days=3),
        max_mark=qset.question_count,
        question_set=qset,
        score_is_mark=True,
    )
    pupils = list(
        Enrolment.objects.filter(teaching_class=teaching_class)
        .order_by("pupil_id")
        .values_list("pupil_id", flat=True)
    )
    rng.shuffle(pupils)
    done, begun = math.ceil(len(pupils) * 0.5), math.ceil(len(pupils) * 0.7)
    made, marks = [], []
    for place, pupil_id in enumerate(pupils[:begun]):  # the rest not started
        started = now - timedelta(hours=rng.randint(2, 48))
        finished = place < done
        correct = rng.randint(11, qset.question_count) if finished else rng.randint(1, 8)
        attempt = Attempt(
            school=school,
            pupil_id=pupil_id,
            question_set=qset,
            assignment=assignment,
            state=Attempt.State.FINISHED if finished else Attempt.State.IN_PROGRESS,
            mode=qset.mode,
            total=qset.question_count,
            answered=qset.question_count if finished else correct + 1,
            correct_count=correct,
            points=correct * 10,
            started_at=started,
            last_active_at=started + timedelta(minutes=6),
            finished_at=started + timedelta(minutes=6) if finished else None,
        )
        made.append(attempt)
        if finished:
            marks.append(
                Mark(
                    school=school,
                    assignment=assignment,
                    pupil_id=pupil_id,
                    score=homework.practice_score(attempt, assignment),
                    from_practice=True,
                )
            )
    Attempt.objects.bulk_create(made)
    Mark.objects.bulk_create(marks)
    return len(made)
