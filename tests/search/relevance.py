"""A search relevance test set: Vietnamese petitions, the queries officers type, and what they expect.

The petitions (``PETITIONS``) are short, realistic complaints of one province (Hà Nội), with
deliberate look-alikes: words that fold to the same letters once tone marks are dropped
(``cống`` drain / ``công`` public / ``cổng`` gate / ``cong`` curved, ``đường tỉnh`` provincial
road / ``dương tính`` tested positive, ``đèn`` lamp / ``đen`` black / ``đến`` to, ``lụt`` flood /
``lút`` sunk, ``bảo`` / ``bão`` storm, ``ô nhiễm`` / ``ô tô`` … ``trách nhiệm``, ``tiếng ồn`` /
``tiếng Anh`` … ``ôn thi``, ``hố ga`` / ``hộ`` … ``Hàng Gà``, ``nước sạch`` / ``nước`` … ``sách``).
The look-alikes are listed last and so submitted last: they are the newest cases, and a backend
that breaks ties by date cannot rank the real matches first by luck.

How relevance is judged (``QUERIES``): as the officer who typed the query would, not as any
backend answers. The search is a keyword search (both backends: a query of up to three words asks
for petitions with all of them, in any spelling; a longer query may miss one word in five), so a
petition is relevant when it is about what the query names *and* says so in the query's words;
one that uses other words entirely (``rác`` alone for ``rác thải``) is not expected. A look-alike
that matches the letters but means something else is never relevant. A query typed without tone
marks is read both ways when both readings are likely (``duong tinh``: roads and positive tests)
and as the usual word otherwise (``den duong``: street lights). For longer queries a relevant
petition may lack one of the words (``đèn đường hỏng`` for ``đèn đường bị hỏng``).

Ordering checks (``ORDERINGS``): a query typed with tone marks ranks the exact spelling above
the folded look-alikes, and a petition lacking one of the query's words never ranks above one
that has them all. Tracking codes are assigned when petitions are submitted, so code queries
name a petition (``code(key, form)``) and are typed at run time.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from petitions.services import Submission, petition_submit
from routing.models import Level, Unit
from search.base import Scope, SearchBackend, SearchQuery
from search.documents import nfc
from tests.conftest import Tree
from tests.search.relevance_petitions import KEYS, PETITIONS, Sample

# --- the queries ---------------------------------------------------------------------------------

#: How a tracking code may be typed (``PA-26-7KQ3M9``): whole, or its last six characters alone.
CODE_FORMS: dict[str, Callable[[str], str]] = {
    "as printed": lambda code: code,
    "lower case": str.lower,
    "with spaces": lambda code: code.replace("-", " "),
    "lower case with spaces": lambda code: code.replace("-", " ").lower(),
    "without dashes": lambda code: code.replace("-", ""),
    "padded with blanks": lambda code: f"  {code.lower()} ",
    "last six": lambda code: code.rsplit("-", 1)[1],
    "last six, lower case": lambda code: code.rsplit("-", 1)[1].lower(),
}


@dataclass(frozen=True)
class CodeOf:
    """The tracking code of petition ``key``, typed in ``form`` (a key of CODE_FORMS)."""

    key: str
    form: str

    def typed(self, codes: Mapping[str, str]) -> str:
        return CODE_FORMS[self.form](codes[self.key])


@dataclass(frozen=True)
class Query:
    """What an officer types, the petitions they expect, and (where it matters) the one that must come first."""

    typed: str | CodeOf
    relevant: frozenset[str]
    first: str | None = None

    def text(self, codes: Mapping[str, str]) -> str:
        return self.typed.typed(codes) if isinstance(self.typed, CodeOf) else self.typed

    @property
    def label(self) -> str:
        if isinstance(self.typed, CodeOf):
            return f"code of {self.typed.key} ({self.typed.form})"
        return described(self.typed)


@dataclass(frozen=True)
class Ordering:
    """For the query ``typed``, each of ``above`` is found and ranks above each of ``below`` found."""

    typed: str
    above: frozenset[str]
    below: frozenset[str]
    why: str


def described(text: str) -> str:
    """A query as the report shows it; decomposed (NFD) text is marked, since it prints the same."""
    return repr(text) + (" (NFD)" if text != nfc(text) else "")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def q(typed: str | CodeOf, relevant: Iterable[str], first: str | None = None) -> Query:
    return Query(typed, frozenset(relevant), first)


def code(key: str, form: str) -> Query:
    return q(CodeOf(key, form), [key], first=key)


FLOOD = ["flood_hang_bong", "flood_nguyen_du", "flood_school_yard", "flood_after_storm", "flood_river"]
SUBMERGED = [*FLOOD, "flood_underpass"]
PROVINCIAL_ROAD = ["road_dt419", "road_dt70"]
COVID = ["covid_family", "covid_certificate", "covid_support"]
STREET_LIGHT = ["light_phan_chu_trinh", "light_alley", "light_school_gate"]
DRAIN = ["drain_hang_bac", "drain_broken_lid", "drain_blocked_by_site", "drain_smell", "drain_cable_works"]
STORM_DRAIN = ["drain_hang_bac", "drain_blocked_by_site", "drain_cable_works"]  # cống … thoát nước
GARBAGE = ["garbage_hang_bong", "garbage_market", "garbage_dumping"]  # rác and thải
NOISE = ["noise_karaoke_night", "noise_karaoke_shop", "noise_construction", "noise_loudspeaker"]
KARAOKE = ["noise_karaoke_night", "noise_karaoke_shop"]
LAND_DISPUTE = ["land_boundary", "land_inheritance"]
CLEAN_WATER = ["water_outage", "water_dirty", "water_pressure"]
SOCIAL_INSURANCE = ["insurance_pension", "insurance_employer", "insurance_lump_sum", "insurance_book"]
STORM = ["storm_tree", "storm_roof", "flood_after_storm"]
POLICE = ["police_theft", "police_gambling", "police_residence"]
POLLUTION = ["pollution_factory", "pollution_river"]
POTHOLE = ["pothole_tran_hung_dao", "road_dt419"]

QUERIES: tuple[Query, ...] = (
    # Flooding, however it is typed.
    q("ngập lụt", FLOOD),
    q("ngap lut", FLOOD),
    q("NGẬP LỤT", FLOOD),
    q(nfd("Ngập lụt"), FLOOD),
    q("lụt", FLOOD),
    q("ngập", SUBMERGED),
    q("ngập lụt Hàng Bông", ["flood_hang_bong"], first="flood_hang_bong"),
    # Provincial roads and positive tests: one folded spelling.
    q("đường tỉnh", PROVINCIAL_ROAD),
    q(nfd("đường tỉnh"), PROVINCIAL_ROAD),
    q("đường tỉnh 419", ["road_dt419"], first="road_dt419"),
    q("dương tính", COVID),
    q("DƯƠNG TÍNH", COVID),
    q("Covid dương tính", COVID),
    q("duong tinh", [*PROVINCIAL_ROAD, *COVID]),  # both readings are likely
    # Street lights: đèn, not đen (black) nor đến (to); d typed for đ.
    q("đèn đường", STREET_LIGHT),
    q("ĐÈN ĐƯỜNG", STREET_LIGHT),
    q("den duong", STREET_LIGHT),
    q("đèn đường bị hỏng", ["light_school_gate", "light_phan_chu_trinh"], first="light_school_gate"),
    # Drains: cống, not công, cổng, cộng or cong.
    q("cống", DRAIN),
    q(nfd("Cống"), DRAIN),
    q("cống thoát nước", STORM_DRAIN),
    q("cong thoat nuoc", STORM_DRAIN),
    q("hố ga", ["manhole"], first="manhole"),
    q("ho ga", ["manhole"], first="manhole"),
    q("ổ gà", POTHOLE),
    # Garbage.
    q("rác thải", GARBAGE),
    q("rac thai", GARBAGE),
    q("RÁC THẢI", GARBAGE),
    q("rác thải chợ Cửa Nam", ["garbage_market"], first="garbage_market"),
    # Noise.
    q("tiếng ồn", NOISE),
    q("tieng on", NOISE),
    q("tiếng ồn karaoke", KARAOKE),
    q("karaoke", KARAOKE),
    # Land.
    q("tranh chấp đất đai", LAND_DISPUTE, first="land_boundary"),
    q("tranh chap dat dai", LAND_DISPUTE, first="land_boundary"),
    q("chậm cấp sổ đỏ", ["land_certificate"], first="land_certificate"),
    # Water, schools, hospitals.
    q("nước sạch", CLEAN_WATER),
    q("nuoc sach", CLEAN_WATER),
    q("trường tiểu học", ["school_fees", "flood_school_yard", "school_gate_traffic"]),
    q("bệnh viện", ["hospital_wait", "hospital_fees", "hospital_parking"]),
    q("trạm y tế thiếu vắc xin", ["health_station_vaccine"], first="health_station_vaccine"),
    # Social insurance, and the storm that folds like it.
    q("bảo hiểm xã hội", SOCIAL_INSURANCE),
    q("bao hiem xa hoi", SOCIAL_INSURANCE),
    q("lương hưu", ["insurance_pension"], first="insurance_pension"),
    q("bão", STORM),
    # Public works, police, pollution, the rest.
    q("công trình", ["noise_construction", "works_sidewalk", "drain_blocked_by_site"]),
    q("công an", POLICE),
    q("cong an", POLICE),
    q("ô nhiễm", POLLUTION),
    q("o nhiem", POLLUTION),
    q("mất điện", ["power_outage"], first="power_outage"),
    q("chó cắn", ["stray_dogs"], first="stray_dogs"),
    q(
        "Hàng Bông",
        ["flood_hang_bong", "light_alley", "garbage_hang_bong", "insurance_employer", "works_sidewalk"],
    ),
    q("Hàng Bài", ["school_fees", "noise_construction", "storm_tree"]),
    # Tracking codes, whole and by their last six characters.
    code("drain_hang_bac", "as printed"),
    code("light_alley", "lower case"),
    code("covid_family", "with spaces"),
    code("land_certificate", "lower case with spaces"),
    code("noise_loudspeaker", "without dashes"),
    code("storm_roof", "padded with blanks"),
    code("manhole", "last six"),
    code("car_parking", "last six, lower case"),
)


def above(typed: str, good: Iterable[str], bad: Iterable[str], why: str) -> Ordering:
    return Ordering(typed, frozenset(good), frozenset(bad), why)


EXACT = "the exact spelling ranks above its folded look-alikes"
ALL_WORDS = "a petition with every word ranks above one lacking a word"

ORDERINGS: tuple[Ordering, ...] = (
    above("cống", DRAIN, ["road_curve", "light_school_gate", "police_theft", "school_fees"], EXACT),
    above(nfd("Cống"), DRAIN, ["road_curve", "light_school_gate", "police_theft"], EXACT),
    above("cống thoát nước", STORM_DRAIN, ["drainage_company"], EXACT),
    above("đường tỉnh", PROVINCIAL_ROAD, COVID, EXACT),
    above(nfd("đường tỉnh"), PROVINCIAL_ROAD, COVID, EXACT),
    above("dương tính", COVID, PROVINCIAL_ROAD, EXACT),
    above("DƯƠNG TÍNH", COVID, PROVINCIAL_ROAD, EXACT),
    above(
        "đèn đường", STREET_LIGHT, ["black_water", "oil_spill", "garbage_market", "garbage_schedule"], EXACT
    ),
    above("ĐÈN ĐƯỜNG", STREET_LIGHT, ["black_water", "oil_spill"], EXACT),
    above("lụt", FLOOD, ["lut_wheels"], EXACT),
    above("ô nhiễm", POLLUTION, ["car_parking"], EXACT),
    above("bão", STORM, [*SOCIAL_INSURANCE, "pollution_factory"], EXACT),
    above("bảo hiểm xã hội", SOCIAL_INSURANCE, ["storm_roof"], EXACT),
    above("tiếng ồn", NOISE, ["english_cram"], EXACT),
    above("nước sạch", CLEAN_WATER, ["library_leak"], EXACT),
    above("hố ga", ["manhole"], ["land_inheritance"], EXACT),
    above("ổ gà", POTHOLE, ["land_inheritance"], EXACT),
    above("công an", POLICE, ["drain_broken_lid"], EXACT),
    above(
        "đèn đường bị hỏng",
        ["light_school_gate"],
        ["light_phan_chu_trinh", "traffic_light", "oil_spill"],
        ALL_WORDS,
    ),
    above("tranh chấp đất đai", ["land_boundary"], ["land_inheritance", "land_officer"], ALL_WORDS),
    above("tranh chap dat dai", ["land_boundary"], ["land_inheritance", "land_officer"], ALL_WORDS),
    above(
        "ngập lụt Hàng Bông",
        ["flood_hang_bong"],
        ["garbage_hang_bong", "works_sidewalk", "flood_after_storm"],
        ALL_WORDS,
    ),
    above("rác thải chợ Cửa Nam", ["garbage_market"], ["garbage_hang_bong", "car_parking"], ALL_WORDS),
)


def _check_keys() -> None:
    named: set[str] = set()
    for query in QUERIES:
        named |= query.relevant | ({query.first} if query.first else set())
        assert query.first is None or query.first in query.relevant, query.label
    for ordering in ORDERINGS:
        named |= ordering.above | ordering.below
        assert not ordering.above & ordering.below, ordering.typed
    assert named <= KEYS, f"unknown petition keys: {sorted(named - KEYS)}"


_check_keys()

# --- loading -------------------------------------------------------------------------------------

#: Submissions are spread over the last weeks, in the order of PETITIONS (the look-alikes newest).
SPACING = dt.timedelta(hours=9)
_SUBMITTERS = (
    ("Nguyễn Văn An", "0912 345 678"),
    ("Trần Thị Bình", "0983 112 233"),
    ("Lê Minh Châu", "0868 456 789"),
    ("Phạm Thu Hà", "0703 221 144"),
)


@dataclass(frozen=True)
class Corpus:
    """The loaded petitions: key → case id and key → tracking code."""

    case_ids: dict[str, int]
    codes: dict[str, str]

    @property
    def keys_by_case(self) -> dict[int, str]:
        return {case_id: key for key, case_id in self.case_ids.items()}


def ba_dinh(tree: Tree) -> Unit:
    """A third commune of Hà Nội beside the two of the usual tree."""
    unit, _created = Unit.objects.get_or_create(
        code="W00004",
        defaults={"name": "Phường Ba Đình", "level": Level.COMMUNE, "parent": tree.hanoi, "admin_code": 4},
    )
    return unit


def load_petitions(tree: Tree, *, petitions: Sequence[Sample] = PETITIONS) -> Corpus:
    """Submit every petition through ``petition_submit`` (each opens its case) in three communes of Hà Nội.

    Every case is visible to the central level (``Scope(path_prefix="/")``); the one about an
    official's conduct is routed to the province, the rest stay at their commune.
    """
    communes = {"hoan_kiem": tree.hoan_kiem, "cua_nam": tree.cua_nam, "ba_dinh": ba_dinh(tree)}
    start = timezone.now() - SPACING * (len(petitions) + 1)
    case_ids: dict[str, int] = {}
    codes: dict[str, str] = {}
    for position, sample in enumerate(petitions):
        name, phone = _SUBMITTERS[position % len(_SUBMITTERS)]
        petition = petition_submit(
            submission=Submission(
                category=sample.category,
                commune=communes[sample.commune],
                phone=phone,
                submitter_name=name,
                title=sample.title,
                text=sample.text,
            ),
            now=start + SPACING * position,
            notify=False,
        ).petition
        case_ids[sample.key] = petition.case.pk
        codes[sample.key] = petition.tracking_code
    return Corpus(case_ids=case_ids, codes=codes)


# --- measuring -----------------------------------------------------------------------------------

#: How deep the ranking is read: ranks of relevant petitions beyond it count as not found.
DEPTH = 50
CUTOFF = 10  # recall@10


@dataclass(frozen=True)
class Outcome:
    """One query's ranking, read as keys, and how it scores."""

    label: str
    text: str
    ranked: tuple[str, ...]
    relevant: frozenset[str]

    def rank(self, key: str) -> int | None:
        """1-based rank of ``key``, or None if it was not returned (within DEPTH)."""
        return self.ranked.index(key) + 1 if key in self.ranked else None

    @property
    def reciprocal_rank(self) -> float:
        for position, key in enumerate(self.ranked, start=1):
            if key in self.relevant:
                return 1 / position
        return 0.0

    @property
    def missing(self) -> frozenset[str]:
        """Relevant petitions not in the top CUTOFF."""
        return self.relevant - set(self.ranked[:CUTOFF])

    @property
    def recall(self) -> float:
        return 1 - len(self.missing) / len(self.relevant)

    @property
    def perfect(self) -> bool:
        return self.reciprocal_rank == 1.0 and not self.missing

    def describe(self) -> str:
        top = ", ".join(f"{key}{'*' if key in self.relevant else ''}" for key in self.ranked[:CUTOFF])
        lines = [
            f"{self.label}: RR {self.reciprocal_rank:.2f}, recall@{CUTOFF} {self.recall:.2f}",
            f"    top {CUTOFF} (* relevant): {top or '(nothing)'}",
        ]
        if self.missing:
            where = ", ".join(f"{key} (#{self.rank(key) or '-'})" for key in sorted(self.missing))
            lines.append(f"    missing from the top {CUTOFF}: {where}")
        return "\n".join(lines)


