"""Admin for the organisation and SLA policies; cases are visible, never editable by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import AdminSite
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from routing.models import Case, CaseEvent, Membership, ResponseTemplate, SLAPolicy, Unit
from routing.second_factor import second_factor_missing
from routing.selectors import case_events_visible_to, cases_visible_to


def _has_permission(request: HttpRequest) -> bool:
    """Staff with two-factor sign-in must have entered their code in this session, here too.

    The admin signs in through the office sign-in (config/urls.py); this refuses a session
    that got in any other way. Set on the default site every app registers with; a site
    subclass would need its own AdminConfig in INSTALLED_APPS.
    """
    return AdminSite.has_permission(admin.site, request) and not second_factor_missing(request.user)


admin.site.has_permission = _has_permission  # type: ignore[method-assign]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = ["path"]
    autocomplete_fields = ["parent"]
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "created_at"]
    list_filter = ["role", "unit__level"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "unit__name", "unit__code"]
    list_select_related = ["user", "unit"]
    autocomplete_fields = ["user", "unit"]
    actions = ["reset_sign_in_limits"]

    @admin.action(description=_("Clear failed sign-ins (lift sign-in limits)"), permissions=["change"])
    def reset_sign_in_limits(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        """What ``manage.py axes_reset_username`` does, for the chosen staff (backoffice.lockout)."""
        from axes.utils import reset

        usernames = queryset.values_list("user__username", flat=True)
        count = sum(reset(username=username) for username in usernames)
        message = ngettext(
            "%(count)s failed sign-in record cleared.", "%(count)s failed sign-in records cleared.", count
        )
        self.message_user(request, message % {"count": count})


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "level",
        "category",
        "triage_days",
        "resolution_days",
        "feedback_days",
        "max_extension_days",
    ]
    list_filter = ["level"]
    list_select_related = ["category"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The lifecycle changes only through transitions: no add, change or delete here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


TIMELINE_FIELDS: Any = [
    "created_at",
    "kind",
    "actor_kind",
    "actor",
    "from_state",
    "to_state",
    "from_unit",
    "to_unit",
    "is_public",
    "note",
]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = TIMELINE_FIELDS
    readonly_fields = TIMELINE_FIELDS
    extra = 0
    can_delete = False
    ordering = ["created_at", "id"]
    verbose_name_plural = _("timeline")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return super().get_queryset(request).select_related("actor", "from_unit", "to_unit")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "state", "unit", "assignee", "due_at", "is_overdue", "submitted_at"]
    list_filter = ["state", "unit__level", "is_overdue", "petition__category"]
    search_fields = ["petition__tracking_code", "petition__title"]
    list_select_related = ["petition", "unit", "assignee"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    inlines = [CaseEventInline]
    exclude = ["reminded_due_at"]

    @admin.display(description=_("code"), ordering="petition__tracking_code")
    def code(self, obj: Case) -> str:
        return obj.petition.tracking_code

    @admin.display(description=_("title"))
    def title(self, obj: Case) -> str:
        return obj.petition.title

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return cases_visible_to(request.user).select_related("petition", "unit", "assignee")


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "case",
        "kind",
        "actor_kind",
        "actor",
        "from_state",
        "to_state",
        "is_public",
    ]
    list_filter = ["kind", "actor_kind", "is_public"]
    list_select_related = ["case__petition", "actor"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return case_events_visible_to(request.user)


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "category", "is_active", "updated_at"]
    list_filter = ["is_active", "category"]
    search_fields = ["title", "text", "unit__name"]
    list_select_related = ["unit", "category"]
    autocomplete_fields = ["unit"]
    readonly_fields = ["updated_by"]

    def save_model(self, request: HttpRequest, obj: ResponseTemplate, form: Any, change: bool) -> None:
        obj.updated_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
