"""The Django admin shows units and cases within jurisdiction, read-only, with contact details only to the handling unit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.urls import reverse

from routing.models import CaseEvent


def _grant_view(user: Any) -> None:
    user.is_staff = True
    user.save()
    codenames = ["view_case", "view_caseevent", "view_petition", "view_unit"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_central_admin_sees_case_with_its_timeline(client, cast, case):
    client.force_login(cast.superuser)
    response = client.get(reverse("admin:routing_case_change", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.petition.tracking_code in body
    event = CaseEvent.objects.get(case=case)
    assert event.get_kind_display() in body


def test_admin_case_pages_refuse_editing(client, cast, case):
    client.force_login(cast.superuser)
    response = client.post(reverse("admin:routing_case_change", args=[case.pk]), {"state": "closed"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == "submitted"
    assert client.get(reverse("admin:routing_case_add")).status_code == 403
    assert client.get(reverse("admin:routing_case_delete", args=[case.pk])).status_code == 403


def test_units_admin_lists_units(client, cast, tree):
    client.force_login(cast.superuser)
    response = client.get(reverse("admin:routing_unit_changelist"), {"level__exact": "commune"})
    assert response.status_code == 200
    assert "Phường Hoàn Kiếm" in response.content.decode()


def test_officer_of_another_commune_cannot_open_the_case_in_admin(client, cast, case):
    _grant_view(cast.other_officer)
    client.force_login(cast.other_officer)
    change_url = reverse("admin:routing_case_change", args=[case.pk])
    response = client.get(change_url)
    # The admin redirects to its index with "doesn't exist" for objects outside the queryset.
    assert response.status_code == 302
    listing = client.get(reverse("admin:routing_case_changelist"))
    assert case.petition.tracking_code not in listing.content.decode()
    events = client.get(reverse("admin:routing_caseevent_changelist"))
    assert case.petition.tracking_code not in events.content.decode()
    petitions = client.get(reverse("admin:petitions_petition_changelist"))
    assert case.petition.tracking_code not in petitions.content.decode()


def test_officer_of_the_unit_sees_the_case_in_admin(client, cast, case):
    _grant_view(cast.officer)
    client.force_login(cast.officer)
    listing = client.get(reverse("admin:routing_case_changelist"))
    assert case.petition.tracking_code in listing.content.decode()


def test_contact_details_only_for_the_handling_unit(client, cast, case):
    petition = case.petition
    url = reverse("admin:petitions_petition_change", args=[petition.pk])

    _grant_view(cast.officer)
    client.force_login(cast.officer)
    assert petition.phone in client.get(url).content.decode()

    _grant_view(cast.province_leader)
    client.force_login(cast.province_leader)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert petition.phone not in body
    assert petition.submitter_name not in body