@dataclass
class Report:
    outcomes: list[Outcome]
    #: One line per broken ordering check (``ORDERINGS``) or query whose ``first`` is not first.
    failed_orderings: list[str] = field(default_factory=list)

    @property
    def mrr(self) -> float:
        return sum(outcome.reciprocal_rank for outcome in self.outcomes) / len(self.outcomes)

    @property
    def recall_at_10(self) -> float:
        return sum(outcome.recall for outcome in self.outcomes) / len(self.outcomes)

    def summary(self) -> str:
        return (
            f"MRR {self.mrr:.3f}, recall@{CUTOFF} {self.recall_at_10:.3f} over {len(self.outcomes)} queries, "
            f"{len(self.failed_orderings)} failed ordering checks"
        )

    def failures(self) -> str:
        """The summary, every query not answered perfectly, and every failed ordering check."""
        lines = [self.summary()]
        imperfect = [outcome for outcome in self.outcomes if not outcome.perfect]
        if imperfect:
            lines.append("Queries not answered perfectly:")
            lines += [outcome.describe() for outcome in imperfect]
        if self.failed_orderings:
            lines.append("Failed ordering checks:")
            lines += [f"  {line}" for line in self.failed_orderings]
        return "\n".join(lines)


def _ranked(
    backend: SearchBackend, scope: Scope, text: str, keys_by_case: Mapping[int, str]
) -> tuple[str, ...]:
    result = backend.search(SearchQuery(scope=scope, text=text, sort="relevance", page_size=DEPTH))
    return tuple(keys_by_case.get(hit.case_id, f"case {hit.case_id}") for hit in result.hits)


