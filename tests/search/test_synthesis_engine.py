"""The weekly synthesis on the real engine: the same topics and numbers as the database gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from petitions.models import Category
from routing.models import Case, CaseState
from search.base import Scope
from search.elastic import ElasticBackend
from search.monitoring import title_topics
from search.synthesis import Synthesis, SynthesisQuery, Topic, synthesis_database, synthesis_for
from search.synthesis_engine import synthesis_engine
from tests.conftest import Cast, Tree, advance, shape

pytestmark = pytest.mark.django_db


def _at(hours_ago: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours_ago)


@pytest.fixture
def world(submit: Any, tree: Tree, cast: Cast) -> dict[str, Any]:
    """Eight weeks and a week of petitions: a new flood, steady potholes, falling noise, boilerplate."""
    environment, transport, housing, misconduct = (
        Category.objects.get(code=code) for code in ("environment", "transport", "land-housing", "misconduct")
    )
    since = timezone.localdate() - dt.timedelta(days=6)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    cases: dict[str, list[Case]] = {"flood": []}

    def file(title: str, category: Category, when: dt.datetime, commune: Any = None, **extra: Any) -> Case:
        case = submit(
            title=title, category=category, commune=commune or tree.hoan_kiem, **extra
        ).petition.case
        shape(case, submitted_at=when)
        return case

    # The period: a flood, new (four at Hoàn Kiếm, two at Cửa Nam, three in another province).
    for n in range(4):
        cases["flood"].append(
            file(
                f"Ngập lụt do cống thoát nước tắc ở ngõ {n + 1}",
                environment,
                _at(3 + 5 * n),
                consent_publish=n < 2,
            )
        )
    for n in range(2):
        file(f"Ngập lụt do cống thoát nước tắc ở phố Lý Thái Tổ {n}", environment, _at(30 + n), tree.cua_nam)
    for n in range(3):
        file(f"Ngập lụt do cống thoát nước tắc ở Bến Thành {n}", environment, _at(40 + n), tree.ben_thanh)
    # Potholes: steady (sixteen over the eight weeks before, three now).
    for n in range(16):
        file(f"Ổ gà lớn trên đường Láng đoạn {n}", transport, start - dt.timedelta(days=3 * n + 1))
    for n in range(3):
        file(f"Ổ gà lớn trên đường Láng đoạn {20 + n}", transport, _at(50 + 7 * n))
    # Karaoke noise: forty-eight before, none now (falling: six expected, more than chance would miss).
    for n in range(48):
        file("Tiếng ồn karaoke kéo dài ban đêm", housing, start - dt.timedelta(hours=27 * n + 5))
    # Boilerplate in every category: never a topic.
    for n, category in enumerate((environment, transport, housing, misconduct) * 2):
        file("Đề nghị xác nhận hoạt động của tổ dân phố", category, _at(60 + n))

    # Three flood petitions answered (two on time, the first published; one late), two rated.
    first, second, third = cases["flood"][:3]
    for case in (first, second, third):
        advance(case, "responded", cast)
    shape(second, resolution_due_at=timezone.now() - dt.timedelta(days=1))
    shape(first, rating=4)
    shape(second, rating=2, state=CaseState.CLOSED)
    return {"since": since, "until": timezone.localdate(), "tree": tree, "flood": cases["flood"]}


def _indexed(backend: ElasticBackend) -> ElasticBackend:
    assert backend.index(list(Case.objects.values_list("pk", flat=True))) == Case.objects.count()
    backend.refresh()
    return backend


def _seen(result: Synthesis) -> dict[str, Any]:
    def topic(t: Topic) -> tuple[Any, ...]:
        return (
            t.label,
            t.other_words,
            t.count,
            t.baseline,
            t.status,
            t.places,
            t.responded,
            t.on_time,
            t.rated,
            t.rating,
            [(e.tracking_code, e.title, e.published) for e in t.examples],
            t.weekly,
            t.category_id,
        )

    return {
        "total": result.total,
        "baseline_total": round(result.baseline_total, 6),
        "weeks": result.weeks,
        "topics": [topic(t) for t in result.topics],
        "falling": [topic(t) for t in result.falling],
    }


@pytest.mark.parametrize("who", ["central", "hanoi"])
def test_the_engine_gives_the_databases_topics_and_numbers(
    elastic: ElasticBackend, world: dict[str, Any], who: str
) -> None:
    tree = world["tree"]
    scope, places = (
        (Scope(path_prefix="/"), "province")
        if who == "central"
        else (Scope(path_prefix=tree.hanoi.path), "commune")
    )
    query = SynthesisQuery(scope=scope, since=world["since"], until=world["until"], places=places)
    database = synthesis_database(query)
    engine = synthesis_engine(query, backend=_indexed(elastic))
    assert _seen(engine) == _seen(database)

    # And what they agree on is right, not only alike.
    flood = engine.topics[0]
    # The flood's other word ("nước tắc", of every flood title) joins it: one topic, not two.
    assert flood.label == "ngập lụt" and flood.other_words
    assert set(flood.other_words) <= title_topics(world["flood"][0].petition.title)
    assert flood.status == "new" and flood.baseline == 0
    assert (flood.responded, flood.on_time, flood.rated, flood.rating) == (3, 2, 2, 3.0)
    assert flood.examples[0].published and flood.examples[0].tracking_code in {
        case.petition.tracking_code for case in world["flood"][:2]
    }
    labels = {t.label for t in engine.topics} | {w for t in engine.topics for w in t.other_words}
    assert "xác nhận" not in labels and "hoạt động" not in labels
    [noise] = [t for t in engine.falling if "karaoke" in t.label]
    assert noise.count == 0 and noise.status == "falling" and noise.baseline > 0
    if who == "central":
        assert flood.count == 9 and flood.places == [(tree.hanoi.code, 6), (tree.hcm.code, 3)]
    else:
        assert flood.count == 6 and flood.places == [(tree.hoan_kiem.code, 4), (tree.cua_nam.code, 2)]
        assert not any("Bến Thành" in e.title for e in flood.examples)


def test_an_officers_own_unit_and_an_empty_scope(elastic: ElasticBackend, world: dict[str, Any]) -> None:
    tree = world["tree"]
    backend = _indexed(elastic)
    for scope in (Scope(exact_path=tree.cua_nam.path), Scope()):
        query = SynthesisQuery(scope=scope, since=world["since"], until=world["until"], places="commune")
        assert _seen(synthesis_engine(query, backend=backend)) == _seen(synthesis_database(query))
    only_cua_nam = synthesis_engine(
        SynthesisQuery(scope=Scope(exact_path=tree.cua_nam.path), since=world["since"], until=world["until"]),
        backend=backend,
    )
    assert only_cua_nam.total == 2 and not only_cua_nam.topics  # two petitions: under the minimum count


def test_the_synthesis_page_reads_the_engine_when_it_is_configured(
    elastic: ElasticBackend, world: dict[str, Any], client: Client, cast: Cast, monkeypatch: Any
) -> None:
    _indexed(elastic)
    asked: list[SynthesisQuery] = []
    import search.synthesis_engine as engine_module

    real = engine_module.synthesis_engine

    def spy(query: SynthesisQuery, **options: Any) -> Synthesis:
        asked.append(query)
        return real(query, **options)

    monkeypatch.setattr(engine_module, "synthesis_engine", spy)
    client.force_login(cast.province_leader)
    page = client.get(reverse("backoffice:backoffice-synthesis"), {"period": "7"})
    assert page.status_code == 200 and len(asked) == 1
    assert "ngập lụt" in page.content.decode()


def test_with_the_engine_down_the_synthesis_reads_the_database(
    search_engine_down: str, world: dict[str, Any], caplog: Any
) -> None:
    query = SynthesisQuery(
        scope=Scope(path_prefix=world["tree"].hanoi.path), since=world["since"], until=world["until"]
    )
    with caplog.at_level("WARNING", logger="search.synthesis"):
        result = synthesis_for(query)
    assert _seen(result) == _seen(synthesis_database(query)) and result.topics[0].label == "ngập lụt"
    assert "synthesis read from the database" in caplog.text
