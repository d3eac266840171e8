"""The weekly synthesis page: a province leader's topics, the XLSX, and who may not see it."""

from __future__ import annotations

import io
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tests.conftest import Cast, Tree

URL = reverse("backoffice:backoffice-synthesis")
with translation.override("en"):
    URL_EN = reverse("backoffice:backoffice-synthesis")


def _flood(submit: Any, tree: Tree, n: int = 4) -> None:
    for number in range(n):
        submit(title=f"Ngập lụt sau mưa lớn ở ngõ {number + 1}")
    submit(title="Ngập lụt sau mưa lớn ở Bến Thành", commune=tree.ben_thanh)


def test_a_province_leader_reads_the_weeks_topics_with_their_places(client, cast: Cast, submit, tree: Tree):
    _flood(submit, tree)
    client.force_login(cast.province_leader)
    response = client.get(URL_EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Weekly synthesis · Thành phố Hà Nội" in body
    assert 'ngập lụt <span class="badge badge-new">New</span>' in body
    assert "Phường Hoàn Kiếm (4)" in body
    assert "Bến Thành" not in body  # another province's petition


def test_the_page_costs_the_same_queries_for_few_or_many_petitions(client, cast: Cast, submit, tree: Tree):
    client.force_login(cast.province_leader)
    _flood(submit, tree, 3)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    _flood(submit, tree, 12)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few) <= 15


def test_the_synthesis_downloads_as_xlsx(client, cast: Cast, submit, tree: Tree):
    _flood(submit, tree)
    client.force_login(cast.province_leader)
    response = client.get(URL_EN, {"format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    topics = book["Topics"]
    header = [cell.value for cell in topics[1]]
    first = {name: cell.value for name, cell in zip(header, topics[2], strict=False)}
    assert (first["Topic"], first["Petitions"], first["Trend"]) == ("ngập lụt", 4, "New")
    assert "Phường Hoàn Kiếm (4)" in first["Places most affected"]
    disposition = response["Content-Disposition"]
    assert disposition.endswith('.xlsx"') and ".xlsx.xlsx" not in disposition
    # In Vietnamese a topic (chủ đề) is not headed like a category (lĩnh vực).
    vietnamese = load_workbook(io.BytesIO(client.get(URL, {"format": "xlsx"}).content))
    heading = [cell.value for cell in vietnamese["Chủ đề"][1]]
    assert heading[0] == "Chủ đề" and heading[2] == "Lĩnh vực"


def test_officers_and_leaders_of_another_province_are_refused(client, cast: Cast):
    client.force_login(cast.officer)
    assert client.get(URL).status_code == 403
    client.force_login(cast.other_province_leader)
    assert client.get(URL, {"unit": "P01"}).status_code == 403
    client.force_login(cast.province_leader)
    assert client.get(URL, {"unit": "P79"}).status_code == 403


def test_the_printable_page_offers_a_print_button_and_leaves_the_forms_off_paper(
    client, cast: Cast, submit, tree: Tree
):
    _flood(submit, tree)
    client.force_login(cast.province_leader)
    html = client.get(URL).content.decode()
    assert '<button class="button" type="button" data-print>In</button>' in html
    assert "backoffice/print.js" in html
    xlsx = html.index("format=xlsx")
    assert html.rfind('<span class="no-print">', 0, xlsx) > html.rfind("</span>", 0, xlsx)


def test_a_months_workbook_is_not_called_weekly(client, cast: Cast, submit, tree: Tree):
    _flood(submit, tree)
    client.force_login(cast.province_leader)
    month = load_workbook(io.BytesIO(client.get(URL_EN, {"format": "xlsx", "period": "30"}).content))
    week = load_workbook(io.BytesIO(client.get(URL_EN, {"format": "xlsx"}).content))
    assert (
        month["Synthesis"]["A1"].value == "Synthesis" and week["Synthesis"]["A1"].value == "Weekly synthesis"
    )
