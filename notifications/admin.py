from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.outbox import PHONE_CODE_TEMPLATE


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the services and drained by the job engine.

    The text of a one-time code's SMS is never shown: until it is sent (or expires) it holds the
    code, and anyone allowed to view notifications could use it.
    """

    list_display = ("created_at", "template", "channel", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "channel", "template")
    date_hierarchy = "created_at"
    # Every column, read-only, the text in its guarded form.
    readonly_fields = tuple("shown_body" if f.name == "body" else f.name for f in Notification._meta.fields)
    fields = readonly_fields
    list_select_related = ()

    @admin.display(description=_("text"))
    def shown_body(self, obj: Notification) -> str:
        if obj.template == PHONE_CODE_TEMPLATE:
            return str(_("(one-time code hidden)"))
        return obj.body

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
