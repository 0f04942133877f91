import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from markbook.accounts import forms, selectors, services, throttle
from markbook.accounts.access import access_pupil_for_reset, access_registration_request
from markbook.accounts.forms import NewPasswordForm, PupilSignInForm, SignInCodeForm
from markbook.accounts.preferences import DisplayPreferences, is_help_key
from markbook.admission import AccessRequest, PublicRequest, school_of, user_schools
from markbook.web import is_htmx, posted_id

PUPIL_BACKEND = "markbook.accounts.backends.SchoolPupilBackend"
# The session remembers which checked code the pupil is about to use (never the code).
PENDING_CODE = "markbook_pupil_signin_code"
DISPLAY_COOKIE_AGE = 60 * 60 * 24 * 365


@login_required
def dashboard(request: AccessRequest) -> HttpResponse:
    """Send each user to their school (or trust); list them when there are several."""
    schools = user_schools(request.user)
    trusts = [r.trust for r in request.user.trust_roles.select_related("trust")]
    if len(schools) == 1 and not trusts:
        return redirect("schools:home", school_id=schools[0].pk)
    if len(trusts) == 1 and all(s.trust_id == trusts[0].pk for s in schools):
        return redirect("trust:home", trust_id=trusts[0].pk)
    grants = []
    if request.user.is_platform_staff:
        from markbook.support.selectors import my_live_grants

        grants = my_live_grants(request.user)
    return render(
        request,
        "accounts/dashboard.html",
        {"schools": schools, "trusts": trusts, "support_grants": grants},
    )


@login_required
def profile(request: AccessRequest) -> HttpResponse:
    """Your account, with your personal API tokens: create one (its secret is shown on
    the answering page only, never stored) or revoke one (ACC-2)."""
    user = request.user
    form = forms.ApiTokenForm()
    created = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = selectors.api_token_of(user, posted_id(request.POST.get("token")))
        if token is None:
            raise Http404
        services.api_token_revoke(actor=user, token=token)
        messages.success(request, f"The token {token.name!r} was revoked.")
        return redirect("accounts:profile")
    if request.method == "POST":
        form = forms.ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = services.api_token_create(user=user, **form.cleaned_data)
            except ValidationError as error:
                for message in error.message_dict.get("name", error.messages):
                    form.add_error("name", message)
            else:
                created = {"token": token, "secret": secret}
                form = forms.ApiTokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": selectors.api_tokens_of(user),
        "display_form": forms.DisplayPreferencesForm.for_preferences(
            selectors.display_preferences_of(user)
        ),
    }
    response = render(request, "accounts/profile.html", context)
    if created:
        patch_cache_control(response, no_store=True)
    return response


@require_POST
@login_required
def display_preferences(request: AccessRequest) -> HttpResponse:
    """Save the display preferences from the account page (ACC-7). Under htmx the form
    answers in place and the page takes the new look at once; the preference cookie
    keeps it for this browser's signed-out pages."""
    user = request.user
    before = selectors.display_preferences_of(user)
    form = forms.DisplayPreferencesForm(request.POST)
    saved = None
    if form.is_valid():
        saved = services.display_preferences_set(user=user, preferences=form.preferences(before))
        form = forms.DisplayPreferencesForm.for_preferences(saved)
    if not is_htmx(request):
        if saved is not None:
            messages.success(request, "Your display preferences are saved.")
        response: HttpResponse = redirect("accounts:profile")
    else:
        response = render(
            request,
            "accounts/profile.html#display-form",
            {"display_form": form, "saved": saved is not None},
        )
    if saved is not None:
        response["HX-Trigger"] = json.dumps({"markbook:display": saved.attributes()})
        display_cookie_set(response, saved)
    return response


