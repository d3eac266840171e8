"""Who may protect their account with a second factor, and the rule every staff entry applies.

The back office's pages, the admin and the live-update consumers all refuse a session that has not
entered the code of its account's confirmed device; the rule lives here, in the domain app that
owns staff memberships, so that none of them imports another audience's module.
"""

from __future__ import annotations

from typing import Any

import django_otp
from django_otp.plugins.otp_totp.models import TOTPDevice

from routing.models import membership_of


def can_use_two_factor(user: Any) -> bool:
    """Leaders, administrators and superusers may protect their account with a code."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    membership = membership_of(user)
    return membership is not None and membership.is_leader


def confirmed_device(user: Any) -> Any:
    """The user's confirmed TOTP device, or None."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def second_factor_missing(user: Any) -> bool:
    """True when a signed-in account has a confirmed device but this session never entered its code.

    Our sign-in never creates such a session; this guards every other way one could
    appear (the admin's own login, a session made by a script, a device added later).
    """
    if not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)  # set by django_otp's OTPMiddleware
    if is_verified is not None and is_verified():
        return False
    return bool(django_otp.user_has_device(user, confirmed=True))
