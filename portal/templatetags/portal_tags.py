from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString

from config.logs import redact

register = template.Library()


@register.simple_tag
def widget(field: BoundField, **attrs: str | bool) -> SafeString:
    """Render a field's widget linked to its hint and error messages (WCAG 1.3.1, 3.3.1)."""
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        described.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag
def error_line(label: object, error: object) -> SafeString:
    """A line of an error summary: "Title: Give your petition a short title."

    A label that ends a sentence already ("… This cannot be undone.", "Was your matter
    resolved?") is followed by the message as the next sentence, not by a colon ("….: …").
    """
    text = str(label).rstrip()
    if text.endswith((".", "?", "!", ":", "…")):
        return format_html("{} {}", text, error)
    return format_html("{}: {}", text, error)


@register.filter
def redacted(text: object) -> str:
    """A citizen's words on a public page: phone numbers and e-mail addresses written in them removed."""
    return redact(str(text or ""))
