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


@register.filter
def word_diff(draft: str, final: str) -> SafeString:
    """The leader's changes to an officer's draft, word by word: ``<del>`` what went, ``<ins>`` what came.

    Each change also says so in words for screen readers (which do not announce ``del``/``ins``).
    Everything is escaped; the result keeps the draft's line breaks.
    """
    import difflib
    import re

    from django.utils.translation import gettext

    def words(text: str) -> list[str]:
        return re.findall(r"\s+|[^\s]+", text or "")

    before, after = words(draft), words(final)
    removed, added = gettext("removed:"), gettext("added:")
    out: list[str] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(before[a1:a2])))
            continue
        if a2 > a1:
            gone = escape("".join(before[a1:a2]))
            out.append(
                f'<del><span class="visually-hidden">[{escape(removed)} </span>{gone}<span class="visually-hidden">]</span></del>'
            )
        if b2 > b1:
            came = escape("".join(after[b1:b2]))
            out.append(
                f'<ins><span class="visually-hidden">[{escape(added)} </span>{came}<span class="visually-hidden">]</span></ins>'
            )
    return mark_safe(linebreaks(mark_safe("".join(out)), autoescape=False))  # noqa: S308
