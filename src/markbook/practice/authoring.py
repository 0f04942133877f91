"""Teachers' own question sets (ASM-2): writes, keyword-only, atomic and audited.

A teacher's set (`kind=custom`) holds numeric questions (an answer, a tolerance
either side, optional units) and multiple-choice questions (2-6 options, one or
several correct), each possibly with an image or audio prompt (practice.media). A set
is practised (`practice`) or a timed trial (`trial`: `question_count` questions,
`seconds_per_question` each), and pupils see it only once it is published.

Bad input raises `ValidationError({field: [message]})` and writes nothing. A change
bumps the set's `version` and writes one audit event; a form saved unchanged changes
nothing at all (no event, no version). `clean_question` is the one set of rules, used
by the live preview too (nothing saved).
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from markbook.accounts.models import User
from markbook.audit import services as audit
from markbook.practice.models import Item, PromptMedia, Question, QuestionSet
from markbook.schools.models import School

MAX_QUESTIONS_ASKED = 200
MAX_SECONDS = 600
MIN_CHOICES, MAX_CHOICES = 2, 6
# Answers are stored with 6 decimal places and up to 12 digits before the point.
NUMBER_LIMIT = Decimal("999999999999")


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _text(value: Any, name: str, label: str, limit: int, required: bool = True) -> str:
    text = str(value if value is not None else "").strip()
    if required and not text:
        raise _fail(name, f"Give the {label}.")
    if len(text) > limit:
        raise _fail(name, f"The {label} is longer than {limit} characters.")
    return text


def _number(value: Any, name: str, label: str) -> Decimal:
    if value is None or str(value).strip() == "":
        raise _fail(name, f"Give the {label}.")
    try:
        number = (
            value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
        )
    except (InvalidOperation, ValueError):
        raise _fail(
            name, f"The {label} must be a number, like 42 or 3.5; {value!r} is not."
        ) from None
    if not number.is_finite():
        raise _fail(name, f"The {label} must be a number, like 42 or 3.5; {value!r} is not.")
    if abs(number) > NUMBER_LIMIT:
        raise _fail(name, f"The {label} is too large (at most {NUMBER_LIMIT}).")
    if number != number.quantize(Decimal("0.000001")):
        raise _fail(name, f"The {label} has more than 6 decimal places.")
    return number.quantize(Decimal("0.000001"))


def _whole(value: Any, name: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _fail(name, f"The {label} must be a whole number from {low} to {high}.") from None
    if not low <= number <= high:
        raise _fail(name, f"The {label} must be from {low} to {high}; {number} is not.")
    return number


# --- Sets ---------------------------------------------------------------------------


@dataclass
class SetFields:
    title: str
    description: str
    mode: str
    question_count: int
    seconds_per_question: int | None


def clean_set(
    *,
    school: School,
    title: Any,
    description: Any = "",
    mode: Any = QuestionSet.Mode.PRACTICE,
    question_count: Any = 10,
    seconds_per_question: Any = None,
    exclude_pk: int | None = None,
) -> SetFields:
    """A set's settings checked: a title unique in the school, practice or trial, how
    many questions an attempt asks, and for a trial the seconds per question."""
    title_text = _text(title, "title", "set a title", 200)
    others = QuestionSet.objects.filter(school=school, title__iexact=title_text)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise _fail("title", f"The school already has a practice set called {title_text!r}.")
    if mode not in QuestionSet.Mode.values:
        raise _fail("mode", f"{mode!r} is not a mode; use practice or trial.")
    count = _whole(question_count, "question_count", "number of questions", 1, MAX_QUESTIONS_ASKED)
    seconds: int | None = None
    if mode == QuestionSet.Mode.TRIAL:
        if seconds_per_question in (None, ""):
            raise _fail("seconds_per_question", "A timed trial needs the seconds per question.")
        seconds = _whole(
            seconds_per_question, "seconds_per_question", "seconds per question", 1, MAX_SECONDS
        )
    elif seconds_per_question not in (None, ""):
        # Practice is untimed: a time given is checked, then not kept.
        _whole(seconds_per_question, "seconds_per_question", "seconds per question", 1, MAX_SECONDS)
    return SetFields(
        title=title_text,
        description=_text(description, "description", "description", 2000, required=False),
        mode=str(mode),
        question_count=count,
        seconds_per_question=seconds,
    )


def set_values(s: QuestionSet) -> dict[str, Any]:
    return {
        "title": s.title,
        "description": s.description,
        "mode": s.mode,
        "question_count": s.question_count,
        "seconds_per_question": s.seconds_per_question,
    }


def _bump(question_set: QuestionSet) -> None:
    QuestionSet.objects.filter(pk=question_set.pk).update(version=F("version") + 1)
    question_set.refresh_from_db(fields=["version", "updated_at"])


def _editable(question_set: QuestionSet) -> None:
    if question_set.kind != QuestionSet.Kind.CUSTOM:
        raise _fail("question_set", "A generated set's questions are made by Markbook, not edited.")


@transaction.atomic
def question_set_create(
    *,
    actor: User | None,
    school: School,
    title: Any,
    description: Any = "",
    mode: Any = QuestionSet.Mode.PRACTICE,
    question_count: Any = 10,
    seconds_per_question: Any = None,
) -> QuestionSet:
    """A teacher's new set of their own questions, unpublished until it has some (ASM-2)."""
    fields = clean_set(
        school=school,
        title=title,
        description=description,
        mode=mode,
        question_count=question_count,
        seconds_per_question=seconds_per_question,
    )
    created = QuestionSet.objects.create(
        school=school, kind=QuestionSet.Kind.CUSTOM, created_by=actor, **vars(fields)
    )
    audit.record(
        actor=actor,
        school=school,
        action="practice.set.created",
        target=created,
        data={"title": created.title, "mode": created.mode},
    )
    return created


