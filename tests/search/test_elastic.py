"""The search-engine backend on the real engine: folding, jurisdiction, facets, privacy, reindex, outages."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import elasticsearch
import opensearchpy
import pytest
from django.core.management import call_command

from petitions.models import Category
from routing import services
from routing.models import Case
from search import get_backend
from search.base import FACETS, Scope, SearchQuery, SearchUnavailable, scope_for
from search.client import get_client
from search.documents import DOCUMENT_FIELDS, versioned_documents
from search.elastic import ElasticBackend, IndexingFailed, index_body
from search.engine import launch
from tests.conftest import advance, shape

EVERYTHING = Scope(path_prefix="/")


def index_cases(backend: ElasticBackend, *cases: Case) -> None:
    assert backend.index([case.pk for case in cases]) == len(cases)
    backend.refresh()


def ids(result: Any) -> list[int]:
    return [hit.case_id for hit in result.hits]


def source_of_every_document(backend: ElasticBackend) -> list[dict[str, Any]]:
    response = backend.client.search(backend.alias, {"query": {"match_all": {}}, "size": 1000})
    return [raw["_source"] for raw in response["hits"]["hits"]]


# --- configuration and the index -------------------------------------------------------


def test_backend_is_the_engine_when_configured(elastic_url: str) -> None:
    backend = get_backend()
    assert isinstance(backend, ElasticBackend)
    assert isinstance(backend.client.raw, opensearchpy.OpenSearch)
    assert backend.client.info()["version"]["distribution"] == "opensearch"


def test_elasticsearch_url_gets_the_elasticsearch_client(settings: Any) -> None:
    settings.SEARCH_ENGINE, settings.SEARCH_URL = "elasticsearch", "http://127.0.0.1:9"
    assert isinstance(get_client().raw, elasticsearch.Elasticsearch)


def test_analyzers_fold_vietnamese_and_keep_the_spelling_in_the_exact_field(elastic: ElasticBackend) -> None:
    assert elastic.client.analyze(elastic.alias, field="title", text="Ngập lụt ĐƯỜNG") == [
        "ngap",
        "lut",
        "duong",
    ]
    assert elastic.client.analyze(elastic.alias, field="text.exact", text="Ngập lụt ĐƯỜNG") == [
        "ngập",
        "lụt",
        "đường",
    ]
    assert elastic.client.analyze(elastic.alias, field="code.parts", text="PA-26-7KQ3M9") == [
        "pa",
        "26",
        "7kq3m9",
    ]


def test_index_mapping_names_only_document_fields(elastic: ElasticBackend) -> None:
    (index,) = elastic.indices()
    mapping = elastic.client.mapping(elastic.alias)[index]["mappings"]
    assert set(mapping["properties"]) == set(DOCUMENT_FIELDS)
    assert mapping["dynamic"] == "strict" and index_body()["mappings"]["dynamic"] == "strict"


def test_search_init_creates_the_index_once(elastic_url: str) -> None:
    out = io.StringIO()
    call_command("search_init", stdout=out)
    assert "Created index" in out.getvalue()
    call_command("search_init", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert len(ElasticBackend().indices()) == 1


def test_search_init_adds_the_fields_the_document_gained_to_an_older_index(
    elastic_url: str, case: Case
) -> None:
    """An index made before ``published`` and ``resolution_due_at`` existed refuses documents with
    them (the mapping is strict): search_init adds them, and the documents are written again."""
    backend = ElasticBackend()
    body = index_body(aliases=[backend.alias])
    for name in ("published", "resolution_due_at"):
        del body["mappings"]["properties"][name]
    backend.client.create_index(backend.new_index_name(), body)
    with pytest.raises(IndexingFailed):
        backend.index([case.pk])
    out = io.StringIO()
    call_command("search_init", stdout=out)
    assert "Added the fields published, resolution_due_at" in out.getvalue()
    assert backend.index([case.pk]) == 1
    call_command("search_init", stdout=out)
    assert out.getvalue().endswith("nothing to do.\n")


def test_index_removes_cases_that_no_longer_exist(elastic: ElasticBackend, case: Case) -> None:
    assert elastic.index([case.pk, 987654]) == 1
    elastic.refresh()
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING))) == [case.pk]


def test_a_stale_document_never_overwrites_a_newer_one(
    elastic: ElasticBackend, case: Case, cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow drain built the document before the case was accepted and delivers it after a
    # quicker drain wrote the accepted one: the index keeps the newer document.
    stale = list(versioned_documents([case.pk]))
    advance(case, "in_progress", cast)
    assert elastic.index([case.pk]) == 1
    monkeypatch.setattr("search.elastic.versioned_documents", lambda ids: iter(stale))
    assert elastic.index([case.pk]) == 1  # refused as superseded: not a failure to retry
    elastic.refresh()
    [hit] = elastic.search(SearchQuery(scope=EVERYTHING)).hits
    assert hit.state == "in_progress"
    # The same version again (a retried batch, the reindex catching up) is accepted.
    monkeypatch.undo()
    assert elastic.index([case.pk]) == 1


# --- text -------------------------------------------------------------------------------


def test_toneless_query_finds_accented_case_and_exact_spelling_ranks_first(
    elastic: ElasticBackend, submit: Any
) -> None:
    accented = submit(
        title="Ngập lụt đường Nguyễn Trãi",
        text="Mưa lớn khiến đường ngập sâu nửa mét, xe máy chết máy hàng loạt.",
    ).petition.case
    toneless = submit(
        title="Ngap lut duong Nguyen Trai",
        text="Mua lon khien duong ngap sau nua met, xe may chet may hang loat.",
    ).petition.case
    other = submit(title="Đèn chiếu sáng hỏng", text="Đèn đường không sáng ba tối liền.").petition.case
    index_cases(elastic, accented, toneless, other)

    found = ids(elastic.search(SearchQuery(scope=EVERYTHING, text="ngap lut")))
    assert set(found) == {accented.pk, toneless.pk}

    exact = ids(elastic.search(SearchQuery(scope=EVERYTHING, text="ngập lụt")))
    assert exact[0] == accented.pk and set(exact) == {accented.pk, toneless.pk}

    assert set(ids(elastic.search(SearchQuery(scope=EVERYTHING, text="duong")))) == {
        accented.pk,
        toneless.pk,
        other.pk,
    }


def test_the_spelling_typed_ranks_above_folded_look_alikes(elastic: ElasticBackend, submit: Any) -> None:
    # The look-alikes say their word more often, and in the title: BM25 alone would rank them first.
    cong = submit(
        title="Công trình công cộng chậm tiến độ", text="Công trình công cộng dừng thi công."
    ).petition.case
    cong_drain = submit(title="Nắp cống vỡ", text="Cống bị vỡ nắp trước nhà.").petition.case
    covid = submit(title="Dương tính", text="Dương tính, dương tính: cả xóm dương tính.").petition.case
    road = submit(title="Sạt lở", text="Đường tỉnh 295 bị sạt lở một đoạn dài.").petition.case
    index_cases(elastic, cong, cong_drain, covid, road)

    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text="cống")))[0] == cong_drain.pk
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text="công")))[0] == cong.pk
    found = ids(elastic.search(SearchQuery(scope=EVERYTHING, text="đường tỉnh")))
    assert found[0] == road.pk and covid.pk in found
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text="dương tính")))[0] == covid.pk


def test_a_case_lacking_a_word_never_ranks_above_one_with_them_all(
    elastic: ElasticBackend, submit: Any
) -> None:
    all_words = submit(title="Hỏng", text="Đèn đường hỏng ở ngõ nhỏ, tối om.").petition.case
    three = [
        submit(title=f"Đèn đường ngõ nhỏ {n}", text="Đèn đường đèn đường ngõ ngõ nhỏ nhỏ.").petition.case
        for n in range(3)
    ]
    index_cases(elastic, all_words, *three)
    found = ids(elastic.search(SearchQuery(scope=EVERYTHING, text="đèn đường hỏng ngõ nhỏ")))
    assert found[0] == all_words.pk and set(found) == {all_words.pk, *(case.pk for case in three)}


def test_a_query_typed_without_tone_marks_prefers_no_spelling(elastic: ElasticBackend, submit: Any) -> None:
    accented = submit(title="Ngập lụt kéo dài", text="Ngập lụt ở xóm Bến, ngập lụt nặng.").petition.case
    toneless = submit(title="Ngap", text="ngap lut o xom Ben").petition.case
    index_cases(elastic, accented, toneless)
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text="ngap lut")))[0] == accented.pk


def test_the_last_six_characters_of_a_code_find_the_case(elastic: ElasticBackend, submit: Any) -> None:
    case = submit(title="Rác thải").petition.case
    other = submit(title="Rác thải nữa").petition.case
    index_cases(elastic, case, other)
    tail = case.petition.tracking_code.rsplit("-", 1)[1]
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text=tail.lower()))) == [case.pk]
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text=case.petition.tracking_code)))[0] == case.pk


def test_query_text_is_nfc_normalised(elastic: ElasticBackend, submit: Any) -> None:
    case = submit(title="Ngập lụt đường Láng").petition.case
    index_cases(elastic, case)
    decomposed = "ngập lụt".replace("ậ", "a\u0323\u0302")
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, text=decomposed))) == [case.pk]


def test_highlights_mark_matches_and_escape_html(elastic: ElasticBackend, submit: Any) -> None:
    case = submit(title="Ngập lụt đường Láng", text="Nước <b>ngập</b> sâu & bẩn").petition.case
    index_cases(elastic, case)
    (hit,) = elastic.search(SearchQuery(scope=EVERYTHING, text="ngap")).hits
    assert "<mark>Ngập</mark> lụt đường Láng" in hit.highlights
    text_fragment = hit.highlights[1]
    assert "&lt;b&gt;<mark>ngập</mark>&lt;" in text_fragment and "<b>" not in text_fragment


def test_long_queries_are_highlighted_too(elastic: ElasticBackend, submit: Any) -> None:
    case = submit(title="Ngập lụt sâu ở phố Hàng Bông sau cơn mưa").petition.case
    index_cases(elastic, case)
    (hit,) = elastic.search(SearchQuery(scope=EVERYTHING, text="NGAP LUT HANG BONG")).hits
    assert (
        "<mark>Ngập</mark> <mark>lụt</mark> sâu ở phố <mark>Hàng</mark> <mark>Bông</mark>"
        in hit.highlights[0]
    )


def test_tracking_code_finds_its_case_first(elastic: ElasticBackend, submit: Any) -> None:
    cases = [submit().petition.case for _ in range(3)]
    index_cases(elastic, *cases)
    wanted = cases[1]
    typed = wanted.petition.tracking_code.lower().replace("-", " ")
    result = elastic.search(SearchQuery(scope=EVERYTHING, text=typed))
    assert ids(result)[0] == wanted.pk
    assert result.hits[0].code == wanted.petition.tracking_code


# --- filters, facets, sorting, pages ------------------------------------------------------


def test_facets_count_values_and_keep_other_choices_visible(
    elastic: ElasticBackend, submit: Any, cast: Any
) -> None:
    transport = Category.objects.get(code="transport")
    waiting = [submit().petition.case for _ in range(2)]
    accepted = advance(submit().petition.case, "in_progress", cast)
    road = submit(
        category=transport, title="Ổ gà trên đường Láng", text="Ổ gà sâu giữa đường, nguy hiểm."
    ).petition.case
    index_cases(elastic, *waiting, accepted, road)

    result = elastic.search(SearchQuery(scope=EVERYTHING))
    assert result.total == 4
    assert set(result.facets) == set(FACETS)
    assert dict(result.facets["state"]) == {"submitted": 3, "in_progress": 1}
    assert dict(result.facets["category"]) == {waiting[0].petition.category_id: 3, transport.pk: 1}
    assert dict(result.facets["commune"]) == {"W00070": 4}
    assert dict(result.facets["province"]) == {"P01": 4}
    assert dict(result.facets["level"]) == {"commune": 4}
    assert dict(result.facets["overdue"]) == {False: 4}

    chosen = elastic.search(SearchQuery(scope=EVERYTHING, states=("in_progress",)))
    assert ids(chosen) == [accepted.pk]
    # The chosen facet still lists the other states; the others count within the choice.
    assert dict(chosen.facets["state"]) == {"submitted": 3, "in_progress": 1}
    assert dict(chosen.facets["category"]) == {accepted.petition.category_id: 1}

    by_topic = elastic.search(
        SearchQuery(scope=EVERYTHING, category_ids=(transport.pk,), states=("submitted",))
    )
    assert ids(by_topic) == [road.pk]


def test_filters_by_day_overdue_and_sorts(elastic: ElasticBackend, submit: Any) -> None:
    old, middle, new = (submit().petition.case for _ in range(3))
    shape(old, submitted_at=dt.datetime(2026, 11, 1, 23, 30, tzinfo=dt.UTC))  # 2 Nov 06:30 in Hà Nội
    shape(middle, submitted_at=dt.datetime(2026, 11, 3, 16, 59, tzinfo=dt.UTC), is_overdue=True)
    shape(new, submitted_at=dt.datetime(2026, 11, 3, 17, 0, tzinfo=dt.UTC))  # 4 Nov 00:00 in Hà Nội
    index_cases(elastic, old, middle, new)

    day = dt.date(2026, 11, 3)
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, since=day, until=day))) == [middle.pk]
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, until=day, sort="oldest"))) == [old.pk, middle.pk]
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, overdue=True))) == [middle.pk]
    assert ids(elastic.search(SearchQuery(scope=EVERYTHING, sort="newest"))) == [new.pk, middle.pk, old.pk]

    page2 = elastic.search(SearchQuery(scope=EVERYTHING, sort="newest", page=2, page_size=2))
    assert page2.total == 3 and ids(page2) == [old.pk]
    too_deep = elastic.search(SearchQuery(scope=EVERYTHING, page=401, page_size=25))
    assert too_deep.total == 3 and too_deep.hits == []


# --- jurisdiction ---------------------------------------------------------------------------


@pytest.fixture
def spread(elastic: ElasticBackend, submit: Any, tree: Any) -> dict[str, Case]:
    """The same complaint at Hoàn Kiếm, Cửa Nam, the Hà Nội committee and Bến Thành (Hồ Chí Minh)."""
    words = {"title": "Rác thải ùn ứ trên phố", "text": "Rác thải sinh hoạt không được thu gom."}
    cases = {
        "hoan_kiem": submit(**words).petition.case,
        "cua_nam": submit(commune=tree.cua_nam, **words).petition.case,
        "hanoi": submit(target_level="province", **words).petition.case,
        "ben_thanh": submit(commune=tree.ben_thanh, **words).petition.case,
    }
    assert cases["hanoi"].unit_id == tree.hanoi.pk
    index_cases(elastic, *cases.values())
    return cases


def test_officer_never_gets_another_communes_case(elastic: ElasticBackend, spread: dict, cast: Any) -> None:
    for text in ("", "rac thai"):
        result = elastic.search(SearchQuery(scope=scope_for(cast.officer), text=text))
        assert ids(result) == [spread["hoan_kiem"].pk]
        assert dict(result.facets["commune"]) == {"W00070": 1}
        assert dict(result.facets["province"]) == {"P01": 1}
        assert sum(count for _, count in result.facets["state"]) == 1


def test_officer_choosing_another_commune_sees_no_count_of_it(
    elastic: ElasticBackend, spread: dict, cast: Any
) -> None:
    result = elastic.search(SearchQuery(scope=scope_for(cast.officer), commune_codes=("W00073", "W26743")))
    assert result.total == 0 and result.hits == []
    # The commune facet ignores its own choice, but never the jurisdiction.
    assert dict(result.facets["commune"]) == {"W00070": 1}
    assert result.facets["state"] == []


def test_province_leader_gets_their_province_only(elastic: ElasticBackend, spread: dict, cast: Any) -> None:
    result = elastic.search(SearchQuery(scope=scope_for(cast.province_leader), text="rác"))
    assert set(ids(result)) == {spread["hoan_kiem"].pk, spread["cua_nam"].pk, spread["hanoi"].pk}
    assert dict(result.facets["province"]) == {"P01": 3}
    assert dict(result.facets["level"]) == {"commune": 2, "province": 1}
    other = elastic.search(SearchQuery(scope=scope_for(cast.other_province_leader)))
    assert ids(other) == [spread["ben_thanh"].pk]


def test_central_gets_everything_and_outsider_nothing(
    elastic: ElasticBackend, spread: dict, cast: Any
) -> None:
    assert elastic.search(SearchQuery(scope=scope_for(cast.central_leader))).total == 4
    nothing = elastic.search(SearchQuery(scope=scope_for(cast.outsider)))
    assert nothing.total == 0 and nothing.hits == [] and all(v == [] for v in nothing.facets.values())


# --- privacy --------------------------------------------------------------------------------


def test_no_personal_data_in_any_indexed_document(elastic: ElasticBackend, submit: Any, cast: Any) -> None:
    private = {
        "submitter_name": "Phạm Thị Hồng Nhung",
        "phone": "0987 654 321",
        "email": "hong.nhung@example.com",
        "address": "Số 17 ngõ Quỳnh Mai",
    }
    case = submit(title="Cống thoát nước tắc", text="Nước thải tràn ra ngõ.", **private).petition.case
    note = "Ghi chú nội bộ: đã gọi điện cho người dân lúc 9 giờ"
    services.case_add_note(case_id=case.pk, actor=cast.officer, text=note, is_public=False)
    accepted = advance(submit(**private).petition.case, "in_progress", cast)
    index_cases(elastic, case, accepted)

    documents = source_of_every_document(elastic)
    assert len(documents) == 2
    forbidden = [*private.values(), note, "987654321", "0987654321", "+84987654321", "Nhung", "Quỳnh Mai"]
    for document in documents:
        assert set(document) <= set(DOCUMENT_FIELDS)
        dumped = json.dumps(document, ensure_ascii=False)
        for value in forbidden:
            assert value not in dumped


def test_a_document_with_a_field_beyond_the_mapping_is_refused(
    elastic: ElasticBackend, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    def leaky(case_ids: Any) -> Iterator[tuple[dict[str, Any], int]]:
        for document, version in versioned_documents(case_ids):
            yield {**document, "phone": "+84912345678"}, version

    monkeypatch.setattr("search.elastic.versioned_documents", leaky)
    with pytest.raises(IndexingFailed, match="strict"):
        elastic.index([case.pk])
    elastic.refresh()
    assert source_of_every_document(elastic) == []


# --- similar cases --------------------------------------------------------------------------


def test_similar_cases_do_not_segment_words(elastic: ElasticBackend, submit: Any, monkeypatch: Any) -> None:
    """Segmenting loads underthesea (about 100 MB): the case desk's similar cases need no topic words."""
    case = submit(title="Ngập lụt đường Láng").petition.case
    twin = submit(title="Ngập lụt đường Láng sau mưa", phone="0987 654 321").petition.case
    index_cases(elastic, case, twin)
    monkeypatch.setattr("search.monitoring.title_topics", lambda title: pytest.fail("segmented"))
    assert [hit.case_id for hit in elastic.similar(case_id=case.pk, scope=EVERYTHING)] == [twin.pk]