def display_cookie_set(response: HttpResponse, preferences: DisplayPreferences) -> None:
    """Remember the look for this browser's signed-out pages (the preference cookie)."""
    response.set_cookie(
        settings.MARKBOOK_DISPLAY_COOKIE,
        preferences.cookie_value(),
        max_age=DISPLAY_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


@require_POST
@login_required
def help_read(request: AccessRequest) -> HttpResponse:
    """Hide a help block the person has read, on every page from now on (ACC-7)."""
    key = request.POST.get("help", "")
    if not is_help_key(key):
        return HttpResponseBadRequest("No such help.")
    before = selectors.display_preferences_of(request.user)
    services.display_preferences_set(user=request.user, preferences=before.with_help_read(key))
    if is_htmx(request):
        return HttpResponse("")
    return redirect("accounts:profile")


def _signin_context(request: PublicRequest, form: object, refusal: str | None) -> dict:
    school = school_of(request)
    return {
        "school": school,
        "form": form,
        "refusal": refusal,
        "slug": school.signin_slug,
        "password_allowed": school.allows_signin("password"),
    }


def _form_status(request: PublicRequest, refusal: str | None) -> int:
    return 403 if refusal and request.method == "POST" else 200


@never_cache
def pupil_signin(request: PublicRequest, signin_slug: str) -> HttpResponse:
    """A school's pupil sign-in page: username and password (ACC-2, ACC-3, ACC-5)."""
    school = school_of(request)
    refusal = services.school_signin_refusal(school)
    form = PupilSignInForm(request.POST if request.method == "POST" else None, label_suffix="")
    if request.method == "POST" and refusal is None and not school.allows_signin("password"):
        # ACC-1: the school has turned Markbook passwords off; its buttons stay on the page.
        form.is_valid()
        form.add_error(
            None, f"{school.name} does not use Markbook passwords: use the button to sign in."
        )
        return render(
            request,
            "accounts/pupil_signin.html",
            _signin_context(request, form, None),
            status=403,
        )
    if request.method == "POST" and refusal is None and form.is_valid():
        outcome = services.pupil_password_signin(
            request=request,
            school=school,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if outcome.retry_after:
            return throttle.too_many(request, outcome.retry_after)
        if outcome.user is not None:
            login(request, outcome.user, backend=PUPIL_BACKEND)
            return redirect("dashboard")
        form.add_error(
            None,
            "That username and password do not match. Check them, or ask your teacher "
            "for a sign-in code.",
        )
    return render(
        request,
        "accounts/pupil_signin.html",
        _signin_context(request, form, refusal),
        status=_form_status(request, refusal),
    )


@never_cache
def pupil_school_find(request: AccessRequest) -> HttpResponse:
    """From the main sign-in page to a school's pupil sign-in page, given the school's
    code (its secret sign-in address, or the last part of it) (ACC-2, ACC-3).

    No school is listed or searched: a wrong code says only that no school has it,
    and wrong codes are throttled per address so the secret addresses cannot be
    guessed (SEC-4)."""
    form = forms.SchoolCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if throttle.school_find_blocked(request):
            seconds = throttle.retry_after(request, action=throttle.SCHOOL_FIND_ACTION, key=None)
            return throttle.too_many(request, seconds, what="wrong school codes")
        school = selectors.school_by_signin_code(form.cleaned_data["code"])
        if school is not None:
            return redirect("pupil_signin", signin_slug=school.signin_slug)
        throttle.school_find_failed(request)
        form.add_error("code", "No school has that code. Check it with your teacher.")
    return render(request, "accounts/pupil_school_find.html", {"form": form})


@never_cache
def pupil_signin_code_entry(request: PublicRequest, signin_slug: str) -> HttpResponse:
    """First sign-in, or after a reset: username and the code from the teacher (ACC-2)."""
    school = school_of(request)
    refusal = services.school_signin_refusal(school)
    form = SignInCodeForm(request.POST if request.method == "POST" else None, label_suffix="")
    if request.method == "POST" and refusal is None and form.is_valid():
        outcome = services.pupil_code_signin(
            request=request,
            school=school,
            username=form.cleaned_data["username"],
            code=form.cleaned_data["code"],
        )
        if outcome.retry_after:
            return throttle.too_many(request, outcome.retry_after)
        if outcome.code is not None:
            request.session[PENDING_CODE] = {"id": outcome.code.pk, "school": school.pk}
            return redirect("pupil_signin_set_password", signin_slug=signin_slug)
        form.add_error(
            None,
            "That username and sign-in code do not match, or the code has been used or has "
            "expired. Check them, or ask your teacher for a new code.",
        )
    return render(
        request,
        "accounts/pupil_signin_code.html",
        _signin_context(request, form, refusal),
        status=_form_status(request, refusal),
    )


@never_cache
def pupil_signin_set_password(request: PublicRequest, signin_slug: str) -> HttpResponse:
    """After a good code: the pupil chooses their own password and is signed in (ACC-2)."""
    school = school_of(request)
    pending = request.session.get(PENDING_CODE) or {}
    refusal = services.school_signin_refusal(school)
    if pending.get("school") != school.pk or refusal:
        return redirect("pupil_signin_code_entry", signin_slug=signin_slug)
    form = NewPasswordForm(request.POST if request.method == "POST" else None, label_suffix="")
    if request.method == "POST" and form.is_valid():
        try:
            user = services.pupil_signin_code_redeem(
                code_id=pending["id"], password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            if "code" in error.message_dict:
                request.session.pop(PENDING_CODE, None)
                messages.error(request, error.message_dict["code"][0])
                return redirect("pupil_signin_code_entry", signin_slug=signin_slug)
            for message in error.message_dict.get("password", []):
                form.add_error("password1", message)
        else:
            request.session.pop(PENDING_CODE, None)
            login(request, user, backend=PUPIL_BACKEND)
            services.signin_record(
                attempt=services.SignInAttempt(
                    school=school, user=user, method="code", username=user.pupil.username
                ),
                succeeded=True,
            )
            messages.success(request, "Your password is set. Use it next time you sign in.")
            return redirect("dashboard")
    return render(
        request, "accounts/pupil_signin_password.html", _signin_context(request, form, None)
    )


@require_POST
@never_cache
def pupil_signin_code_new(request: AccessRequest, school_id: int, pupil_id: int) -> HttpResponse:
    """A teacher or administrator resets a pupil's password: a new one-time code,
    shown once on a printable page (ACC-2)."""
    pupil = access_pupil_for_reset(request, pupil_id)
    try:
        code = services.pupil_signin_code_issue(actor=request.user, pupil=pupil)
    except ValidationError as error:
        for messages_ in error.message_dict.values():
            for message in messages_:
                messages.error(request, message)
        return redirect("rosters:pupil_detail", school_id=school_id, pupil_id=pupil.pk)
    signin_url = request.build_absolute_uri(
        reverse("pupil_signin_code_entry", kwargs={"signin_slug": pupil.school.signin_slug})
    )
    return render(
        request,
        "accounts/signin_code_issued.html",
        {
            "pupil": pupil,
            "code": code,
            "signin_url": signin_url,
            "days": services.CODE_LIFETIME.days,
        },
    )


# --- Self-registration (ACC-4) -----------------------------------------------


@never_cache
def staff_register(request: PublicRequest, signin_slug: str) -> HttpResponse:
    """A school's registration page, reached through its sign-in address (ACC-4)."""
    from markbook.accounts import registration, sso

    school = school_of(request)
    refusal = services.school_signin_refusal(school)
    form = forms.RegistrationForm(request.POST if request.method == "POST" else None)
    done = ""
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            created = registration.registration_request_create(school=school, **form.cleaned_data)
        except ValidationError as error:
            forms.add_errors(form, error)
        else:
            confirm_url = request.build_absolute_uri(
                reverse(
                    "staff_register_confirm",
                    kwargs={
                        "signin_slug": signin_slug,
                        "token": registration.registration_confirm_token(created),
                    },
                )
            )
            if registration.registration_email_send(request=created, confirm_url=confirm_url):
                done = (
                    f"Thank you, {created.first_name}. We have sent a link to {created.email}: "
                    "follow it to confirm your address and start using Markbook."
                )
            else:
                done = (
                    f"Thank you, {created.first_name}. A {school.name} administrator will "
                    "check your request; you can sign in once they approve it."
                )
    return render(
        request,
        "accounts/register.html",
        {
            "school": school,
            "slug": signin_slug,
            "form": form,
            "done": done,
            "refusal": refusal,
            "sso": sso.sso_providers_for(school),
        },
        status=403 if refusal and request.method == "POST" else 200,
    )


@never_cache
def staff_register_confirm(request: PublicRequest, signin_slug: str, token: str) -> HttpResponse:
    """The link sent to an in-domain teacher: a button confirms (a GET changes nothing,
    so mail scanners following links do not approve anyone) (ACC-4)."""
    from markbook.accounts import registration

    school = school_of(request)
    pending = registration.registration_request_for_token(token)
    if pending is None or pending.school_id != school.pk:
        return render(
            request,
            "accounts/register_confirm.html",
            {"school": school, "invalid": True, "slug": signin_slug},
            status=400,
        )
    if request.method == "POST":
        registration.registration_email_confirm(request=pending)
        messages.success(request, "Your address is confirmed. Sign in with your password.")
        return redirect("account_login")
    return render(
        request,
        "accounts/register_confirm.html",
        {"school": school, "pending": pending, "slug": signin_slug},
    )


@require_POST
def staff_register_sso(request: PublicRequest, signin_slug: str, provider_id: str) -> HttpResponse:
    """Start registering with Google or Microsoft: remember the school, go to the provider."""
    from allauth.socialaccount.adapter import get_adapter as social_adapter

    from markbook.accounts import sso
    from markbook.accounts.adapter import SSO_REGISTER

    school = school_of(request)
    if provider_id not in {p.id for p in sso.sso_providers_for(school)}:
        raise Http404("This school does not use that sign-in method.")
    request.session[SSO_REGISTER] = school.pk
    provider = social_adapter().get_provider(request, provider_id)
    return provider.redirect(request, process="login")


@require_POST
def registration_decide(request: AccessRequest, school_id: int, request_id: int) -> HttpResponse:
    """A school administrator approves or refuses a request to join (ACC-4)."""
    from markbook.accounts import registration

    pending = access_registration_request(request, request_id)
    approve = request.POST.get("decision") == "approve"
    try:
        registration.registration_request_decide(
            actor=request.user,
            request=pending,
            approve=approve,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        verdict = "approved" if approve else "refused"
        messages.success(request, f"{pending.display_name}'s request was {verdict}.")
    return redirect("rosters:teachers", school_id=school_id)
