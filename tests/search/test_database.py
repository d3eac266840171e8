"""The database search backend: folded matching, ranking, jurisdiction inside every query, facets, similar cases."""

from __future__ import annotations

import datetime as dt
import importlib
import unicodedata
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from petitions.models import Category, Petition
from routing.models import Case, CaseState
from search.base import FACETS, Scope, SearchBackend, SearchQuery, scope_for
from search.database import DatabaseBackend, highlight
from search.documents import fold, nfc, search_text
from tests.conftest import Cast, Tree, requires_postgres, shape

backend: SearchBackend = DatabaseBackend()  # mypy checks the protocol here
EVERYTHING = Scope(path_prefix="/")


def search(scope: Scope = EVERYTHING, **fields: Any) -> Any:
    return backend.search(SearchQuery(scope=scope, **fields))


def codes(result: Any) -> list[str]:
    return [hit.code for hit in result.hits]


def code_of(case: Case) -> str:
    return case.petition.tracking_code


@pytest.fixture
def place(submit: Any, tree: Tree) -> dict[str, Case]:
    """The same complaint about rubbish in three communes of two provinces, and one about flooding."""
    return {
        "hoan_kiem": submit(title="Rác thải ùn ứ phố Hàng Bông").petition.case,
        "hoan_kiem_flood": submit(
            title="Ngập lụt đường Hàng Bông", text="Mưa lớn làm đường Hàng Bông ngập sâu nửa mét."
        ).petition.case,
        "cua_nam": submit(commune=tree.cua_nam, title="Rác thải ùn ứ phố Điện Biên Phủ").petition.case,
        "ben_thanh": submit(commune=tree.ben_thanh, title="Rác thải ùn ứ chợ Bến Thành").petition.case,
    }


# --- folding ---------------------------------------------------------------------------------


def test_every_vietnamese_letter_folds_to_exactly_one_character():
    # Highlights map folded positions back to the original text one to one (search.database).
    letters = set("đĐbcdghklmnpqrstvx")
    for base in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
            letter = unicodedata.normalize("NFC", base + tone)
            letters |= {letter, letter.upper()}
    assert len(letters) == 2 * 12 * 6 + 18
    assert {
        letter: len(fold(letter)) for letter in letters if len(letter) != 1 or len(fold(letter)) != 1
    } == {}
    assert fold("Ngập lụt ĐƯỜNG") == "ngap lut duong"


def test_the_petition_stores_its_folded_title_and_text(submit):
    petition = submit(title="Ngập lụt đường Hàng Bông", text="Nước ngập sâu ở ĐƯỜNG Hàng Bông.").petition
    petition.refresh_from_db()
    assert petition.search_text == " ngap lut duong hang bong | nuoc ngap sau o duong hang bong "


def test_the_migrations_fill_in_the_folded_words_of_earlier_petitions(submit):
    petitions = [submit(title=f"Đèn đường hỏng số {n}").petition for n in range(3)]
    Petition.objects.update(search_text="")
    migration = importlib.import_module("petitions.migrations.0006_petition_search_text")
    migration.backfill(apps, None)
    for petition in petitions:
        petition.refresh_from_db()
        assert petition.search_text == fold(f"{petition.title} {petition.text}")
    # 0009 rewrote them as whole words, as petition_submit writes them now.
    importlib.import_module("petitions.migrations.0009_search_text_whole_words").rewrite(apps, None)
    for petition in petitions:
        petition.refresh_from_db()
        assert petition.search_text == search_text(petition.title, petition.text)


def test_words_match_whole_not_inside_other_words(submit):
    manhole = submit(title="Nắp hố ga vỡ giữa lòng đường").petition.case
    submit(title="Cửa hàng gas không bảo đảm phòng cháy")
    submit(title="Phố gần chợ mất điện")
    result = search(text="ho ga", sort="relevance")
    assert codes(result) == [code_of(manhole)]
    assert result.hits[0].highlights == ["Nắp <mark>hố</mark> <mark>ga</mark> vỡ giữa lòng đường"]
    assert codes(search(text="hố ga")) == [code_of(manhole)]
    # The last part of the tracking code, as read out on the phone.
    assert codes(search(text=code_of(manhole).rsplit("-", 1)[1].lower())) == [code_of(manhole)]


