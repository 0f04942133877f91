"""The notice of a breach on a school's page until an administrator acknowledges it
(SEC-3). Runs in the request's school scope."""

from django import template

from markbook.breaches import selectors
from markbook.breaches.models import BreachSchool

register = template.Library()


@register.simple_tag
def unacknowledged_breaches() -> list[BreachSchool]:
    return selectors.unacknowledged()
