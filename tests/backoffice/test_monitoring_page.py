"""The leaders' monitoring page on the hand-computed week: charts' data, rising words, places, refusals."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from backoffice import monitoring as monitoring_view
from search.base import SearchUnavailable
from tests.conftest import Cast, Tree

URL = reverse("backoffice:backoffice-monitoring")
with translation.override("en"):
    URL_EN = reverse("backoffice:backoffice-monitoring")  # pages in English, for the texts
WEEK = {"period": "custom", "since": "2026-11-02", "until": "2026-11-08"}


def chart(response: Any, name: str) -> dict[str, Any]:
    found = re.search(
        rf'<script id="{name}" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert found, name
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_officers_are_refused(client, cast: Cast, week):
    client.force_login(cast.officer)
    assert client.get(URL, WEEK).status_code == 403


def test_a_province_leader_sees_the_week_of_the_province_by_topic_and_by_commune(
    client, cast: Cast, week, tree
):
    client.force_login(cast.province_leader)
    response = client.get(URL_EN, WEEK)
    assert response.status_code == 200
    topics = chart(response, "data-topics")
    assert topics["labels"] == ["02/11", "03/11", "04/11", "05/11", "06/11", "07/11", "08/11"]
    assert [sum(series["data"]) for series in topics["series"]] == [5]  # A B C F E: one topic
    places = chart(response, "data-places")
    assert places["series"] == [{"label": "Phường Hoàn Kiếm", "data": [2, 1, 1, 1, 0, 0, 0]}]
    html = response.content.decode()
    # Communes with petitions as tiles; the quiet one (Cửa Nam) only counted.
    assert re.search(r'class="tile-name">Phường Hoàn Kiếm</span> <span class="tile-count">5<', html)
    assert 'class="tile-name">Phường Cửa Nam' not in html
    assert "1 other commune had no petitions." in html
    assert "Phường Bến Thành" not in html  # another province


def test_the_central_leader_sees_every_province_as_a_tile(client, cast: Cast, week):
    client.force_login(cast.central_leader)
    response = client.get(URL, WEEK)
    html = response.content.decode()
    assert re.search(r'class="tile-name">Thành phố Hà Nội</span> <span class="tile-count">6<', html)
    assert re.search(r'class="tile-name">Thành phố Hồ Chí Minh</span> <span class="tile-count">0<', html)
    assert chart(response, "data-places")["series"][0]["label"] == "Thành phố Hà Nội"


def test_province_tiles_are_in_order_of_the_name_without_its_type(client, cast: Cast, week, tree: Tree):
    from routing.models import Level, Unit

    Unit.objects.create(code="P04", name="Tỉnh Cao Bằng", level=Level.PROVINCE, parent=tree.central)
    client.force_login(cast.central_leader)
    html = client.get(URL, WEEK).content.decode()
    names = re.findall(r'class="tile-name">([^<]+)</span>', html)
    assert names == ["Tỉnh Cao Bằng", "Thành phố Hà Nội", "Thành phố Hồ Chí Minh"]


def test_rising_words_are_shown_as_citizens_spelled_them(client, cast: Cast, submit, tree: Tree):
    for title in ["Cống thoát nước tắc nghẽn bốc mùi"] * 2 + ["Kênh nước thải bốc mùi"] * 2:
        submit(title=title)
    client.force_login(cast.leader)
    html = client.get(URL).content.decode()
    rising = re.findall(r'<li><a href="[^"]*">(.*?)</a>', html)
    assert "bốc mùi" in rising
    assert len({"thoát nước", "tắc nghẽn"} & set(rising)) == 1  # words of the same two petitions: one topic
    assert "nước tắc" not in rising and "mùi" not in rising


def test_a_leader_cannot_look_at_another_province(client, cast: Cast, week, tree: Tree):
    client.force_login(cast.province_leader)
    assert client.get(URL, {**WEEK, "unit": tree.hcm.code}).status_code == 403


def test_a_bad_period_is_explained_and_nothing_is_computed(client, cast: Cast, week):
    client.force_login(cast.province_leader)
    response = client.get(URL, {"period": "custom", "since": "2026-11-08", "until": "2026-11-02"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert "result" not in response.context


def test_search_being_down_is_said_and_the_rest_works(client, cast: Cast, week, monkeypatch):
    def down(query: Any) -> Any:
        raise SearchUnavailable("monitor")

    monkeypatch.setattr(monitoring_view, "monitor", down)
    client.force_login(cast.province_leader)
    response = client.get(URL_EN, WEEK)
    assert response.status_code == 503
    assert "Monitoring is unavailable right now" in response.content.decode()
    assert client.get(reverse("backoffice:backoffice-dashboard")).status_code == 200


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_volume(client, cast: Cast, submit, tree: Tree):
    client.force_login(cast.central_leader)
    submit()
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _n in range(15):
        submit(commune=tree.cua_nam)
        submit(commune=tree.ben_thanh, title="Đèn chiếu sáng công cộng hỏng")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)


def test_the_dates_button_shows_the_chosen_dates_whatever_the_list_says(client, cast: Cast, week):
    client.force_login(cast.province_leader)
    # The list still says "last 30 days"; the dates' own button sends period=custom after it.
    response = client.get(URL_EN + "?period=30&since=2026-11-02&until=2026-11-08&period=custom")
    assert response.status_code == 200
    assert "Petitions submitted from 02/11/2026 to 08/11/2026" in response.content.decode()
    # The list's own button sends only the list: the last 30 days.
    response = client.get(URL_EN + "?period=7&since=2026-11-02&until=2026-11-08")
    assert "Petitions submitted from 02/11/2026" not in response.content.decode()


def test_tiles_and_rising_words_lead_further(client, cast: Cast, week, tree: Tree):
    client.force_login(cast.central_leader)
    html = client.get(URL, WEEK).content.decode()
    assert (
        f'href="?unit={tree.hanoi.code}&amp;period=custom&amp;since=2026-11-02&amp;until=2026-11-08"' in html
    )
    assert client.get(URL, {**WEEK, "unit": tree.hanoi.code}).status_code == 200


def test_an_empty_period_says_so_once_per_panel_without_an_empty_chart(client, cast: Cast, week):
    client.force_login(cast.province_leader)
    html = client.get(
        URL_EN, {"period": "custom", "since": "2020-01-01", "until": "2020-01-31"}
    ).content.decode()
    assert 'id="chart-topics"' not in html and 'id="chart-places"' not in html
    assert html.count("No petitions in this period.") == 2
    assert "No place had petitions in this period." in html
    assert "other commune" not in html  # not "2 other communes had no petitions" when none had any
    # In English a category is not called a topic (the synthesis's topics are groups of words).
    assert "Volume by category" in html and "Volume by topic" not in html


def test_central_in_an_empty_period_lists_no_provinces_of_zeros(client, cast: Cast, week):
    client.force_login(cast.central_leader)
    html = client.get(
        URL_EN, {"period": "custom", "since": "2020-01-01", "until": "2020-01-31"}
    ).content.decode()
    assert 'class="tile-count"' not in html and "No place had petitions in this period." in html


def test_the_tables_that_scroll_on_a_phone_can_be_reached_by_keyboard(client, cast: Cast, week):
    """axe's scrollable-region-focusable: every scrolling table is a focusable, named region."""
    client.force_login(cast.province_leader)
    html = client.get(URL_EN, WEEK).content.decode()
    wraps = re.findall(r'<div class="table-wrap"[^>]*>', html)
    assert wraps and all(
        'tabindex="0"' in w and 'role="region"' in w and "aria-label=" in w for w in wraps
    ), wraps
