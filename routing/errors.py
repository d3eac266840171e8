"""Errors that case services raise, each with a translated message for the user."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _


class CaseConflict(Exception):
    """Someone changed the case first; the caller should show the fresh state."""

    code = "conflict"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or str(
            _("Someone else updated this case a moment ago. Review its current state and try again.")
        )
        super().__init__(self.message)


class TransitionNotPossible(CaseConflict):
    """The action does not apply to the case in its current state."""

    code = "not_possible"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(_("This action is not possible for the case in its current state.")))


class CaseActionForbidden(PermissionDenied):
    """The actor may not perform this action on this case."""

    code = "forbidden"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or str(_("You are not allowed to do this on this case."))
        super().__init__(self.message)
