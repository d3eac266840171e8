from __future__ import annotations

from django.urls import path

from backoffice import alerts, bulk, leaders, monitoring, search, synthesis, twofactor, views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="backoffice-login"),
    path("login/verify/", twofactor.login_verify, name="backoffice-login-verify"),
    path("account/two-factor/", twofactor.two_factor, name="backoffice-two-factor"),
    path("logout/", views.LogoutView.as_view(), name="backoffice-logout"),
    path("", views.inbox, name="backoffice-inbox"),
    path("inbox/live.json", views.inbox_live, name="backoffice-inbox-live"),
    path("petitions/new/", views.petition_new, name="backoffice-petition-new"),
    path("templates/", views.templates, name="backoffice-templates"),
    path("search/", search.search, name="backoffice-search"),
    path("dashboard/", leaders.dashboard, name="backoffice-dashboard"),
    path("dashboard/live.json", leaders.dashboard_live, name="backoffice-dashboard-live"),
    path("reports/weekly/", leaders.weekly_report, name="backoffice-weekly-report"),
    path("monitoring/", monitoring.monitoring, name="backoffice-monitoring"),
    path("monitoring/synthesis/", synthesis.synthesis, name="backoffice-synthesis"),
    path("alerts/", alerts.alerts_list, name="backoffice-alerts"),
    path("alerts/<int:pk>/", alerts.alert_detail, name="backoffice-alert"),
    path("alerts/<int:pk>/<str:action>/", alerts.alert_act, name="backoffice-alert-act"),
    path("units/<str:code>/cases/", leaders.unit_cases, name="backoffice-unit-cases"),
    path("export.<str:fmt>", leaders.cases_export, name="backoffice-export"),
    path("cases/bulk/", bulk.bulk_act, name="backoffice-bulk"),
    path("cases/<int:pk>/", views.case_desk, name="backoffice-case"),
    path("cases/<int:pk>/notes/", views.case_note, name="backoffice-case-note"),
    path("cases/<int:pk>/photos/<int:photo>/<str:size>/", views.case_photo, name="backoffice-case-photo"),
    path("cases/<int:pk>/documents/<int:document>/", views.case_document, name="backoffice-case-document"),
    path("cases/<int:pk>/<str:action>/", views.case_act, name="backoffice-case-act"),
]
