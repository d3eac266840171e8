"""Staff tokens: one per user (``rest_framework.authtoken``), usable only by active staff with a unit."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from routing.models import membership_of


class StaffTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``; the user must be active and hold a unit membership.

    The membership and its unit are loaded with the token, so jurisdiction checks
    cost no further queries.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = Token.objects.select_related("user__membership__unit").filter(key=key).first()
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if membership_of(token.user) is None:
            raise exceptions.AuthenticationFailed(
                _("This token does not belong to a staff member of a unit.")
            )
        return token.user, token


def is_active_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and membership_of(user) is not None)


class IsActiveStaff(BasePermission):
    """Active staff with a unit membership (the default for every API view that is not public)."""

    message = _("Use the API token of an active staff member.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_active_staff(request.user)