@transaction.atomic
def question_set_update(
    *,
    actor: User | None,
    question_set: QuestionSet,
    title: Any,
    description: Any = "",
    mode: Any = QuestionSet.Mode.PRACTICE,
    question_count: Any = 10,
    seconds_per_question: Any = None,
) -> bool:
    """Change a set's settings; whether anything changed (saved unchanged: nothing written)."""
    _editable(question_set)
    fields = clean_set(
        school=question_set.school,
        title=title,
        description=description,
        mode=mode,
        question_count=question_count,
        seconds_per_question=seconds_per_question,
        exclude_pk=question_set.pk,
    )
    before = set_values(question_set)
    after = vars(fields)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changed:
        return False
    for name, value in after.items():
        setattr(question_set, name, value)
    question_set.version += 1
    question_set.save(update_fields=[*after, "version", "updated_at"])
    audit.record(
        actor=actor,
        school=question_set.school_id,
        action="practice.set.changed",
        target=question_set,
        data={"changed": {k: [str(a), str(b)] for k, (a, b) in changed.items()}},
    )
    return True


@transaction.atomic
def question_set_publish(*, actor: User | None, question_set: QuestionSet, published: bool) -> bool:
    """Show the set to pupils (it needs a question first) or hide it again."""
    if question_set.published == published:
        return False
    if published and question_set.kind == QuestionSet.Kind.CUSTOM:
        if not Question.objects.filter(question_set=question_set).exists():
            raise _fail("published", "Add a question before publishing the set.")
        if question_set.archived:
            raise _fail("published", "Restore the set from the archive before publishing it.")
    question_set.published = published
    question_set.version += 1
    question_set.save(update_fields=["published", "version", "updated_at"])
    audit.record(
        actor=actor,
        school=question_set.school_id,
        action="practice.set.published" if published else "practice.set.unpublished",
        target=question_set,
        data={"title": question_set.title},
    )
    return True


@transaction.atomic
def question_set_archive(*, actor: User | None, question_set: QuestionSet, archived: bool) -> bool:
    """Archive a set (hidden from pupils, its pupils' answers kept) or restore it."""
    if question_set.archived == archived:
        return False
    question_set.archived = archived
    update = ["archived", "version", "updated_at"]
    if archived and question_set.published:
        question_set.published = False
        update.append("published")
    question_set.version += 1
    question_set.save(update_fields=update)
    audit.record(
        actor=actor,
        school=question_set.school_id,
        action="practice.set.archived" if archived else "practice.set.restored",
        target=question_set,
        data={"title": question_set.title},
    )
    return True


@dataclass
class SetImpact:
    """What deleting a set takes with it: its questions, and pupils' attempts and answers."""

    questions: int
    attempts: int
    answers: int
    pupils: int

    @property
    def answered(self) -> bool:
        return self.answers > 0 or self.attempts > 0


