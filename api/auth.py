"""Who is calling: staff tokens for the case endpoints, optional partner keys for the public ones.

Staff tokens are one per user (``rest_framework.authtoken``), usable only by
active staff with a unit. Partner keys are the Open311 partners' keys (managed
in the admin, ``petitions.PartnerKey``): sent as ``X-API-Key`` to a public
endpoint, they make the call count against the partner's own rate instead of
the client address's (a partner's server files for all its users from one
address).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.errors import CredentialsRefused
from petitions.models import PartnerKey
from petitions.services import partner_key_authenticate
from routing.models import membership_of

PARTNER_KEY_HEADER = "X-API-Key"


class StaffTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``; the user must be active and hold a unit membership.

    The membership and its unit are loaded with the token, so jurisdiction checks
    cost no further queries.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        token = Token.objects.select_related("user__membership__unit").filter(key=key).first()
        if token is None or not token.user.is_active:
            raise CredentialsRefused(_("Invalid token."))
        if membership_of(token.user) is None:
            raise CredentialsRefused(_("This token does not belong to a staff member of a unit."))
        return token.user, token


class PartnerKeyAuthentication(BaseAuthentication):
    """``X-API-Key: <key>`` on public endpoints: optional; a key that is sent must be valid.

    ``request.auth`` is then the ``PartnerKey`` (with its partner); the user stays anonymous.
    """

    def authenticate(self, request: Request) -> tuple[Any, PartnerKey] | None:
        raw = request.headers.get(PARTNER_KEY_HEADER)
        if raw is None:
            return None
        key = partner_key_authenticate(key=raw)
        if key is None:
            raise CredentialsRefused(_("This API key is not valid, or it was revoked."))
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        # A 401 needs a challenge; this names the header to send.
        return f'ApiKey header="{PARTNER_KEY_HEADER}"'


def partner_key_of(request: Request) -> PartnerKey | None:
    return request.auth if isinstance(request.auth, PartnerKey) else None


def is_active_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and membership_of(user) is not None)


class IsActiveStaff(BasePermission):
    """Active staff with a unit membership (the default for every API view that is not public)."""

    message = _("Use the API token of an active staff member.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_active_staff(request.user)