def test_similar_finds_near_duplicate_in_same_province_only(
    elastic: ElasticBackend, submit: Any, tree: Any, cast: Any
) -> None:
    complaint = {
        "title": "Ngập lụt nghiêm trọng trên phố Hàng Bông",
        "text": "Sau trận mưa lớn tối qua, phố Hàng Bông ngập sâu, nước tràn vào nhà dân, cống thoát nước bị tắc.",
    }
    case = submit(**complaint).petition.case
    near = submit(
        commune=tree.cua_nam,
        title="Phố Hàng Bông ngập lụt nghiêm trọng",
        text="Mưa lớn tối qua làm phố Hàng Bông ngập sâu, cống thoát nước tắc, nước tràn vào nhà.",
    ).petition.case
    elsewhere = submit(commune=tree.ben_thanh, **complaint).petition.case
    withdrawn = advance(submit(**complaint).petition.case, "withdrawn", cast)
    unrelated = submit(title="Đèn chiếu sáng hỏng", text="Đèn đường hỏng ba tối liền.").petition.case
    index_cases(elastic, case, near, elsewhere, withdrawn, unrelated)

    found = ids_of(elastic.similar(case_id=case.pk, scope=EVERYTHING))
    assert near.pk in found
    assert not {case.pk, elsewhere.pk, withdrawn.pk, unrelated.pk} & set(found)

    # The reader's scope applies too: the Hoàn Kiếm officer is not shown Cửa Nam's case.
    assert elastic.similar(case_id=case.pk, scope=scope_for(cast.officer)) == []
    # Nor does a case the reader may not see suggest anything, not even cases they may see.
    assert elastic.similar(case_id=case.pk, scope=scope_for(cast.other_officer)) == []
    assert ids_of(elastic.similar(case_id=near.pk, scope=scope_for(cast.other_officer))) == []
    assert case.pk in ids_of(elastic.similar(case_id=near.pk, scope=scope_for(cast.province_leader)))
    assert elastic.similar(case_id=case.pk, scope=Scope()) == []


