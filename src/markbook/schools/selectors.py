"""Reads about a school's settings."""

from django.db.models import Count, Q

from markbook.core.tenancy import school_scope
from markbook.schools.models import School


def _holds_value(name: str) -> Q:
    from markbook.rosters.models import Pupil  # rosters builds on schools, not the reverse

    # Nullable fields (encrypted ones included: they store a blank as NULL) hold a value
    # when not NULL; the others (text) when not blank.
    if Pupil._meta.get_field(name).null:
        return Q(**{f"{name}__isnull": False})
    return ~Q(**{name: ""})


def pupil_values_held(school: School, names: list[str]) -> tuple[dict[str, int], int]:
    """How many of the school's pupils hold a value in each of these pupil fields, and
    in any of them (ROS-5): what not keeping the fields would delete. One query."""
    from markbook.rosters.models import Pupil

    if not names:
        return {}, 0
    held = {name: _holds_value(name) for name in names}
    any_held = Q()
    for q in held.values():
        any_held |= q
    with school_scope(school):
        counts = Pupil.objects.aggregate(
            # Aliases unlike the field names: an aggregate named "uln" would shadow the field.
            **{f"held_{name}": Count("pk", filter=q) for name, q in held.items()},
            held_any=Count("pk", filter=any_held),
        )
    return {name: counts[f"held_{name}"] for name in names}, counts["held_any"]
