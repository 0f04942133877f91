"""`{% sso_buttons %}`: "Sign in with Google/Microsoft" buttons for the configured
providers (ACC-1); on a school's page, only those the school allows."""

from django import template
from django.urls import reverse

from markbook.accounts.sso import sso_providers, sso_providers_for

register = template.Library()


@register.inclusion_tag("accounts/_sso_buttons.html", takes_context=True)
def sso_buttons(context: template.Context, school: object = None, next_url: str = "") -> dict:
    providers = sso_providers_for(school) if school is not None else sso_providers()  # type: ignore[arg-type]
    return {
        "buttons": [
            (p.name, reverse("openid_connect_login", kwargs={"provider_id": p.id}))
            for p in providers
        ],
        "next_url": next_url,
        "csrf_token": context.get("csrf_token"),
    }
