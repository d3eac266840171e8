"""Two-factor sign-in (TOTP, django-otp) for leaders and administrators.

Three parts: the rule that staff pages and the admin apply (``second_factor_missing``),
the code step of sign-in that follows the password step of ``LoginView``, and the
page where a leader turns two-factor sign-in on and off.

The password step never signs in an account that has a confirmed device: it only
remembers in the session, for a few minutes, whose password was right. The code
step signs in and marks the session as verified (``django_otp.login``), which is
what ``request.user.is_verified()`` reads on every later request.
"""

from __future__ import annotations

import math
import re
import time
import xml.etree.ElementTree as ET
from base64 import b32encode
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from routing.second_factor import can_use_two_factor, confirmed_device, second_factor_missing

#: Session key of the half-finished sign-in: whose password was right, when, and where to go next.
PENDING_SESSION_KEY = "backoffice_two_factor_pending"
#: The code step must follow the password step within this many seconds.
PENDING_SECONDS = 5 * 60
#: Wrong codes allowed in one code step before the password must be entered again.
MAX_CODE_FAILURES = 5

# Who may use it, and the rule every staff page applies: routing.second_factor (the admin and
# the consumers apply it too, and domain apps do not import the back office).

# --- checking a code -------------------------------------------------------------------


class TooSoon(Exception):
    """The device refuses to check codes for a while after wrong ones (django-otp's back-off)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    @property
    def message(self) -> str:
        return ngettext(
            "Too many wrong codes. Wait %(seconds)s second and try again.",
            "Too many wrong codes. Wait %(seconds)s seconds and try again.",
            self.seconds,
        ) % {"seconds": self.seconds}


def device_verify(device: Any, token: str) -> Any:
    """Check ``token`` against ``device``; the device (refreshed) if right, else None.

    The row is locked while checking, so one code cannot be used twice by two requests
    at once (django-otp remembers the last time step used). Raises ``TooSoon`` while
    the device's back-off after wrong codes is running; such attempts are not checked.
    """
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk).first()
        if locked is None:
            return None
        allowed, info = locked.verify_is_allowed()
        if not allowed:
            until = (info or {}).get("locked_until")
            seconds = (until - timezone.now()).total_seconds() if until else 1
            raise TooSoon(max(1, math.ceil(seconds)))
        return locked if locked.verify_token(token) else None


WRONG_CODE = gettext_lazy("That code is not right. Enter the newest code your app shows.")


# --- forms ------------------------------------------------------------------------------


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code"),
        help_text=gettext_lazy("From the authenticator app on your phone. It changes every 30 seconds."),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
    )

    def __init__(self, *args: Any, autofocus: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["token"].widget.attrs["autofocus"] = True

    def clean_token(self) -> str:
        # Apps show "123 456"; people type what they see.
        token = re.sub(r"[\s-]", "", self.cleaned_data["token"])
        if not re.fullmatch(r"\d{6}", token):
            raise ValidationError(_("Enter the 6 digits shown in your authenticator app."), code="format")
        return token


class TurnOffForm(CodeForm):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    field_order = ["password", "token"]


# --- the code step of sign-in ---------------------------------------------------------


def pending_start(request: HttpRequest, *, user: Any, redirect_to: str) -> None:
    """Remember that ``user`` gave the right password; the code step finishes the sign-in."""
    # A new session key now, as a full sign-in would do: a planted session id learns nothing.
    request.session.cycle_key()
    request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "since": time.time(),
        "failures": 0,
        "next": redirect_to,
    }


def pending_end(request: HttpRequest) -> None:
    """Forget a half-finished sign-in."""
    request.session.pop(PENDING_SESSION_KEY, None)


def _start_over(request: HttpRequest, message: str) -> HttpResponse:
    pending_end(request)
    messages.error(request, message)
    return redirect("backoffice:backoffice-login")


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        messages.info(request, _("Sign in with your username and password first."))
        return redirect("backoffice:backoffice-login")
    if time.time() - float(pending.get("since", 0)) > PENDING_SECONDS:
        return _start_over(request, _("The sign-in took too long. Enter your password again."))
    user_id = pending.get("user_id")
    user = User.objects.filter(pk=user_id, is_active=True).first() if isinstance(user_id, int) else None
    device = confirmed_device(user) if user is not None else None
    if device is None:
        return _start_over(request, _("Sign in with your username and password first."))

    form = CodeForm(request.POST if request.method == "POST" else None, autofocus=True)
    if form.is_valid():
        try:
            verified = device_verify(device, form.cleaned_data["token"])
        except TooSoon as wait:
            form.add_error("token", wait.message)
        else:
            if verified is not None:
                redirect_to = pending.get("next") or resolve_url("backoffice:backoffice-inbox")
                pending_end(request)
                auth_login(request, user, backend=pending["backend"])
                django_otp.login(request, verified)
                return HttpResponseRedirect(redirect_to)
            pending["failures"] = int(pending.get("failures", 0)) + 1
            if pending["failures"] >= MAX_CODE_FAILURES:
                return _start_over(request, _("Too many wrong codes. Sign in again."))
            request.session[PENDING_SESSION_KEY] = pending
            form.add_error("token", str(WRONG_CODE))
    return render(
        request,
        "backoffice/login_verify.html",
        {"form": form, "attempts_left": MAX_CODE_FAILURES - int(pending.get("failures", 0))},
    )


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the office sign-in: its own form would skip the code step."""
    if request.user.is_authenticated and not second_factor_missing(request.user):
        if admin.site.has_permission(request):
            return redirect("admin:index")
        raise PermissionDenied
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index"))