# --- matching and ranking ---------------------------------------------------------------------


def test_a_toneless_query_finds_the_accented_case(place):
    flood = code_of(place["hoan_kiem_flood"])
    assert codes(search(text="ngap lut")) == [flood]
    assert codes(search(text="DUONG hang bong")) == [flood]
    assert codes(search(text="ngập lụt")) == [flood]
    # Every word must be there.
    assert codes(search(text="ngap lut cho ben thanh")) == []


def test_decomposed_input_is_normalised_before_matching(place):
    decomposed = unicodedata.normalize("NFD", "Ngập lụt")
    assert codes(search(text=decomposed)) == [code_of(place["hoan_kiem_flood"])]


def test_the_exact_vietnamese_spelling_comes_first_then_title_matches_then_newest(submit):
    now = timezone.now()
    exact_in_text = submit(
        title="Cây đổ", text="Bão làm cây đổ, đường bị lụt nặng.", now=now - dt.timedelta(days=3)
    )
    exact_in_title = submit(
        title="Lụt ở ngõ Hàng Gai", text="Nước lên cao sau mưa.", now=now - dt.timedelta(days=2)
    )
    other_spelling_in_title = submit(
        title="Lút bánh xe ở Hàng Đào", text="Nước lên tới trục xe.", now=now - dt.timedelta(days=1)
    )
    other_spelling_in_text = submit(title="Cống tắc", text="Xe máy đi qua bị lút bánh.", now=now)
    cases = [exact_in_title, exact_in_text, other_spelling_in_title, other_spelling_in_text]

    result = search(text="lụt", sort="relevance")
    assert codes(result) == [r.petition.tracking_code for r in cases]
    assert result.hits[0].score > result.hits[2].score > result.hits[3].score
    assert codes(search(text="lụt", sort="newest")) == [
        r.petition.tracking_code
        for r in reversed([exact_in_text, exact_in_title, other_spelling_in_title, other_spelling_in_text])
    ]
    assert codes(search(text="lụt", sort="oldest"))[0] == exact_in_text.petition.tracking_code
    # Case does not matter for the exact spelling (also for letters SQLite does not case-fold).
    assert codes(search(text="LỤT", sort="relevance"))[:2] == codes(result)[:2]


def test_a_tracking_code_finds_its_case_however_it_is_typed(place):
    code = code_of(place["cua_nam"])
    compact = code.replace("-", "").lower()
    assert codes(search(text=code)) == [code]
    assert codes(search(text=compact)) == [code]
    assert codes(search(text=f" {code.lower()} ")) == [code]


def test_no_text_lists_every_case_in_scope_newest_first(place):
    result = search()
    assert result.total == 4
    assert codes(result) == [
        code_of(c) for c in sorted(place.values(), key=lambda c: (-c.submitted_at.timestamp(), -c.pk))
    ]


def test_results_are_paged_with_the_total(submit):
    made = [submit(title=f"Đèn đường hỏng số {n}").petition.tracking_code for n in range(7)]
    first = search(text="den duong", sort="oldest", page=1, page_size=3)
    second = search(text="den duong", sort="oldest", page=3, page_size=3)
    assert (first.total, second.total) == (7, 7)
    assert codes(first) == made[:3]
    assert codes(second) == made[6:]
    assert codes(search(text="den duong", page=4, page_size=3)) == []


# --- jurisdiction -----------------------------------------------------------------------------