def question_set_impact(question_set: QuestionSet) -> SetImpact:
    """Counts for the question asked before a set is deleted (three queries)."""
    from django.db.models import Count

    from markbook.practice.models import Attempt

    attempts = Attempt.objects.filter(question_set=question_set).aggregate(
        n=Count("pk"), pupils=Count("pupil", distinct=True)
    )
    answers = Item.objects.filter(
        attempt__question_set=question_set, answered_at__isnull=False
    ).count()
    return SetImpact(
        questions=Question.objects.filter(question_set=question_set).count(),
        attempts=attempts["n"],
        answers=answers,
        pupils=attempts["pupils"],
    )


@transaction.atomic
def question_set_delete(*, actor: User | None, question_set: QuestionSet) -> SetImpact:
    """Delete a teacher's set with its questions and the attempts and answers made at it
    (the pages and API ask first when pupils have answered; archiving keeps them)."""
    _editable(question_set)
    impact = question_set_impact(question_set)
    audit.record(
        actor=actor,
        school=question_set.school_id,
        action="practice.set.deleted",
        target=question_set,
        data={"title": question_set.title, **vars(impact)},
    )
    question_set.delete()
    return impact


# --- Questions ----------------------------------------------------------------------


@dataclass
class QuestionFields:
    kind: str
    prompt: str
    answer: Decimal | None = None
    tolerance: Decimal = Decimal("0.000000")
    units: str = ""
    choices: list[str] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)


def _indexes(value: Any, count: int) -> list[int]:
    if isinstance(value, str | int):
        value = [value]
    picked: set[int] = set()
    for one in value or []:
        try:
            index = int(str(one).strip())
        except ValueError:
            raise _fail("correct", f"{one!r} is not an option number.") from None
        if not 0 <= index < count:
            raise _fail("correct", f"Option {index + 1} is not one of the {count} options.")
        picked.add(index)
    return sorted(picked)


def clean_question(
    *,
    kind: Any,
    prompt: Any,
    answer: Any = None,
    tolerance: Any = None,
    units: Any = "",
    choices: Any = None,
    correct: Any = None,
) -> QuestionFields:
    """One question checked (ASM-2): a prompt; numeric: an answer that is a number, a
    tolerance of 0 or more, optional units; multiple choice: 2-6 options, each given
    once, and at least one of them correct (option indexes count from 0)."""
    if kind not in Question.Kind.values:
        raise _fail("kind", f"{kind!r} is not a kind of question; use numeric or choice.")
    text = _text(prompt, "prompt", "question", 2000)
    if kind == Question.Kind.NUMERIC:
        number = _number(answer, "answer", "answer")
        within = (
            Decimal("0.000000")
            if tolerance in (None, "")
            else _number(tolerance, "tolerance", "tolerance")
        )
        if within < 0:
            raise _fail("tolerance", "The tolerance must be 0 or more.")
        return QuestionFields(
            kind=str(kind),
            prompt=text,
            answer=number,
            tolerance=within,
            units=_text(units, "units", "units", 30, required=False),
        )
    options = [str(c).strip() for c in (choices or []) if str(c or "").strip()]
    if not MIN_CHOICES <= len(options) <= MAX_CHOICES:
        raise _fail(
            "choices",
            f"A multiple-choice question needs {MIN_CHOICES} to {MAX_CHOICES} options; "
            f"it has {len(options)}.",
        )
    for option in options:
        if len(option) > 200:
            raise _fail("choices", "An option is longer than 200 characters.")
    if len({o.casefold() for o in options}) != len(options):
        raise _fail("choices", "Two options are the same; give each option once.")
    right = _indexes(correct, len(options))
    if not right:
        raise _fail("correct", "Tick at least one correct option.")
    return QuestionFields(kind=str(kind), prompt=text, choices=options, correct=right)


def _question_state(q: Question) -> dict[str, Any]:
    return {
        "kind": q.kind,
        "prompt": q.prompt,
        "answer": None if q.answer is None else Decimal(q.answer).quantize(Decimal("0.000001")),
        "tolerance": Decimal(q.tolerance).quantize(Decimal("0.000001")),
        "units": q.units,
        "choices": list(q.choices),
        "correct": list(q.correct),
    }


