from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control

from markbook.accounts import forms, selectors, services


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Your account, with your personal API tokens: create one (its secret is shown on
    the answering page only, never stored) or revoke one (ACC-2)."""
    user = request.user
    form = forms.ApiTokenForm()
    created = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = selectors.api_token_of(user, _int(request.POST.get("token")))  # type: ignore[arg-type]
        if token is None:
            raise Http404
        services.api_token_revoke(actor=user, token=token)  # type: ignore[arg-type]
        messages.success(request, f"The token {token.name!r} was revoked.")
        return redirect("accounts:profile")
    if request.method == "POST":
        form = forms.ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = services.api_token_create(user=user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as error:
                for message in error.message_dict.get("name", error.messages):
                    form.add_error("name", message)
            else:
                created = {"token": token, "secret": secret}
                form = forms.ApiTokenForm()
    context = {"form": form, "created": created, "tokens": selectors.api_tokens_of(user)}  # type: ignore[arg-type]
    response = render(request, "accounts/profile.html", context)
    if created:
        patch_cache_control(response, no_store=True)
    return response


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