def _ordering_failures(ordering: Ordering, outcome: Outcome) -> list[str]:
    failures = []
    for good in sorted(ordering.above):
        good_rank = outcome.rank(good)
        if good_rank is None:
            failures.append(f"{outcome.label}: {good} not found ({ordering.why})")
            continue
        for bad in sorted(ordering.below):
            bad_rank = outcome.rank(bad)
            if bad_rank is not None and bad_rank < good_rank:
                failures.append(
                    f"{outcome.label}: {bad} (#{bad_rank}) above {good} (#{good_rank}) ({ordering.why})"
                )
    return failures


def measure(
    backend: SearchBackend,
    scope: Scope,
    corpus: Corpus,
    *,
    queries: Sequence[Query] = QUERIES,
    orderings: Sequence[Ordering] = ORDERINGS,
) -> Report:
    """Run every query against ``backend`` within ``scope`` and score the rankings.

    MRR: the mean over queries of 1/rank of the first relevant hit (0 if none within DEPTH).
    Recall@10: the mean over queries of the share of relevant petitions in the top 10.
    Ordering checks: ``orderings``, and each query's ``first`` at rank 1.
    """
    keys_by_case = corpus.keys_by_case
    report = Report(outcomes=[])
    for query in queries:
        text = query.text(corpus.codes)
        outcome = Outcome(
            label=query.label,
            text=text,
            ranked=_ranked(backend, scope, text, keys_by_case),
            relevant=query.relevant,
        )
        report.outcomes.append(outcome)
        if query.first is not None and outcome.ranked[:1] != (query.first,):
            got = outcome.ranked[0] if outcome.ranked else "nothing"
            report.failed_orderings.append(f"{outcome.label}: {query.first} must rank first, got {got}")
    for ordering in orderings:
        outcome = Outcome(
            label=described(ordering.typed),
            text=ordering.typed,
            ranked=_ranked(backend, scope, ordering.typed, keys_by_case),
            relevant=ordering.above,
        )
        report.failed_orderings += _ordering_failures(ordering, outcome)
    return report
