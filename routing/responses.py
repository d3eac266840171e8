"""What a response to a citizen may not contain: the unfilled placeholders of a template.

Response templates mark what the officer must write in with a short phrase in square
brackets: ``[ngày]``, ``[cơ quan]``, ``[nêu kết quả]``. A response that still holds one
was not finished, so it can be neither submitted for approval nor published.
"""

from __future__ import annotations

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

#: ``[`` a phrase on one line, with at least one letter, ``]``. Numbers in brackets (``[1]``, a
#: reference) and ``[…]`` (words left out of a quotation) are ordinary text, not placeholders.
PLACEHOLDER = re.compile(r"\[(?=[^\[\]\n]*[^\W\d_])[^\[\]\n]{1,80}\]")


def response_placeholders(text: str) -> list[str]:
    """The placeholders left in ``text``, each once, in the order they first appear."""
    return list(dict.fromkeys(match.group(0) for match in PLACEHOLDER.finditer(text or "")))


def placeholders_message(placeholders: list[str]) -> str:
    return str(_("Fill in the placeholders: %(placeholders)s") % {"placeholders": ", ".join(placeholders)})


def require_no_placeholders(text: str, *, field: str = NON_FIELD_ERRORS) -> None:
    """Refuse a response that still holds template placeholders, naming them."""
    placeholders = response_placeholders(text)
    if placeholders:
        raise ValidationError({field: placeholders_message(placeholders)}, code="placeholders")
