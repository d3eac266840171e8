"""The case desk names its live socket, so a citizen's added information reaches an open desk."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from notifications.routes import desk_socket
from tests.conftest import Cast


def test_the_desk_page_names_its_cases_live_socket(client: Any, case: Any, cast: Cast) -> None:
    client.force_login(cast.officer)
    page = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert f'data-live-socket="{desk_socket(case.pk)}"' in page
    assert desk_socket(case.pk) == f"/ws/office/cases/{case.pk}/"
