"""Pages of the platform's list of schools (TEN-1, RET-5), for platform staff only
(404 for everyone else): the list, a school's subscription and its change, and
deleting an ended school's data. See schools.platform."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render

from markbook.admission import AccessRequest, require_platform_staff
from markbook.schools import deletion, lifecycle, platform
from markbook.schools.models import School
from markbook.web import error_messages

_DAY = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="State")
    trial_ends = forms.DateField(label="Trial ends", required=False, widget=_DAY)
    subscription_ends = forms.DateField(label="Subscription ends", required=False, widget=_DAY)
    ended_on = forms.DateField(
        label="Ended on (when ending it; today if blank)", required=False, widget=_DAY
    )
    reason = forms.CharField(
        label="Reason (recorded in the school's access log)",
        max_length=lifecycle.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: QueryDict | None = None, *, school: School) -> None:
        initial = {
            "status": school.status,
            "trial_ends": school.trial_ends,
            "subscription_ends": school.subscription_ends,
            "ended_on": school.ended_on,
        }
        super().__init__(data, initial=initial)
        labels = dict(School.Status.choices)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [(s, labels[s]) for s in platform.next_states(school)]


class DeletionForm(forms.Form):
    plan = forms.CharField(widget=forms.HiddenInput)
    confirm_name = forms.CharField(label="Type the school's name to confirm", max_length=200)
    reason = forms.CharField(
        label="Reason (recorded in the platform's log)",
        max_length=deletion.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def school_list(request: AccessRequest) -> HttpResponse:
    require_platform_staff(request)
    state = request.GET.get("state", "")
    if state not in platform.FILTERS:
        state = ""
    context = {
        "rows": [(s, lifecycle.deletion_due_on(s)) for s in platform.platform_schools(state)],
        "state": state,
        "states": [(s, label) for s, label in School.Status.choices]
        + [(platform.DELETED, "Deleted")],
    }
    return render(request, "schools/platform/list.html", context)


def _dates(school: School) -> tuple[object, ...]:
    return (school.status, school.trial_ends, school.subscription_ends, school.ended_on)


@login_required
def school_detail(request: AccessRequest, platform_school_id: int) -> HttpResponse:
    """A school's subscription: its state and dates, their history, the change form."""
    require_platform_staff(request)
    school = platform.platform_school(platform_school_id)
    form = StatusForm(request.POST or None, school=school)
    if request.method == "POST" and school.deleted_at is None and form.is_valid():
        data = form.cleaned_data
        before = _dates(school)
        try:
            changed = lifecycle.school_status_change(
                actor=request.user,
                school=school,
                status=data["status"],
                reason=data["reason"],
                trial_ends=data["trial_ends"],
                subscription_ends=data["subscription_ends"],
                ended_on=data["ended_on"],
            )
        except ValidationError as error:
            for text in error_messages(error):
                form.add_error(None, text)
        else:
            if _dates(changed) == before:
                messages.info(request, "Nothing changed.")
            else:
                messages.success(request, f"{school.name} is now {changed.get_status_display()}.")
            return redirect("platform_schools:detail", platform_school_id=school.pk)
    context = {
        "school": school,
        "form": form,
        "deletion_due_on": lifecycle.deletion_due_on(school),
        "history": platform.status_history(school),
        "reminders": lifecycle.reminders_sent(school),
    }
    return render(request, "schools/platform/detail.html", context)


@login_required
def school_deletion(request: AccessRequest, platform_school_id: int) -> HttpResponse:
    """What deleting an ended school's data deletes, and the confirmed deletion: the
    plan's code in the form, so exactly what was shown is deleted (or nothing, if the
    school's data changed since)."""
    require_platform_staff(request)
    school = platform.platform_school(platform_school_id)
    posted = request.POST if request.method == "POST" else None
    form = DeletionForm(posted)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not school.is_named(data["confirm_name"]):
            form.add_error("confirm_name", f"Type the school's name, {school.name}, exactly.")
        else:
            try:
                outcome = deletion.school_delete(
                    school=school,
                    fingerprint=data["plan"],
                    actor=request.user,
                    reason=data["reason"],
                )
            except ValidationError as error:
                for text in error_messages(error):
                    form.add_error(None, text)
            except deletion.DeletionRefused as error:
                form.add_error(None, f"Nothing was deleted. {error}")
            else:
                messages.success(
                    request,
                    f"The data of {school.name} is deleted: {outcome.rows} rows (its "
                    f"{outcome.accounts} accounts of nobody else among them) and "
                    f"{outcome.log_events} entries of its access log; its key is destroyed.",
                )
                return redirect("platform_schools:detail", platform_school_id=school.pk)
    plan = deletion.school_deletion_plan(school)
    if posted is not None:  # refused: the form, its errors and the plan as it is now
        form.data = {**posted.dict(), "plan": plan.fingerprint}
    else:
        form = DeletionForm(initial={"plan": plan.fingerprint})
    kept = deletion.kept_described(plan)
    context = {"school": school, "plan": plan, "form": form, "kept": kept}
    return render(request, "schools/platform/deletion.html", context)
