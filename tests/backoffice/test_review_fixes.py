"""Things a first trial by new users turned up: codes typed loosely, Vietnamese order, error pages,
the agency's deadline, idle units folded away and the slowest units first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from petitions.services import normalize_tracking_code
from routing.metrics import Row, _slowest_first
from routing.units import name_sort_key
from tests.conftest import advance


@pytest.mark.parametrize("typed", ["pa 26 7kq3m9", "PA267KQ3M9", " PA-26-7KQ3M9 ", "pa-26-7kq3m9"])
def test_tracking_codes_typed_without_hyphens_or_in_lowercase_are_understood(typed):
    assert normalize_tracking_code(typed) == "PA-26-7KQ3M9"


def test_a_citizen_finds_their_petition_with_a_code_typed_without_hyphens(client, case):
    compact = case.petition.tracking_code.replace("-", " ").lower()
    response = client.post("/track/", {"code": compact, "phone": "0912 345 678"})
    assert response.status_code == 302


def test_units_are_listed_in_vietnamese_alphabetical_order():
    names = ["Đồng Tháp", "Cao Bằng", "Cà Mau", "Đà Nẵng", "Bắc Ninh", "An Giang", "Điện Biên", "Ba Đình"]
    assert sorted(names, key=name_sort_key) == [
        "An Giang",
        "Ba Đình",
        "Bắc Ninh",
        "Cà Mau",
        "Cao Bằng",
        "Đà Nẵng",
        "Điện Biên",
        "Đồng Tháp",
    ]


def test_a_refused_page_explains_itself_in_the_sites_language(client, cast):
    client.force_login(cast.officer)
    response = client.get(reverse("backoffice:backoffice-dashboard"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>" in body and "site.css" in body and reverse("backoffice:backoffice-inbox") in body


def test_an_unknown_address_gets_a_page_that_helps(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert reverse("portal:portal-track") in response.content.decode()


def test_a_case_waiting_for_an_agency_shows_the_agencys_deadline_without_alarm(client, case, cast):
    advance(case, "awaiting_agency", cast)
    client.force_login(cast.officer)
    response = client.get(reverse("backoffice:backoffice-case", args=[case.pk]))
    assert response.context["deadline_tone"] == "waiting"
    label = response.context["deadline_label"]
    assert "agency" in label or "cơ quan chức năng" in label


def test_units_that_missed_deadlines_without_responding_come_first_and_idle_units_fold_away(
    client, cast, submit, tree
):
    idle = Row(key="a", label="Phường A")
    quick = Row(key="b", label="Phường B", responded=2, response_p50=3600.0, open=1)
    slow = Row(key="c", label="Phường C", responded=1, response_p50=7200.0)
    silent = Row(key="d", label="Phường D", overdue=3, open=3)
    assert _slowest_first([idle, quick, slow, silent]) == [silent, slow, quick, idle]
    assert idle.is_idle and not silent.is_idle

    submit()  # only Hoàn Kiếm has a case: Cửa Nam is folded away on the province dashboard
    client.force_login(cast.province_leader)
    body = client.get(reverse("backoffice:backoffice-dashboard")).content.decode()
    assert 'class="idle-units"' in body and "Phường Cửa Nam" in body.split('class="idle-units"')[1]


def test_the_weekly_report_warns_while_its_week_is_still_running(client, cast):
    client.force_login(cast.leader)
    today = dt.date.today()
    week = today.strftime("%G-W%V")
    response = client.get(reverse("backoffice:backoffice-weekly-report"), {"week": week})
    assert [m.level_tag for m in response.context["messages"]] == ["info"]