# --- turning it on and off ------------------------------------------------------------


def qr_svg(data: str, *, title: str) -> SafeString:
    """An inline SVG QR code: no script, no style attribute, no external image (the CSP allows none)."""
    code = qrcode.QRCode(box_size=10, border=4)
    code.add_data(data)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    root = image.get_image()
    # 4 CSS pixels a module (the library's default is millimetres): sharp on screens, easy to scan.
    size = str((code.modules_count + 2 * code.border) * 4)
    root.set("width", size)
    root.set("height", size)
    root.set("role", "img")
    root.set("aria-labelledby", "qr-title")
    label = ET.Element("title", id="qr-title")
    label.text = title  # ElementTree escapes it
    root.insert(0, label)
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308 - built here from our own data


def _secret_in_groups(device: Any) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("password", "token")
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan, then prove it with a code) or off (password and a code)."""
    user = request.user
    if second_factor_missing(user):
        return redirect_to_login(request.get_full_path())
    if not can_use_two_factor(user):
        raise PermissionDenied
    device = confirmed_device(user)
    if device is not None:
        return _two_factor_on(request, device)

    action = request.POST.get("action") if request.method == "POST" else None
    unconfirmed = TOTPDevice.objects.devices_for_user(user, confirmed=False)
    if action in {"start", "cancel"}:
        # One setup at a time: starting again gives a new secret, cancelling forgets it.
        unconfirmed.delete()
        if action == "start":
            TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
        return redirect("backoffice:backoffice-two-factor")

    setup = unconfirmed.order_by("-pk").first()
    form = CodeForm(request.POST if action == "confirm" and setup is not None else None)
    if setup is not None and form.is_valid():
        try:
            verified = device_verify(setup, form.cleaned_data["token"])
        except TooSoon as wait:
            form.add_error("token", wait.message)
        else:
            if verified is not None:
                verified.confirmed = True
                verified.save(update_fields=["confirmed"])
                # This session proved the code: keep it signed in rather than refuse it next request.
                django_otp.login(request, verified)
                messages.success(
                    request,
                    _("Two-factor sign-in is on. From now on you sign in with your password and a code."),
                )
                return redirect("backoffice:backoffice-two-factor")
            form.add_error("token", str(WRONG_CODE))
    context: dict[str, Any] = {"form": form, "setup": setup}
    if setup is not None:
        context["qr"] = qr_svg(setup.config_url, title=_("QR code for your authenticator app"))
        context["secret"] = _secret_in_groups(setup)
        context["otpauth_url"] = setup.config_url  # opens the app directly on the phone itself
    return render(request, "backoffice/twofactor.html", context)


def _two_factor_on(request: HttpRequest, device: Any) -> HttpResponse:
    # Turning it off leaves the account with one factor, so both are asked for again. The code is
    # checked first (single-use, with django-otp's back-off), so an open session cannot be used to
    # guess the password.
    form = TurnOffForm(request.POST if request.POST.get("action") == "disable" else None)
    if form.is_valid():
        try:
            verified = device_verify(device, form.cleaned_data["token"])
        except TooSoon as wait:
            form.add_error("token", wait.message)
        else:
            if verified is None:
                form.add_error("token", str(WRONG_CODE))
            elif not request.user.check_password(form.cleaned_data["password"]):
                form.add_error("password", _("That is not your password."))
            else:
                verified.delete()
                request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
                messages.success(
                    request, _("Two-factor sign-in is off. You sign in with your password only.")
                )
                return redirect("backoffice:backoffice-two-factor")
    return render(request, "backoffice/twofactor.html", {"form": form, "device": device})
