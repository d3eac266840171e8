"""Names in our own words for the third-party apps the Django admin lists.

The admin shows staff the sign-in attempts of django-axes, the API tokens of
rest_framework.authtoken and the two-factor devices of django-otp. Their apps and
models carry English names (or none: ``Otp_Totp``) that their own catalogues do not
translate into Vietnamese. The apps get names here; their own translatable texts are
translated in our catalogue (``LOCALE_PATHS`` comes before the apps' catalogues), and
``THIRD_PARTY_MESSAGES`` keeps those messages in it when the catalogue is regenerated.

Only display names change: migrations read a model's declared options and a field's
declared ``verbose_name``, never the ones set here.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

#: Texts of django-axes, rest_framework.authtoken and the admin that our catalogue translates.
THIRD_PARTY_MESSAGES = (
    # django.contrib.admin: its Vietnamese "Bản ghi nhớ" (a memo) for the object history button.
    gettext_noop("History"),
    # rest_framework.authtoken
    gettext_noop("Token"),
    gettext_noop("Tokens"),
    # django-axes
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    # django.contrib.admin 5.2 texts its Vietnamese catalogue lacks
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)

#: Installed app (module) → its name in the admin.
APP_NAMES = {
    "rest_framework.authtoken": _("API tokens"),
    "axes": _("Sign-in attempts"),
    "django_otp.plugins.otp_totp": _("Two-factor devices"),
}

#: django-otp names its TOTP model and fields in plain English strings, not translatable ones.
TOTP_FIELD_NAMES = {
    "user": _("user"),
    "name": _("name"),
    "confirmed": _("confirmed"),
    "created_at": _("created at"),
    "last_used_at": _("last used at"),
    "key": _("secret key"),
    "step": _("time step"),
    "t0": _("start time (T0)"),
    "digits": _("digits"),
    "tolerance": _("tolerance"),
    "drift": _("clock drift"),
    "last_t": _("last time step used"),
    "throttling_failure_timestamp": _("last failed attempt"),
    "throttling_failure_count": _("failed attempts in a row"),
}

#: Their help texts, also plain English strings.
TOTP_HELP_TEXTS = {
    "user": _("The user that this device belongs to."),
    "name": _("The human-readable name of this device."),
    "confirmed": _("Is this device ready for use?"),
    "created_at": _("The date and time when this device was initially created in the system."),
    "last_used_at": _("The most recent date and time this device was used."),
    "key": _("A hex-encoded secret key of up to 40 bytes."),
    "step": _("The time step in seconds."),
    "t0": _("The Unix time at which to begin counting steps."),
    "digits": _("The number of digits to expect in a token."),
    "tolerance": _("The number of time steps in the past or future to allow."),
    "drift": _("The number of time steps the prover is known to deviate from our clock."),
    "last_t": _("The t value of the latest verified token. The next token must be at a higher time step."),
    "throttling_failure_timestamp": _(
        "A timestamp of the last failed verification attempt. Null if last attempt succeeded."
    ),
    "throttling_failure_count": _("Number of successive failed attempts."),
}

#: The section titles of django-otp's TOTP device form (plain strings in its admin).
TOTP_FIELDSETS: dict[str, Any] = {
    "Identity": _("Identity"),
    "Timestamps": _("Times"),
    "Configuration": _("Configuration"),
    "State": _("State"),
    "Throttling": _("Throttling"),
}


def relabel_third_party_apps() -> None:
    """Give the third-party apps and the TOTP device model translatable names (once, at start-up)."""
    for config in apps.get_app_configs():
        if config.name in APP_NAMES:
            config.verbose_name = APP_NAMES[config.name]
    if apps.is_installed("django_otp.plugins.otp_totp"):
        model = apps.get_model("otp_totp", "TOTPDevice")
        # The same words as the model's own, now translatable.
        model._meta.verbose_name = _("TOTP device")
        model._meta.verbose_name_plural = _("TOTP devices")
        for field_name, verbose_name in TOTP_FIELD_NAMES.items():
            field = model._meta.get_field(field_name)
            field.verbose_name = verbose_name
            field.help_text = TOTP_HELP_TEXTS[field_name]
        _translate_totp_fieldsets(model)
    if apps.is_installed("axes"):
        _name_axes_status_column()


def _name_axes_status_column() -> None:
    """django-axes' attempts list has a "status" column named by its method, in English."""
    from django.contrib import admin

    registered = admin.site._registry.get(apps.get_model("axes", "AccessAttempt"))
    status = getattr(type(registered), "status", None) if registered is not None else None
    if status is not None:
        status.short_description = _("status")


def _translate_totp_fieldsets(model: type) -> None:
    from django.contrib import admin

    registered = admin.site._registry.get(model)
    if registered is None:
        return
    plain = registered.get_fieldsets

    def get_fieldsets(request: Any, obj: Any = None) -> Any:
        return [
            (TOTP_FIELDSETS.get(str(name), name) if name else name, options)
            for name, options in plain(request, obj)
        ]

    registered.get_fieldsets = get_fieldsets  # type: ignore[method-assign]