def test_an_officer_never_gets_another_communes_case_nor_its_counts(place, cast: Cast):
    scope = scope_for(cast.officer)
    assert scope == Scope(exact_path="/TW/P01/W00070/")
    result = search(scope, text="rac thai")
    assert codes(result) == [code_of(place["hoan_kiem"])]
    assert result.facets["commune"] == [("W00070", 1)]
    assert result.facets["province"] == [("P01", 1)]
    # Asking for Cửa Nam, by filter or by its tracking code, finds nothing and counts nothing of it.
    asked = search(scope, text="rac thai", commune_codes=("W00073",))
    assert (asked.total, asked.hits) == (0, [])
    assert asked.facets["commune"] == [("W00070", 1)]
    assert sum(count for _value, count in asked.facets["state"]) == 0
    assert search(scope, text=code_of(place["cua_nam"])).total == 0
    other = scope_for(cast.other_officer)
    assert codes(search(other, text="rac thai")) == [code_of(place["cua_nam"])]


def test_a_leader_searches_their_subtree_and_the_central_level_everything(place, cast: Cast):
    hanoi = {code_of(place[k]) for k in ("hoan_kiem", "cua_nam")}
    result = search(scope_for(cast.province_leader), text="rac thai")
    assert set(codes(result)) == hanoi
    assert dict(result.facets["commune"]) == {"W00070": 1, "W00073": 1}
    assert codes(search(scope_for(cast.leader), text="rac thai")) == [code_of(place["hoan_kiem"])]
    assert codes(search(scope_for(cast.other_province_leader), text="rac thai")) == [
        code_of(place["ben_thanh"])
    ]
    for who in ("central_officer", "central_leader", "superuser"):
        assert search(scope_for(getattr(cast, who)), text="rac thai").total == 3, who


def test_no_membership_means_an_empty_scope_and_no_results(place, cast: Cast):
    scope = scope_for(cast.outsider)
    assert scope.is_empty
    result = search(scope)
    assert (result.total, result.hits) == (0, [])
    assert all(result.facets[name] == [] for name in FACETS)
    assert backend.similar(case_id=place["hoan_kiem"].pk, scope=scope) == []


def test_a_province_leader_finds_cases_at_the_province_itself(place, cast: Cast, tree: Tree):
    shape(place["cua_nam"], unit=tree.hanoi)
    result = search(scope_for(cast.province_leader), text="rac thai")
    assert dict(result.facets["level"]) == {"commune": 1, "province": 1}
    assert codes(search(scope_for(cast.province_leader), text="rac thai", levels=("province",))) == [
        code_of(place["cua_nam"])
    ]
    assert search(scope_for(cast.other_officer), text="rac thai").total == 0


# --- filters and facets -----------------------------------------------------------------------


def test_filters_narrow_the_results(place, tree: Tree):
    transport = Category.objects.get(code="transport")
    Petition.objects.filter(pk=place["cua_nam"].petition_id).update(category=transport)
    shape(place["cua_nam"], category=transport)  # the case keeps a copy
    shape(place["hoan_kiem"], state=CaseState.IN_PROGRESS, is_overdue=True)
    shape(place["ben_thanh"], submitted_at=timezone.now() - dt.timedelta(days=10))
    today = timezone.localdate()

    def found(**filters: Any) -> set[str]:
        return {hit.code for hit in search(text="rac thai", **filters).hits}

    assert found(states=("in_progress",)) == {code_of(place["hoan_kiem"])}
    assert found(category_ids=(transport.pk,)) == {code_of(place["cua_nam"])}
    assert found(province_codes=("P79",)) == {code_of(place["ben_thanh"])}
    assert found(commune_codes=("W00070", "W00073")) == {
        code_of(place["hoan_kiem"]),
        code_of(place["cua_nam"]),
    }
    assert found(overdue=True) == {code_of(place["hoan_kiem"])}
    assert found(overdue=False) == {code_of(place["cua_nam"]), code_of(place["ben_thanh"])}
    assert found(since=today) == {code_of(place["hoan_kiem"]), code_of(place["cua_nam"])}
    assert found(until=today - dt.timedelta(days=1)) == {code_of(place["ben_thanh"])}
    assert found(levels=("province",)) == set()


