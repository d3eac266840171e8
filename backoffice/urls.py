from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="backoffice-login"),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page="backoffice:backoffice-login"),
        name="backoffice-logout",
    ),
    path("", views.inbox, name="backoffice-inbox"),
    path("petitions/new/", views.petition_new, name="backoffice-petition-new"),
    path("templates/", views.templates, name="backoffice-templates"),
    path("cases/<int:pk>/", views.case_desk, name="backoffice-case"),
    path("cases/<int:pk>/notes/", views.case_note, name="backoffice-case-note"),
    path("cases/<int:pk>/photos/<int:photo>/<str:size>/", views.case_photo, name="backoffice-case-photo"),
    path("cases/<int:pk>/<str:action>/", views.case_act, name="backoffice-case-act"),
]
