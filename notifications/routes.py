"""Websocket routes (mounted by ``config.asgi`` behind origin checks and sessions).

The consumers load the user themselves, when they authorise (``StaffConsumer.groups_for``);
a citizen's socket never needs one.
"""

from __future__ import annotations

from django.urls import path

from notifications import consumers

TRACK_SOCKET = "/ws/track/{code}/"
INBOX_SOCKET = "/ws/office/inbox/"
DASHBOARD_SOCKET = "/ws/office/dashboard/"
DESK_SOCKET = "/ws/office/cases/{pk}/"

websocket_urlpatterns = [
    path("ws/track/<str:code>/", consumers.TrackConsumer.as_asgi(), name="ws-track"),
    path("ws/office/inbox/", consumers.InboxConsumer.as_asgi(), name="ws-office-inbox"),
    path("ws/office/dashboard/", consumers.DashboardConsumer.as_asgi(), name="ws-office-dashboard"),
    path("ws/office/cases/<int:pk>/", consumers.DeskConsumer.as_asgi(), name="ws-office-desk"),
]


def track_socket(code: str) -> str:
    """The path of a case page's socket; the page's script adds the scheme and host."""
    return TRACK_SOCKET.format(code=code)


def desk_socket(case_id: int) -> str:
    """The path of a case desk's socket (the desk's ``data-live-socket``, read by ``backoffice/desk.js``)."""
    return DESK_SOCKET.format(pk=int(case_id))