def test_facet_counts_cover_the_text_filter_and_ignore_their_own_selection(place, category: Category):
    shape(place["hoan_kiem"], state=CaseState.IN_PROGRESS, is_overdue=True)
    result = search(text="rac thai")
    assert dict(result.facets["state"]) == {"submitted": 2, "in_progress": 1}
    assert dict(result.facets["category"]) == {category.pk: 3}
    assert dict(result.facets["level"]) == {"commune": 3}
    assert dict(result.facets["province"]) == {"P01": 2, "P79": 1}
    assert dict(result.facets["commune"]) == {"W00070": 1, "W00073": 1, "W26743": 1}
    assert dict(result.facets["overdue"]) == {True: 1, False: 2}
    assert result.facets["province"][0] == ("P01", 2)  # most frequent first

    chosen = search(text="rac thai", states=("submitted",), province_codes=("P01",))
    assert codes(chosen) == [code_of(place["cua_nam"])]
    assert dict(chosen.facets["state"]) == {"submitted": 1, "in_progress": 1}  # Hà Nội, any state
    assert dict(chosen.facets["province"]) == {"P01": 1, "P79": 1}  # submitted, any province
    assert dict(chosen.facets["commune"]) == {"W00073": 1}  # both selections apply


# --- highlights -------------------------------------------------------------------------------


def test_highlights_mark_the_original_letters_of_a_toneless_match(place):
    [hit] = search(text="duong hang").hits
    assert hit.highlights[0] == "Ngập lụt <mark>đường</mark> <mark>Hàng</mark> Bông"
    assert "<mark>đường</mark> <mark>Hàng</mark> Bông ngập" in hit.highlights[1]


def test_highlights_are_escaped(submit):
    submit(title="<script>alert('x')</script> rác & bụi", text="Bụi <b>rất</b> nhiều ở ngõ nhỏ.")
    [hit] = search(text="bui").hits
    assert hit.title == "<script>alert('x')</script> rác & bụi"
    assert hit.highlights == [
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; rác &amp; <mark>bụi</mark>",
        "<mark>Bụi</mark> &lt;b&gt;rất&lt;/b&gt; nhiều ở ngõ nhỏ.",
    ]


def test_a_long_text_gives_a_short_snippet_around_the_first_match():
    text = "Mở đầu dài dòng. " * 30 + "Cống thoát nước bị tắc nghẽn." + " Kết thúc dài dòng." * 30
    snippet = highlight(text, ["tac"])
    assert snippet is not None
    assert "<mark>tắc</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet.replace("<mark>", "").replace("</mark>", "")) <= 165
    assert highlight(text, ["khongco"]) is None


def test_highlights_survive_text_whose_folding_changes_its_length():
    # Hangul decomposes into more characters; a stray combining accent folds to nothing.
    text = nfc("한국 x\u0301 Đường ngập")
    assert len(fold(text)) != len(text)
    assert highlight(text, ["duong", "ngap"]) == "한국 x\u0301 <mark>Đường</mark> <mark>ngập</mark>"


# --- similar cases ------------------------------------------------------------------------------