def _check_media(question_set: QuestionSet, media: PromptMedia | None) -> None:
    if media is not None and media.school_id != question_set.school_id:
        raise _fail("media_id", "No such image or audio in this school.")


@transaction.atomic
def question_create(
    *,
    actor: User | None,
    question_set: QuestionSet,
    media: PromptMedia | None = None,
    **values: Any,
) -> Question:
    """Add a question at the end of a teacher's set (see `clean_question` for the rules)."""
    _editable(question_set)
    _check_media(question_set, media)
    fields = clean_question(**values)
    last = (
        Question.objects.filter(question_set=question_set)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    created = Question.objects.create(
        school_id=question_set.school_id,
        question_set=question_set,
        position=(last or 0) + 1,
        media=media,
        **vars(fields),
    )
    _bump(question_set)
    audit.record(
        actor=actor,
        school=question_set.school_id,
        action="practice.question.created",
        target=created,
        data={"set": question_set.pk, "position": created.position, "kind": created.kind},
    )
    return created


@transaction.atomic
def question_update(
    *,
    actor: User | None,
    question: Question,
    media: PromptMedia | None,
    **values: Any,
) -> bool:
    """Change a question; whether anything changed (saved unchanged: nothing written).
    `media` is the prompt it keeps (None removes it)."""
    question_set = question.question_set
    _editable(question_set)
    _check_media(question_set, media)
    after = vars(clean_question(**values))
    before = _question_state(question)
    changed = sorted(k for k in after if before[k] != after[k])
    if (media.pk if media else None) != question.media_id:
        changed.append("media")
    if not changed:
        return False
    for name, value in after.items():
        setattr(question, name, value)
    question.media = media
    question.save(update_fields=[*after, "media"])
    _bump(question_set)
    audit.record(
        actor=actor,
        school=question.school_id,
        action="practice.question.changed",
        target=question,
        data={"set": question_set.pk, "changed": changed},
    )
    return True


def _renumber(question_set: QuestionSet, order: list[int]) -> None:
    """Positions 1..n in `order` (question ids), in two steps so that the unique
    (set, position) constraint never sees two questions in one place."""
    questions = {q.pk: q for q in Question.objects.filter(question_set=question_set)}
    offset = len(questions) + 1000
    Question.objects.filter(question_set=question_set).update(position=F("position") + offset)
    for position, pk in enumerate(order, start=1):
        questions[pk].position = position
    Question.objects.bulk_update([questions[pk] for pk in order], ["position"])


@transaction.atomic
def question_delete(*, actor: User | None, question: Question) -> None:
    """Remove a question from its set (answers already given keep what was asked)."""
    question_set = question.question_set
    _editable(question_set)
    audit.record(
        actor=actor,
        school=question.school_id,
        action="practice.question.deleted",
        target=question,
        data={
            "set": question_set.pk,
            "position": question.position,
            "prompt": question.prompt[:80],
        },
    )
    question.delete()
    rest = list(
        Question.objects.filter(question_set=question_set)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    _renumber(question_set, rest)
    if not rest and question_set.published:
        question_set.published = False
        question_set.save(update_fields=["published", "updated_at"])
    _bump(question_set)


@transaction.atomic
def questions_reorder(*, actor: User | None, question_set: QuestionSet, order: list[int]) -> bool:
    """Put a set's questions in this order (every question id once); whether it changed."""
    _editable(question_set)
    current = list(
        Question.objects.filter(question_set=question_set)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    if sorted(order) != sorted(current) or len(set(order)) != len(order):
        raise _fail("order", "Give every question of the set once, and only those.")
    if order == current:
        return False
    _renumber(question_set, order)
    _bump(question_set)
    audit.record(
        actor=actor,
        school=question_set.school_id,
        action="practice.questions.reordered",
        target=question_set,
        data={"order": order},
    )
    return True


def question_move(*, actor: User | None, question: Question, step: int) -> bool:
    """Move a question one place up (-1) or down (+1); at either end nothing happens."""
    order = list(
        Question.objects.filter(question_set_id=question.question_set_id)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    at = order.index(question.pk)
    to = at + (1 if step > 0 else -1)
    if not 0 <= to < len(order):
        return False
    order[at], order[to] = order[to], order[at]
    return questions_reorder(actor=actor, question_set=question.question_set, order=order)
