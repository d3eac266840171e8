"""Who may open back-office pages: the decorators every view goes through, and shared look-ups."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from routing.models import membership_of
from routing.second_factor import second_factor_missing


def staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in staff with a unit membership; anyone else is sent to sign in or refused.

    An account with two-factor sign-in must also have entered its code in this session.
    """

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if second_factor_missing(request.user):
            return auth_views.redirect_to_login(request.get_full_path())
        if membership_of(request.user) is None or not request.user.is_active:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def leader_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Leaders and administrators of a unit; officers are refused."""

    @staff_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        membership = membership_of(request.user)
        if membership is None or not membership.is_leader:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
