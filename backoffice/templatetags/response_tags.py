"""Showing a drafted response with its unfilled template placeholders marked."""

from __future__ import annotations

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from routing.responses import PLACEHOLDER, placeholders_message, response_placeholders

register = template.Library()


@register.filter
def mark_placeholders(text: str) -> SafeString:
    """``text`` as paragraphs (like ``linebreaks``), each placeholder in a ``<mark>``."""
    marked: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text or ""):
        marked.append(escape(text[position : match.start()]))
        marked.append(f'<mark class="placeholder">{escape(match.group(0))}</mark>')
        position = match.end()
    marked.append(escape(text[position:] if text else ""))
    # Already escaped: linebreaks must not escape again, and a placeholder never spans lines.
    return mark_safe(linebreaks(mark_safe("".join(marked)), autoescape=False))  # noqa: S308


@register.filter
def placeholders_left(text: str) -> str:
    """The refusal the response would get, or "" when it has no placeholders."""
    found = response_placeholders(text)
    return placeholders_message(found) if found else ""