def test_similar_cases_are_about_the_same_thing_in_the_same_province_and_scope(
    submit, cast: Cast, tree: Tree
):
    case = submit(title="Rác thải ùn ứ trên phố Hàng Bông").petition.case
    most = submit(title="Phố Hàng Bông rác thải ùn ứ lần nữa").petition.case  # 5 pairs, 7 words
    toneless = submit(title="rac thai un u pho hang bong").petition.case  # typed without tone marks
    same_topic_elsewhere = submit(commune=tree.cua_nam, title="Rác thải ở chợ Cửa Nam").petition.case
    unrelated = submit(title="Đèn chiếu sáng hỏng").petition.case
    other_spelling = submit(title="Rắc thái ụn ư phở hăng bống").petition.case  # other words, same letters
    other_province = submit(commune=tree.ben_thanh, title="Rác thải ùn ứ trên phố Hàng Bông").petition.case
    duplicate = submit(title="Rác thải phố Hàng Bông").petition.case
    withdrawn = submit(title="Rác thải phố Hàng Bông").petition.case
    old_closed = submit(title="Rác thải phố Hàng Bông").petition.case
    old_open = submit(title="Rác thải phố Hàng Gai cũ").petition.case  # rác thải, phố hàng
    shape(duplicate, state=CaseState.DUPLICATE)
    shape(withdrawn, state=CaseState.WITHDRAWN)
    long_ago = timezone.now() - dt.timedelta(days=61)
    shape(old_closed, state=CaseState.CLOSED, submitted_at=long_ago)
    shape(old_open, state=CaseState.IN_PROGRESS, submitted_at=long_ago)

    seen = backend.similar(case_id=case.pk, scope=scope_for(cast.province_leader), limit=5)
    assert [hit.case_id for hit in seen] == [toneless.pk, most.pk, old_open.pk]  # a tie: newest first
    assert [hit.score for hit in seen] == [22.0, 22.0, 10.0]
    assert seen[1].code == code_of(most) and seen[1].unit_code == "W00070"
    excluded = {
        case,
        same_topic_elsewhere,  # garbage too, but one shared word pair of a longer title: not a duplicate
        unrelated,
        other_spelling,
        other_province,
        duplicate,
        withdrawn,
        old_closed,
    }
    assert not {c.pk for c in excluded} & {hit.case_id for hit in seen}

    # The officer of Hoàn Kiếm is offered Hoàn Kiếm's cases only; a recent closed case counts.
    shape(most, state=CaseState.CLOSED)
    mine = backend.similar(case_id=case.pk, scope=scope_for(cast.officer))
    assert [hit.case_id for hit in mine] == [toneless.pk, most.pk, old_open.pk]
    assert backend.similar(case_id=case.pk, scope=scope_for(cast.officer), limit=1)[0].case_id == toneless.pk


def test_similar_titles_sharing_one_common_word_are_not_suggested(submit, cast: Cast):
    case = submit(title="Trạm y tế thiếu vắc xin tiêm chủng").petition.case
    submit(title="Chất thải y tế bị vứt chung với rác sinh hoạt")
    submit(title="Chậm cấp giấy chứng nhận đăng ký hộ kinh doanh")
    twin = submit(title="Trạm y tế phường thiếu vắc xin tiêm chủng cho trẻ").petition.case
    assert [hit.case_id for hit in backend.similar(case_id=case.pk, scope=scope_for(cast.officer))] == [
        twin.pk
    ]


def test_similar_cases_of_a_case_outside_the_scope_are_none(submit, cast: Cast, tree: Tree):
    case = submit(commune=tree.cua_nam, title="Rác thải phố Điện Biên Phủ").petition.case
    submit(title="Rác thải phố Hàng Bông")
    assert backend.similar(case_id=case.pk, scope=scope_for(cast.officer)) == []
    assert backend.similar(case_id=case.pk, scope=scope_for(cast.province_leader)) != []


def test_indexing_is_nothing_to_do_for_the_database(place):
    assert backend.index([c.pk for c in place.values()]) == 4
    assert backend.index([]) == 0


@requires_postgres()
def test_on_postgresql_a_trigram_index_answers_the_word_patterns(submit) -> None:
    submit(title="Ngập lụt đường Láng")
    query = Petition.objects.order_by().filter(search_text__contains=" ngap lut ")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "petition_search_text_trgm_idx" in plan
    assert query.count() == 1


def test_the_index_commands_say_there_is_nothing_to_do_without_elasticsearch(settings) -> None:
    from django.core.management import CommandError, call_command

    settings.SEARCH_URL = ""
    for command in ("search_init", "search_reindex"):
        with pytest.raises(CommandError, match="Neither ELASTICSEARCH_URL nor OPENSEARCH_URL is set"):
            call_command(command)
