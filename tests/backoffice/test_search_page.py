"""The back-office search page: jurisdiction, facets, paging, escaped highlights, and search being down."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from backoffice import search as search_view
from routing.models import CaseState
from search.base import SearchUnavailable
from tests.conftest import Cast, Tree, shape

URL = reverse("backoffice:backoffice-search")
LOGIN = reverse("backoffice:backoffice-login")


@pytest.fixture
def hoan_kiem(submit: Any) -> list[Any]:
    return [
        submit(title="Rác thải ùn ứ phố Hàng Bông").petition.case,
        submit(title="Ngập lụt đường Hàng Bông", text="Mưa lớn làm đường ngập sâu nửa mét.").petition.case,
    ]


@pytest.fixture
def elsewhere(submit: Any, tree: Tree) -> list[Any]:
    return [
        submit(commune=tree.cua_nam, title="Rác thải ùn ứ phố Điện Biên Phủ").petition.case,
        submit(commune=tree.ben_thanh, title="Rác thải ùn ứ chợ Bến Thành").petition.case,
    ]


def hits(response: Any) -> list[str]:
    return [row.code for row in response.context["rows"]]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL, {"q": "rac"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_accounts_without_a_unit_are_refused(client, cast: Cast, hoan_kiem):
    client.force_login(cast.outsider)
    response = client.get(URL, {"q": "rac thai"})
    assert response.status_code == 403
    assert hoan_kiem[0].petition.tracking_code not in response.content.decode()


def test_every_staff_member_has_the_search_link(client, cast: Cast):
    client.force_login(cast.officer)
    assert f'href="{URL}"' in client.get(reverse("backoffice:backoffice-inbox")).content.decode()


def test_a_toneless_search_finds_the_officers_case_with_its_words_marked(client, cast: Cast, hoan_kiem):
    client.force_login(cast.officer)
    response = client.get(URL, {"q": "ngap lut"})
    assert response.status_code == 200
    assert hits(response) == [hoan_kiem[1].petition.tracking_code]
    body = response.content.decode()
    assert "<mark>Ngập</mark> <mark>lụt</mark> đường Hàng Bông" in body
    assert f'href="{reverse("backoffice:backoffice-case", args=[hoan_kiem[1].pk])}"' in body


def test_another_units_officer_sees_nothing_of_hoan_kiem(client, cast: Cast, hoan_kiem, elsewhere):
    client.force_login(cast.other_officer)
    for params in ({"q": "rac thai"}, {}, {"commune": "W00070"}):
        response = client.get(URL, params)
        assert response.status_code == 200
        body = response.content.decode()
        for case in hoan_kiem:
            assert case.petition.tracking_code not in body, params
            assert case.petition.title not in body, params
        commune_counts = dict(
            (v.value, v.count) for f in response.context["facets"] for v in f.values if f.name == "commune"
        )
        assert commune_counts.get("W00070") in (None, 0), params
    assert hits(client.get(URL, {"q": "rac thai"})) == [elsewhere[0].petition.tracking_code]
    code = hoan_kiem[0].petition.tracking_code
    by_code = client.get(URL, {"q": code})
    assert hits(by_code) == []
    body = by_code.content.decode()
    # Only the question is echoed: in the search box, and in the header's language switch (this page in the other language).
    assert body[body.index("<main") :].count(code) == 1
    assert body[: body.index("<main")].count(code) == body.count('name="next" type="hidden"')


def test_leaders_search_their_subtree(client, cast: Cast, hoan_kiem, elsewhere):
    client.force_login(cast.province_leader)
    found = set(hits(client.get(URL, {"q": "rac thai"})))
    assert found == {hoan_kiem[0].petition.tracking_code, elsewhere[0].petition.tracking_code}
    client.force_login(cast.central_leader)
    assert len(hits(client.get(URL, {"q": "rac thai"}))) == 3


def test_facets_show_counts_and_filter_the_results(client, cast: Cast, hoan_kiem, elsewhere):
    shape(hoan_kiem[0], state=CaseState.IN_PROGRESS)
    client.force_login(cast.province_leader)
    response = client.get(URL, {"q": "rac thai"})
    facets = {f.name: {v.value: v.count for v in f.values} for f in response.context["facets"]}
    assert facets["state"] == {"submitted": 1, "in_progress": 1}
    assert facets["commune"] == {"W00070": 1, "W00073": 1}
    body = response.content.decode()
    assert re.search(
        r'name="commune" value="W00073">\s*Phường Cửa Nam <span class="count">\(1\)</span>', body
    )
    assert "In progress" in body or "Đang xử lý" in body

    narrowed = client.get(URL, {"q": "rac thai", "state": "in_progress"})
    assert hits(narrowed) == [hoan_kiem[0].petition.tracking_code]
    assert 'name="state" value="in_progress" checked' in narrowed.content.decode()
    state_facet = next(f for f in narrowed.context["facets"] if f.name == "state")
    assert {v.value: v.count for v in state_facet.values} == {"submitted": 1, "in_progress": 1}
    both = client.get(URL, {"q": "rac thai", "commune": ["W00070", "W00073"], "overdue": "0"})
    assert len(hits(both)) == 2


def test_results_are_paged_and_sorted(client, cast: Cast, submit):
    made = [submit(title=f"Đèn đường hỏng số {n}").petition.tracking_code for n in range(30)]
    client.force_login(cast.officer)
    first = client.get("/en" + URL, {"q": "den duong", "sort": "oldest"})
    assert hits(first) == made[:25]
    assert "Page 1 of 2" in first.content.decode()
    assert "30 cases found" in first.content.decode()
    second = client.get(URL, {"q": "den duong", "sort": "oldest", "page": "2"})
    assert hits(second) == made[25:]
    beyond = client.get(URL, {"q": "den duong", "sort": "oldest", "page": "9"})
    assert hits(beyond) == made[25:]  # the last page
    newest = client.get(URL, {"q": "den duong", "sort": "newest"})
    assert hits(newest)[0] == made[-1]


def test_titles_and_highlights_are_escaped(client, cast: Cast, submit):
    submit(title="<script>alert('x')</script> rác bụi", text="Bụi <b>rất</b> nhiều ở ngõ nhỏ.")
    client.force_login(cast.officer)
    body = client.get(URL, {"q": "bui"}).content.decode()
    assert "<script>alert" not in body and "<b>rất" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; rác <mark>bụi</mark>" in body
    assert "<mark>Bụi</mark> &lt;b&gt;rất&lt;/b&gt;" in body


def test_filters_it_does_not_understand_are_left_out(client, cast: Cast, hoan_kiem):
    client.force_login(cast.officer)
    response = client.get(
        URL, {"q": "rac thai", "state": "nonsense", "since": "yesterday", "commune": "<x>", "page": "0"}
    )
    assert response.status_code == 200
    assert hits(response) == [hoan_kiem[0].petition.tracking_code]
    assert 'role="alert"' in response.content.decode()


class DownBackend:
    def search(self, query: Any) -> Any:
        raise SearchUnavailable("connection refused")

    def similar(self, **kwargs: Any) -> Any:
        raise SearchUnavailable("connection refused")


def test_when_search_is_down_the_page_says_so_and_points_to_the_inbox(
    client, cast: Cast, hoan_kiem, monkeypatch
):
    monkeypatch.setattr(search_view, "get_backend", DownBackend)
    client.force_login(cast.officer)
    response = client.get("/en" + URL, {"q": "rac thai"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "Search is unavailable right now" in body
    assert 'href="/en/office/"' in body
    assert hoan_kiem[0].petition.tracking_code not in body
    # The desk still opens, without similar cases.
    desk = client.get(reverse("backoffice:backoffice-case", args=[hoan_kiem[0].pk]))
    assert desk.status_code == 200 and desk.context["similar"] == []


def test_the_page_costs_the_same_queries_for_five_or_sixty_cases(
    client, cast: Cast, submit, django_assert_max_num_queries
):
    client.force_login(cast.province_leader)
    for n in range(5):
        submit(title=f"Rác thải ùn ứ số {n}")
    with django_assert_max_num_queries(16) as small:
        client.get(URL, {"q": "rac thai"})
    for n in range(55):
        submit(title=f"Rác thải ùn ứ số {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL, {"q": "rac thai"})
    assert response.context["result"].total == 60
    assert len(response.context["rows"]) == 25


def test_words_typed_on_the_empty_page_sort_by_best_match_and_the_list_shows_it(client, cast: Cast, submit):
    client.force_login(cast.officer)
    empty = client.get("/en" + URL)
    body = empty.content.decode()
    assert '<option value="newest" selected>' in body
    assert 'name="default_sort" value="newest"' in body
    # The form as the empty page sends it: the list still at "newest first".
    submit(title="Ngập lụt kéo dài", text="Đường Hàng Bông ngập.")
    best = submit(title="Ngập lụt đường Hàng Bông").petition.tracking_code
    response = client.get("/en" + URL, {"q": "ngập lụt đường", "sort": "newest", "default_sort": "newest"})
    assert response.context["sort"] == "relevance"
    assert hits(response)[0] == best
    body = response.content.decode()
    assert '<option value="relevance" selected>' in body
    assert 'name="default_sort" value="relevance"' in body


def test_a_sort_chosen_on_purpose_is_kept_when_the_words_change(client, cast: Cast, submit):
    made = [submit(title=f"Đèn đường hỏng số {n}").petition.tracking_code for n in range(3)]
    client.force_login(cast.officer)
    chosen = client.get(URL, {"q": "den duong", "sort": "oldest", "default_sort": "newest"})
    assert hits(chosen) == made
    newest = client.get(URL, {"q": "den duong", "sort": "newest", "default_sort": "relevance"})
    assert newest.context["sort"] == "newest" and hits(newest) == made[::-1]
    # Words cleared with the list left at its default: the newest cases first again.
    cleared = client.get(URL, {"q": "", "sort": "relevance", "default_sort": "relevance"})
    assert cleared.context["sort"] == "newest"


def test_the_search_box_is_capped_and_a_longer_query_searches_nothing(client, cast: Cast, hoan_kiem):
    client.force_login(cast.officer)
    body = client.get(URL).content.decode()
    assert re.search(r'<input type="search" name="q"[^>]* maxlength="200"', body)
    response = client.get("/en" + URL, {"q": "rác thải " * 375})
    assert response.status_code == 200
    assert response.context["rows"] == []
    body = response.content.decode()
    assert "Nothing was searched" in body
    assert "Search words can be at most 200 characters long (this search has 3374)" in body
    assert 'aria-invalid="true"' in body
    for case in hoan_kiem:
        assert case.petition.tracking_code not in body
    assert "Some filters were not understood" not in body


def test_a_page_that_is_not_a_number_shows_the_first_page_without_a_message(client, cast: Cast, hoan_kiem):
    client.force_login(cast.officer)
    for page in ("abc", "0", "-3", "1e9"):
        response = client.get(URL, {"q": "rac thai", "page": page})
        assert response.status_code == 200, page
        assert hits(response) == [hoan_kiem[0].petition.tracking_code], page
        body = response.content.decode()
        assert 'role="alert"' not in body, page
        assert "Nhập một số" not in body, page


def test_a_period_ending_before_it_starts_is_refused_with_a_message(client, cast: Cast, hoan_kiem):
    client.force_login(cast.officer)
    response = client.get(URL, {"q": "rac thai", "since": "2026-03-10", "until": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    body = response.content.decode()
    assert "Ngày bắt đầu phải trước ngày kết thúc." in body
    assert 'aria-describedby="id_until_error"' in body
    english = client.get("/en" + URL, {"since": "2026-03-10", "until": "2026-03-01"}).content.decode()
    assert "The period must start before it ends." in english
    assert "cases found" not in english


def test_the_results_come_before_the_filters_in_the_page(client, cast: Cast, hoan_kiem):
    client.force_login(cast.officer)
    body = client.get(URL, {"q": "rac thai"}).content.decode()
    assert body.index('class="hits"') < body.index('id="search-filters"')
    assert 'href="#search-filters"' in body