def ids_of(hits: list[Any]) -> list[int]:
    return [hit.case_id for hit in hits]


# --- reindex and outages --------------------------------------------------------------------


class Searcher(threading.Thread):
    """Searches in a loop, recording totals and errors, until stopped."""

    def __init__(self, backend: ElasticBackend) -> None:
        super().__init__(daemon=True)
        self.backend = backend
        self.totals: list[int] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.totals.append(self.backend.search(SearchQuery(scope=EVERYTHING, text="rac thai")).total)
            except BaseException as exc:
                self.errors.append(exc)

    def wait_for(self, searches: int, timeout: float = 5.0) -> None:
        target = len(self.totals) + len(self.errors) + searches
        deadline = time.monotonic() + timeout
        while len(self.totals) + len(self.errors) < target and time.monotonic() < deadline:
            time.sleep(0.002)


def test_reindex_swaps_alias_while_searches_keep_working(
    elastic: ElasticBackend, submit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [submit().petition.case for _ in range(12)]
    index_cases(elastic, *cases)
    (before,) = elastic.indices()

    searcher = Searcher(ElasticBackend())

    def slow_progress(items: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
        # Half-way through building the new index, let the searcher run against the old one.
        for number, item in enumerate(items):
            if number == len(cases) // 2:
                searcher.wait_for(5)
            yield item

    monkeypatch.setattr("search.management.commands.search_reindex.progress_bar", slow_progress)
    searcher.start()
    try:
        searcher.wait_for(3)
        out = io.StringIO()
        call_command("search_reindex", stdout=out, stderr=io.StringIO())
        searcher.wait_for(5)
    finally:
        searcher.stop.set()
        searcher.join(5)

    assert searcher.errors == []
    assert len(searcher.totals) >= 13
    assert set(searcher.totals) == {len(cases)}
    (after,) = elastic.indices()
    assert after != before
    assert not elastic.client.index_exists(before)
    assert f"Indexed {len(cases)} cases into {after}" in out.getvalue()


def test_reindex_sends_many_chunks_on_its_threads_and_counts_every_document(
    elastic: ElasticBackend, submit: Any, monkeypatch: Any
) -> None:
    cases = [submit(phone=f"09123456{n:02d}").petition.case for n in range(7)]
    monkeypatch.setattr("search.elastic.BULK_CHUNK", 2)  # four chunks, two threads
    report = elastic.reindex()
    assert report.documents == 7
    assert set(ids(elastic.search(SearchQuery(scope=EVERYTHING, page_size=20)))) == {c.pk for c in cases}


def test_reindex_shows_a_progress_bar(elastic: ElasticBackend, submit: Any) -> None:
    index_cases(elastic, submit().petition.case)
    err = io.StringIO()
    call_command("search_reindex", stdout=io.StringIO(), stderr=err)
    assert "cases: 100%" in err.getvalue() and "1/1" in err.getvalue()


def test_search_raises_unavailable_quickly_when_the_engine_is_down(
    search_engine_down: str, case: Case
) -> None:
    backend = ElasticBackend()
    started = time.monotonic()
    with pytest.raises(SearchUnavailable):
        backend.search(SearchQuery(scope=EVERYTHING, text="rác"))
    with pytest.raises(SearchUnavailable):
        backend.index([case.pk])
    with pytest.raises(SearchUnavailable):
        backend.similar(case_id=case.pk, scope=EVERYTHING)
    assert time.monotonic() - started < 3


def test_every_engine_call_of_either_client_fails_as_unavailable_when_the_engine_is_down(
    search_engine_down: str,
) -> None:
    """Both clients take the calls as the backend makes them (no TypeError on an unknown argument)."""
    from search.client import EngineUnavailable

    client = get_client()
    calls: list[Any] = [
        lambda: client.create_index("cases-x", index_body(aliases=["cases"])),
        lambda: client.delete_index("cases-x"),
        lambda: client.index_exists("cases-x"),
        lambda: client.alias_exists("cases"),
        lambda: client.indices_of("cases"),
        lambda: client.update_aliases([{"add": {"index": "cases-x", "alias": "cases"}}]),
        lambda: client.put_settings("cases-x", {"index": {"refresh_interval": None}}),
        lambda: client.refresh("cases"),
        lambda: client.mapping("cases"),
        lambda: client.analyze("cases", field="title", text="Đường"),
        lambda: client.health(timeout=1),
        lambda: client.info(),
        lambda: client.stats("cases"),
        lambda: client.search("cases", {"query": {"match_all": {}}}),
        lambda: list(client.bulk([{"_index": "cases", "_id": "1", "_source": {}}], timeout=1, chunk_size=10)),
    ]
    for call in calls:
        with pytest.raises(EngineUnavailable):
            call()


def test_search_init_waits_for_an_engine_that_is_starting(search_engine_down: str, monkeypatch: Any) -> None:
    """It tries again until ``--wait`` runs out, then fails with the engine's error."""
    from django.core.management import CommandError

    monkeypatch.setattr("search.management.commands.search_init.RETRY_SECONDS", 0.05)
    err = io.StringIO()
    started = time.monotonic()
    with pytest.raises(CommandError, match="search engine"):
        call_command("search_init", "--wait", "0.3", stderr=err)
    assert time.monotonic() - started >= 0.25
    assert "trying again" in err.getvalue()


def test_search_init_waits_then_creates_the_index_when_the_engine_answers(
    elastic_url: str, settings: Any, monkeypatch: Any
) -> None:
    from search.management.commands import search_init

    up = settings.SEARCH_URL
    settings.SEARCH_URL = f"http://127.0.0.1:{launch.free_port()}"  # down at first
    monkeypatch.setattr(search_init, "RETRY_SECONDS", 0.05)

    def back_up(seconds: float) -> None:
        settings.SEARCH_URL = up

    monkeypatch.setattr(search_init.time, "sleep", back_up)
    out = io.StringIO()
    call_command("search_init", "--wait", "30", stdout=out, stderr=io.StringIO())
    assert "Created index" in out.getvalue()


def test_search_without_an_index_is_unavailable_and_says_what_to_run(elastic_url: str) -> None:
    with pytest.raises(SearchUnavailable, match="search_init"):
        ElasticBackend().search(SearchQuery(scope=EVERYTHING))


# --- readiness --------------------------------------------------------------------------------


def test_readiness_reports_the_engine_up(client: Any, db: Any, elastic: ElasticBackend) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["opensearch"]["status"] == "ok"


def test_readiness_reports_the_engine_down_as_degraded(
    client: Any, db: Any, elastic_url: str, settings: Any
) -> None:
    missing = client.get("/readyz").json()["checks"]["opensearch"]
    assert missing["status"] == "degraded" and "search_init" in missing["detail"]  # up, but no index yet
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OPENSEARCH_URL = settings.SEARCH_URL = f"http://127.0.0.1:{port}"
    response = client.get("/readyz")
    assert response.status_code == 200  # the site works without search
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["opensearch"]["status"] == "degraded"


def test_elasticsearch_url_at_an_opensearch_server_says_so_and_the_outbox_waits(
    elastic_url: str, settings: Any, case: Case
) -> None:
    """A wrong engine is refused (not a 500): pages say search is unavailable, rows wait with the reason."""
    from search import outbox
    from search.models import IndexQueue

    settings.SEARCH_ENGINE, settings.ELASTICSEARCH_URL, settings.OPENSEARCH_URL = (
        "elasticsearch",
        elastic_url,
        None,
    )
    with pytest.raises(SearchUnavailable, match="not Elasticsearch; for OpenSearch set OPENSEARCH_URL"):
        ElasticBackend().search(SearchQuery(scope=EVERYTHING, text="rác"))
    report = outbox.drain()
    assert report.waiting == 1 and report.indexed == 0
    assert "OPENSEARCH_URL" in IndexQueue.objects.get(case_id=case.pk).last_error
