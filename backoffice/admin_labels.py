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
            model._meta.get_field(field_name).verbose_name = verbose_name
