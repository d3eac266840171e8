"""Admin for categories, (read-only) petitions, and the Open311 partners with their API keys.

Contact details (name, phone, email, address, media link) are shown only to
staff of the unit currently handling the petition's case.

An API key is shown once, on the page answering its creation (never in a
message, cookie or session); only its SHA-256 and its first characters are
stored. Keys are never deleted, so a partner with keys (or with petitions it
filed) cannot be deleted either: it is deactivated instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from petitions.models import Category, Partner, PartnerKey, Petition
from routing.models import membership_of
from routing.selectors import cases_visible_to

CONTACT_FIELDS = ("submitter_name", "phone", "email", "address", "media_url")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "default_level", "allows_anonymous", "is_active", "position"]
    list_editable = ["position", "is_active"]
    list_filter = ["default_level", "allows_anonymous", "is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    list_display = ["tracking_code", "title", "category", "province", "commune", "channel", "submitted_at"]
    list_filter = ["channel", "category", "partner"]
    search_fields = ["tracking_code", "title"]
    list_select_related = ["category", "province", "commune"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    exclude = ["token_hash", "request_fingerprint", "idempotency_key"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

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


class PartnerKeyInline(admin.TabularInline):
    model = PartnerKey
    extra = 0
    fields = ["prefix", "label", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "label", "created_at", "last_used_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Keys are created on their own page, which shows the new key once.
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "is_active", "rate_limit", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact_email"]
    readonly_fields = ["created_at", "new_key_link"]
    fields = ["name", "contact_email", "is_active", "rate_limit", "created_at", "new_key_link"]
    inlines = [PartnerKeyInline]

    @staticmethod
    def _deletable(obj: Partner) -> bool:
        # Keys are never deleted (their history stays) and petitions keep who filed them (PROTECT).
        return not obj.keys.exists() and not obj.petitions.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not self._deletable(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk deletion would offer, then refuse, partners with keys: delete one at a time, from its page.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and not self._deletable(obj) and "is_active" in form.base_fields:
            field = form.base_fields["is_active"]
            field.help_text = format_lazy(
                "{} {}",
                field.help_text,
                _(
                    "This partner has API keys or filed petitions, so it cannot be deleted:"
                    " untick active instead."
                ),
            )
        return form

    @admin.display(description=_("API keys"))
    def new_key_link(self, obj: Partner) -> str:
        if obj.pk is None:
            return gettext("Save the partner first, then create a key.")
        url = reverse("admin:petitions_partnerkey_add") + f"?partner={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, gettext("Create a new API key"))


@admin.register(PartnerKey)
class PartnerKeyAdmin(admin.ModelAdmin):
    list_display = ["partner", "label", "prefix", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active", "partner"]
    list_select_related = ["partner"]
    search_fields = ["partner__name", "label", "prefix"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("partner", "label")
        return ("partner", "label", "prefix", "is_active", "created_at", "last_used_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["partner", "prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: PartnerKey, form: Any, change: bool) -> None:
        if not change:
            key = PartnerKey.generate()
            obj.set_key(key)
            # Kept on this request only, for ``response_add`` to show once: never in a message,
            # a cookie or the session.
            request.new_partner_key = key  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: PartnerKey, post_url_continue: str | None = None
    ) -> Any:
        key = getattr(request, "new_partner_key", None)
        if key is None:  # pragma: no cover - every add goes through save_model
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("The new API key"),
            "key": key,
            "partner_key": obj,
            "partner_url": reverse("admin:petitions_partner_change", args=[obj.partner_id]),
        }
        # The admin's views are never cached (no-store), this page included.
        return TemplateResponse(request, "admin/petitions/partnerkey/created.html", context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: the key's history (created, last used) stays.
        return False
