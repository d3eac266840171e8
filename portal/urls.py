from __future__ import annotations

from django.urls import path

from portal import case_actions, cosign, links, mine, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="portal-home"),
    path("submit/", views.submit, name="portal-submit"),
    path("submit/received/", views.submitted, name="portal-submitted"),
    path("submit/similar.json", views.similar_answered, name="portal-similar"),
    path("submit/photos/<str:token>/", views.staged_photo, name="portal-staged-photo"),
    path("units/<str:province_code>/communes.json", views.communes, name="portal-communes"),
    path("units/nearest.json", views.nearest_commune, name="portal-nearest-commune"),
    path("track/", views.track, name="portal-track"),
    path("t/s/<str:signed>/", links.signed_link, name="portal-signed-link"),
    path("t/<str:token>/", views.track_token, name="portal-track-token"),
    path("track/<str:code>/", views.case_page, name="portal-case"),
    path("track/<str:code>/live.json", views.case_live, name="portal-case-live"),
    path("track/<str:code>/feedback/", case_actions.feedback, name="portal-feedback"),
    path("track/<str:code>/withdraw/", case_actions.withdraw, name="portal-withdraw"),
    path("track/<str:code>/add/", case_actions.add_info, name="portal-add-info"),
    path("track/<str:code>/answer/", case_actions.answer, name="portal-answer"),
    path("track/<str:code>/sms/", case_actions.sms_updates, name="portal-sms-updates"),
    path("track/<str:code>/photos/<int:pk>/<str:size>/", views.photo, name="portal-photo"),
    path("track/<str:code>/documents/<int:pk>/", views.document, name="portal-document"),
    path("statistics/", views.statistics, name="portal-statistics"),
    path("my/", mine.my_petitions, name="portal-my"),
    path("my/code/", mine.my_send, name="portal-my-send"),
    path("my/verify/", mine.my_verify, name="portal-my-verify"),
    path("my/forget/", mine.my_forget, name="portal-my-forget"),
    path("my/<str:code>/", mine.my_open, name="portal-my-open"),
    path("petitions/", cosign.petitions_public, name="portal-petitions"),
    path("petitions/<str:code>/", cosign.public_petition, name="portal-petition"),
    path("petitions/<str:code>/cosign/", cosign.cosign_send, name="portal-cosign"),
    path("petitions/<str:code>/cosign/confirm/", cosign.cosign_confirm, name="portal-cosign-confirm"),
]
