from __future__ import annotations

from django.contrib import admin

from alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("place", "subject", "observed", "expected", "p_value", "state", "updated_at")
    list_filter = ("state", "window_hours")
    readonly_fields = [f.name for f in Alert._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
