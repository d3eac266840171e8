"""Numbers in words for leaders' tables (durations and rates), and the back office's language switch."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.formats import get_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

from routing.wording import files_phrase

register = template.Library()


@lru_cache(maxsize=8)
def _number_words(language: str | None) -> tuple[str, str, str]:
    """The decimal separator and the hours and days phrases of a language, looked up once: a
    province's table formats ~1,800 numbers, and each lookup costs more than the formatting."""
    return get_format("DECIMAL_SEPARATOR", language), _("%(hours)s h"), _("%(days)s days")


def _one_decimal(value: float, separator: str) -> str:
    # As number_format(round(value, 1), 1) without a thousand separator (the project uses none).
    return f"{round(value, 1):.1f}".replace(".", separator)


@register.filter
def duration(seconds: float | None) -> str:
    """``5.5 h`` under two days, ``3.2 days`` above; an em dash when there is nothing to measure."""
    if seconds is None:
        return "—"
    separator, hours_phrase, days_phrase = _number_words(get_language())
    hours = seconds / 3600
    if hours < 48:
        return hours_phrase % {"hours": _one_decimal(hours, separator)}
    return days_phrase % {"days": _one_decimal(hours / 24, separator)}


@register.filter
def rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{_one_decimal(100 * value, _number_words(get_language())[0])} %"


@register.filter
def cell(row: object, column: object) -> str:
    """One performance-table cell, formatted for its column kind."""
    value = getattr(row, column.key)  # type: ignore[attr-defined]
    kind = column.kind  # type: ignore[attr-defined]
    if kind == "hours":
        # From the daily rollups' histograms: an estimate (``routing.rollups``).
        estimated = value is not None and getattr(row, "estimated", False)
        return f"≈ {duration(value)}" if estimated else duration(value)
    if kind == "rate":
        return rate(value)
    return "—" if value is None else str(value)


@register.simple_tag
def cells(row: object, columns: list[Any], *, mark_overdue: bool = True) -> str:
    """A performance-table row's ``<td>`` cells in one call: a province's hundred communes times
    ten columns cost 60 ms of template loops and lookups at a million cases, one tag each 10."""
    overdue = mark_overdue and bool(getattr(row, "overdue", 0))
    return mark_safe(  # noqa: S308 - every text is escaped here, the class names are constants
        "".join(
            f'<td class="{"num deadline-overdue" if overdue and column.key == "overdue" else "num"}">'
            f"{escape(cell(row, column), quote=False)}</td>"
            for column in columns
        )
    )


@register.filter
def idle_rows(rows: list[object]) -> list[object]:
    """Unit rows with nothing to show (folded away on the dashboard)."""
    return [row for row in rows if getattr(row, "is_idle", False) and not getattr(row, "is_own", False)]


@register.filter
def index(values: list[object], position: int) -> object:
    """``values|index:i``: the i-th item (tables beside charts)."""
    try:
        return values[int(position)]
    except (IndexError, ValueError, TypeError):
        return ""


@dataclass(frozen=True)
class LanguageChoice:
    code: str
    name: str  # in the language itself, as people look for it
    next_url: str  # this page in that language
    is_current: bool


@register.simple_tag(takes_context=True)
def language_choices(context: dict[str, Any]) -> list[LanguageChoice]:
    """Every language with this page's address in it.

    Back-office addresses carry the language (``/office/`` Vietnamese, ``/en/office/``
    English), so ``set_language`` is given the page's address in the chosen language.
    """
    request = context.get("request")
    path = request.get_full_path() if request is not None else "/"
    active = get_language() or settings.LANGUAGE_CODE
    return [
        LanguageChoice(
            code=code,
            name=get_language_info(code)["name_local"],
            next_url=translate_url(path, code),
            is_current=code == active,
        )
        for code, _name in settings.LANGUAGES
    ]


@register.filter
def grouped(value: int | None) -> str:
    """A whole number with the language's thousands separator, also in Vietnamese (``3.400``).

    Django's Vietnamese formats group no digits; odds like "once in 3400000" must be readable.
    """
    from django.utils import formats, numberformat

    if value is None:
        return ""
    return numberformat.format(
        int(value),
        formats.get_format("DECIMAL_SEPARATOR"),
        grouping=3,
        thousand_sep=formats.get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


@register.filter
def files_sent(data: object) -> str:
    """What files came with an event ("1 photo and 1 document"), from its details; empty without."""
    return files_phrase(data) if isinstance(data, dict) else ""
