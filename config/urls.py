from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from backoffice.language import language_set
from backoffice.twofactor import admin_login

admin.site.site_header = _("Petition portal · administration")
admin.site.site_title = _("Petition portal administration")
admin.site.index_title = _("Units, categories, deadlines and cases")

# A 400 (a body Django will not read, any SuspiciousOperation) in the format of the interface asked.
handler400 = "config.bodies.bad_request"
# The database unreachable: 503 in the interface's format; other errors Django's 500 page.
handler500 = "config.unavailable.server_error"

urlpatterns: list[URLPattern | URLResolver] = [
    # Django's set_language, which also keeps a staff member's choice (backoffice.language).
    path("i18n/setlang/", language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
    # Open311 GeoReport v2 for partners' applications: fixed URLs, no language prefix.
    path("open311/", include("portal.open311.urls")),
]
urlpatterns += i18n_patterns(
    # One sign-in for the whole site, the one that asks for the two-factor code: ahead of the admin's own.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("office/", include("backoffice.urls")),
    path("", include("portal.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
