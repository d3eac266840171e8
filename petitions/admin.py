"""Admin for categories and (read-only) petitions.

Contact details (name, phone, email, address) are shown only to staff of the
unit currently handling the petition's case.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from petitions.models import Category, Petition
from routing.models import membership_of
from routing.selectors import cases_visible_to

CONTACT_FIELDS = ("submitter_name", "phone", "email", "address")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "default_level", "allows_anonymous", "is_active", "position"]
    list_editable = ["position", "is_active"]
    list_filter = ["default_level", "allows_anonymous", "is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ["tracking_code", "title", "category", "province", "commune", "channel", "submitted_at"]
    list_filter = ["channel", "category"]
    search_fields = ["tracking_code", "title"]
    list_select_related = ["category", "province", "commune"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    exclude = ["token_hash", "request_fingerprint", "idempotency_key"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Petition]:
        return Petition.objects.filter(case__in=cases_visible_to(request.user)).select_related(
            "category", "province", "commune", "case"
        )

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        excluded = list(self.exclude or [])
        membership = membership_of(request.user)
        handles = obj is not None and membership is not None and membership.unit_id == obj.case.unit_id
        if not handles:
            excluded += CONTACT_FIELDS
        return excluded

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
