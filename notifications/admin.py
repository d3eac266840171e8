from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the services and drained by the job engine."""

    list_display = ("created_at", "template", "channel", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "channel", "template")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
    list_select_related = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
