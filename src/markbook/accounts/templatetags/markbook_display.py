"""`{% helpblock "key" %}...{% endhelpblock %}`: explanatory help a person can hide once
read; hidden help stays hidden on every page until they ask for it back (ACC-7)."""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from markbook.accounts.preferences import is_help_key

register = template.Library()


class HelpBlockNode(template.Node):
    def __init__(self, key: FilterExpression, nodelist: NodeList) -> None:
        self.key = key
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        key = self.key.resolve(context)
        if not is_help_key(key):
            raise template.TemplateSyntaxError(f"helpblock: {key!r} is not a help key")
        display = context.get("display")
        if display is not None and key in display.read_help:
            return mark_safe("")
        body = self.nodelist.render(context)
        user = context.get("user")
        if user is None or not user.is_authenticated:
            return format_html('<div class="help">{}</div>', body)
        return format_html(
            '<div class="help" id="help-{}">{}<button type="button" class="secondary small" '
            'hx-post="{}" hx-vals=\'{{"help": "{}"}}\' hx-target="closest .help" '
            'hx-swap="delete">Hide this help</button></div>',
            key,
            body,
            reverse("accounts:help_read"),
            key,
        )


@register.tag
def helpblock(parser: Parser, token: Token) -> HelpBlockNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError('usage: {% helpblock "key" %}...{% endhelpblock %}')
    nodelist = parser.parse(("endhelpblock",))
    parser.delete_first_token()
    return HelpBlockNode(parser.compile_filter(bits[1]), nodelist)
