"""The search-engine backend: one index of case documents behind an alias, searched within a jurisdiction.

Elasticsearch 8 or OpenSearch 2 (``search.client``). The index's mapping and analyzers are the
``CaseDocument`` class (``search.documents``); requests are written with ``elasticsearch.dsl``
(``Search``, ``Q``, ``A``) and sent as plain bodies, which both engines read alike.

The index is versioned (``<alias>-<UTC timestamp>``) and reached only through the alias, so
``reindex`` can build a new index while searches and writes carry on against the old one, and
then swap the alias in one atomic ``_aliases`` request. The reader's jurisdiction is always a
filter of the query itself, so hits and facet counts can never include another unit's cases.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from elasticsearch.dsl import A, Index, Q, Search
from elasticsearch.dsl.aggs import Agg, SignificantTerms
from elasticsearch.dsl.query import Query

from petitions.services import CODE_ALPHABET, CODE_LENGTH, normalize_tracking_code
from routing.models import OPEN_STATES, CaseState, Level
from routing.selectors import SIMILAR_WINDOW
from search.base import FACETS, Hit, Scope, SearchQuery, SearchResult, SearchUnavailable
from search.client import EngineClient, EngineError, EngineNotFound, EngineUnavailable, get_client
from search.documents import CaseDocument, documents, fold, nfc, versioned_documents
from search.monitoring import CHART_PLACES, Candidate, Monitoring, MonitorQuery, rank_rising

logger = logging.getLogger(__name__)

Document = dict[str, Any]
Progress = Callable[[Iterable[Any]], Iterable[Any]]

#: Facet name (search.base.FACETS) → indexed field, and how many values its counts list.
FACET_FIELDS = {
    "state": "state",
    "category": "category_id",
    "level": "level",
    "province": "province_code",
    "commune": "commune_code",
    "overdue": "is_overdue",
}
FACET_SIZES = {"state": 20, "category": 100, "level": 5, "province": 50, "commune": 200, "overdue": 2}

#: The engine refuses from + size beyond this (index.max_result_window); deeper pages are empty.
MAX_RESULT_WINDOW = 10_000
MAX_PAGE_SIZE = 100
#: Longer search text is cut: a pasted page of text must not become a query of thousands of clauses.
MAX_QUERY_CHARS = 500
BULK_CHUNK = 1000
#: Similar cases: words found in more petitions than this are left out of the comparison.
SIMILAR_MAX_DOC_FREQ = 50_000
#: Bulk requests a reindex keeps in flight while it reads and builds the next chunk (2 cores: the
#: engine indexes two while this process builds a third).
BULK_THREADS = 2
#: Seconds a bulk request may take (searches keep the client's short timeout).
BULK_TIMEOUT = 60.0
#: Cases changed this long before a reindex started are indexed again after the swap: a transaction
#: that began before the start may have committed after the new index read its rows.
REINDEX_CATCH_UP = dt.timedelta(minutes=5)

#: Monitoring: how many topic words ``significant_terms`` proposes before they are ranked by growth
#: (``search.monitoring.rank_rising``), and how many words seen with each, to tell one topic's
#: several words apart from several topics.
MONITOR_TOPIC_CANDIDATES = 50
#: Terms sizes of the monitoring aggregations: every category, every commune of the country (~3,300).
MONITOR_CATEGORIES = 500
MONITOR_PLACES = 3_400

#: Ranking tiers, added to the text's own score: a case with every word of the query always ranks
#: above one that lacks a word, and among those the exact spelling typed (``đường tỉnh``) above
#: folded look-alikes (``dương tính``). Each tier must outweigh every BM25 score below it (a few
#: hundred at most, even for long queries over a million cases) while the sum keeps float32's
#: precision for BM25 (about 0.01 at 10^5).
ALL_WORDS_BOOST = 100_000.0
EXACT_SPELLING_BOOST = 10_000.0
#: A tracking code, whole or its last six characters, outranks any text match.
CODE_BOOST = 1_000_000.0

HIT_FIELDS = ["case_id", "code", "title", "state", "category_id", "unit_code", "submitted_at"]
_TRACKING_CODE = re.compile(rf"PA-\d{{2}}-[A-Z0-9]{{{CODE_LENGTH}}}")
_CODE_TAIL = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
_WORD = re.compile(r"\w+")


class _SignificantTerms(SignificantTerms[Any]):
    """``significant_terms`` with sub-aggregations: the DSL's class (elasticsearch 8.19) declares its
    ``background_filter`` parameter in a way that drops the ``aggs`` every other bucket has."""

    _param_defs = {**SignificantTerms._param_defs, "aggs": {"type": "agg", "hash": True}}


class IndexingFailed(SearchUnavailable):
    """The engine refused documents for a reason that retrying soon will not cure (e.g. a mapping error).

    A ``SearchUnavailable`` all the same: the outbox keeps those cases waiting with the error and
    backs off, while other cases carry on being indexed.
    """


@dataclass
class ReindexReport:
    alias: str
    index: str
    documents: int
    caught_up: int
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


@contextmanager
def _unavailable_on_failure(action: str) -> Iterator[None]:
    """Connection failures, timeouts, overload and a missing index become ``SearchUnavailable``."""
    try:
        yield
    except EngineNotFound as exc:
        raise SearchUnavailable(
            f"The search engine cannot {action}: the index is missing; run manage.py search_init "
            f"(and search_reindex to fill it): {exc}"
        ) from exc
    except EngineUnavailable as exc:  # refused, timed out, overloaded, unwell
        raise SearchUnavailable(f"The search engine cannot {action}: {exc}") from exc
    except EngineError as exc:
        # Refused (4xx): a wrong password, a wrong engine, or our bug. Logged as an error; pages say
        # search is unavailable, and the outbox keeps the cases with the error and backs off.
        logger.error("the search engine refused to %s: %s", action, exc)
        raise SearchUnavailable(f"The search engine refused to {action}: {exc}") from exc


def index_body(*, aliases: Iterable[str] = (), **index_settings: Any) -> dict[str, Any]:
    """The create-index request: ``CaseDocument``'s mapping and analyzers, plus these settings."""
    index = Index("cases")
    index.document(CaseDocument)
    for alias in aliases:
        index.aliases(**{alias: {}})
    if index_settings:
        index.settings(**index_settings)
    body: dict[str, Any] = index.to_dict()
    return body


class ElasticBackend:
    """search.base.SearchBackend over the search engine (see the module docstring)."""

    def __init__(self, *, client: EngineClient | None = None, alias: str | None = None) -> None:
        self.client = client if client is not None else get_client()
        self.alias: str = alias or settings.SEARCH_INDEX_ALIAS

    # --- the index ---------------------------------------------------------

    def new_index_name(self) -> str:
        return f"{self.alias}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"

    def indices(self) -> list[str]:
        """The indices behind the alias (normally exactly one)."""
        with _unavailable_on_failure("read the alias"):
            return self.client.indices_of(self.alias)

    def ensure_index(self) -> str | None:
        """Create an index behind the alias if there is none; returns its name, or None if the alias exists."""
        with _unavailable_on_failure("create the index"):
            if self.client.alias_exists(self.alias):
                return None
            name = self.new_index_name()
            self.client.create_index(name, index_body(aliases=[self.alias]))
            # Two processes may have created one each at once: the alias must name one index,
            # so every loser (all but the first name) removes its own.
            behind = self.indices()
            if len(behind) > 1 and name != behind[0]:
                self.client.delete_index(name)
                return None
            logger.info("search index %s created behind alias %s", name, self.alias)
            return name

    def add_new_fields(self) -> list[str]:
        """Add the fields ``CaseDocument`` gained since the index was made to its mapping; returns them.

        Only additions: a field whose type changed needs ``search_reindex``. Documents written
        before carry the new fields only once they are written again (a reindex fills them all).
        """
        with _unavailable_on_failure("update the mapping"):
            wanted = index_body()["mappings"]["properties"]
            new: set[str] = set()
            for index in self.indices():
                held = self.client.mapping(index)[index]["mappings"].get("properties", {})
                new.update(set(wanted) - set(held))
            if new:
                self.client.put_mapping(self.alias, {"properties": {name: wanted[name] for name in new}})
        return sorted(new)

    def refresh(self) -> None:
        """Make everything written so far searchable (tests; production relies on the refresh interval)."""
        with _unavailable_on_failure("refresh"):
            self.client.refresh(self.alias)

    def reindex(self, *, progress: Progress | None = None) -> ReindexReport:
        """Build a new index of every case, swap the alias to it atomically and drop the old index.

        Searches and writes go to the old index until the swap; cases changed since shortly
        before the start are indexed again afterwards, so nothing written meanwhile is lost.
        """
        from routing.models import Case

        started = timezone.now()
        clock = time.monotonic()
        new = self.new_index_name()
        with _unavailable_on_failure("reindex"):
            self.client.create_index(new, index_body(refresh_interval="-1"))
            try:
                written = self._bulk_build(new, progress)
                # The first refresh of a large new index takes longer than a search may.
                self.client.put_settings(new, {"index": {"refresh_interval": None}}, timeout=BULK_TIMEOUT)
                self.client.refresh(new, timeout=BULK_TIMEOUT)
            except BaseException:
                with suppress(Exception):  # the cause matters more than a leftover index
                    self.client.delete_index(new)
                raise
            old = self.indices()
            actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.update_aliases(actions)
            changed = list(
                Case.objects.filter(updated_at__gte=started - REINDEX_CATCH_UP).values_list("pk", flat=True)
            )
            caught_up = self.index(changed) if changed else 0
            for name in old:
                self.client.delete_index(name)
        return ReindexReport(
            alias=self.alias,
            index=new,
            documents=written,
            caught_up=caught_up,
            removed=old,
            seconds=time.monotonic() - clock,
        )

    def _bulk_build(self, index: str, progress: Progress | None) -> int:
        """Write every case to ``index``: this thread reads and builds, ``BULK_THREADS`` threads send.

        Only the HTTP requests go to the threads: the database is read here, in the caller's
        connection (and transaction), while the engine indexes the chunks before.
        """
        docs: Iterable[tuple[Document, int]] = versioned_documents()
        if progress is not None:
            docs = progress(docs)
        actions = (_write(index, doc, version) for doc, version in docs)
        written = 0
        failures: list[dict[str, Any]] = []

        def send(chunk: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
            outcome = list(
                self.client.bulk(chunk, timeout=BULK_TIMEOUT, chunk_size=BULK_CHUNK, max_retries=3)
            )
            return sum(ok for ok, _item in outcome), [item for ok, item in outcome if not ok]

        with ThreadPoolExecutor(max_workers=BULK_THREADS, thread_name_prefix="reindex-bulk") as pool:
            sending: deque[Future[tuple[int, list[dict[str, Any]]]]] = deque()
            while True:
                chunk = list(itertools.islice(actions, BULK_CHUNK))
                if chunk:
                    sending.append(pool.submit(send, chunk))
                while sending and (len(sending) > BULK_THREADS or not chunk):
                    done, refused = sending.popleft().result()
                    written += done
                    failures += refused
                if not chunk:
                    break
        if failures:
            raise IndexingFailed(f"{len(failures)} documents refused while reindexing; first: {failures[0]}")
        return written

    def index(self, case_ids: list[int]) -> int:
        """Write the documents of these cases (deleted cases are removed); returns how many were written."""
        ids = sorted({int(pk) for pk in case_ids})
        if not ids:
            return 0
        docs = list(versioned_documents(ids))
        present = {doc["case_id"] for doc, _version in docs}
        actions: list[dict[str, Any]] = [_write(self.alias, doc, version) for doc, version in docs]
        actions += [
            {"_op_type": "delete", "_index": self.alias, "_id": str(pk)} for pk in ids if pk not in present
        ]
        with _unavailable_on_failure("index cases"):
            self.ensure_index()
            # require_alias: never let a write auto-create a concrete index named like the alias.
            bulk = self.client.bulk(actions, timeout=BULK_TIMEOUT, chunk_size=BULK_CHUNK, require_alias=True)
            errors = [item for ok, item in bulk if not ok]
        failures = [item for item in errors if not (_is_missing_delete(item) or _is_superseded(item))]
        if failures:
            message = f"{len(failures)} of {len(actions)} index actions failed; first: {failures[0]}"
            if all(_item_status(item) == 429 or _item_status(item) >= 500 for item in failures):
                raise SearchUnavailable(message)  # overloaded or unwell: the outbox tries again later
            raise IndexingFailed(message)
        return len(docs)

    def _send(self, search: Search, action: str) -> dict[str, Any]:
        with _unavailable_on_failure(action):
            return self.client.search(self.alias, search.to_dict())

    # --- queries -------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        if query.scope.is_empty:
            return SearchResult(total=0, hits=[], facets={name: [] for name in FACETS})
        text = nfc(query.text).strip()[:MAX_QUERY_CHARS]
        selections = _selections(query)
        start, size = _window(query.page, query.page_size)
        search = (
            Search()
            # The jurisdiction lives here, in the query: hits and every facet count obey it.
            .query(
                Q(
                    "bool",
                    must=[text_query(text) if text else Q("match_all")],
                    filter=[*_scope_filters(query.scope), *_date_filters(query.since, query.until)],
                )
            )
            .sort(*_sort(query.sort, has_text=bool(text)))
            .source(includes=HIT_FIELDS)
            .extra(from_=start, size=size, track_total_hits=True)
        )
        for name in FACETS:
            search.aggs[name] = _facet_aggregation(name, selections)
        if selections:
            # The user's own choices narrow the hits but not the counts of their facet, so the
            # other values of a facet stay visible with their counts (multi-select facets).
            search = search.post_filter(Q("bool", filter=list(selections.values())))
        if text:
            search = (
                # Its own query: Lucene's highlighter marks nothing for the text query's
                # ``minimum_should_match`` of four words and more.
                search.highlight_options(
                    encoder="html",
                    pre_tags=["<mark>"],
                    post_tags=["</mark>"],
                    highlight_query=Q("multi_match", query=text, fields=["title", "text"]).to_dict(),
                )
                .highlight("title", number_of_fragments=0)
                .highlight("text", fragment_size=160, number_of_fragments=2)
            )
        response = self._send(search, "search")
        return SearchResult(
            total=int(response["hits"]["total"]["value"]),
            hits=[_hit(raw) for raw in response["hits"]["hits"]],
            facets={
                name: _facet_values(name, _facet_terms(response["aggregations"][name])) for name in FACETS
            },
        )

    def similar(self, *, case_id: int, scope: Scope, limit: int = 5) -> list[Hit]:
        """Open and recent cases most like this one (title and text), in the same province and the scope."""
        if scope.is_empty or limit <= 0:
            return []
        source = next(iter(documents([case_id], topics=False)), None)
        if source is None or not _in_scope(source["unit_path"], scope):
            return []  # a case the reader may not see suggests nothing
        recent = timezone.now() - SIMILAR_WINDOW
        province = source["province_code"]
        open_or_recent = Q("terms", state=[state.value for state in OPEN_STATES]) | Q(
            "range", submitted_at={"gte": recent.isoformat()}
        )
        same_province = Q("term", province_code=province) if province else ~Q("exists", field="province_code")
        # The case as it is in the database now (an artificial document), not as last indexed:
        # a case submitted a moment ago may not have reached the index yet.
        like = Q(
            "more_like_this",
            fields=["title", "text"],
            like=[{"_index": self.alias, "doc": {"title": source["title"], "text": source["text"]}}],
            min_term_freq=1,
            min_doc_freq=1,
            # Words in more petitions than this (``đường``, ``người dân``) say little about which
            # petitions are alike and cost most: at a million cases a province's similar cases took
            # 278 ms at p95 with them, about 40 ms without.
            max_doc_freq=SIMILAR_MAX_DOC_FREQ,
            max_query_terms=25,
            minimum_should_match="30%",
        )
        # Among equally similar texts, the same commune and topic first.
        same_place = [Q("term", category_id=source["category_id"])]
        if source["commune_code"]:
            same_place.append(Q("term", commune_code=source["commune_code"]))
        query = Q(
            "bool",
            must=[like],
            filter=[*_scope_filters(scope), same_province, open_or_recent],
            must_not=[
                Q("ids", values=[str(case_id)]),
                Q("terms", state=[CaseState.DUPLICATE.value, CaseState.WITHDRAWN.value]),
            ],
            should=same_place,
        )
        search = Search().query(query).source(includes=HIT_FIELDS).extra(size=limit)
        response = self._send(search, "find similar cases")
        return [_hit(raw) for raw in response["hits"]["hits"]]

    def monitor(self, query: MonitorQuery) -> Monitoring:
        """The numbers of ``search.monitoring.monitor_database``, from aggregations within the scope.

        One aggregation request: volume per day and topic, per place, response times per level,
        satisfaction per topic, and rising topic words (``significant_terms`` over ``topics``).
        Percentiles are the engine's (t-digest estimates), not ``percentile_cont``: close on
        large samples, they may differ on a handful of values.
        """
        result = Monitoring()
        days = [query.since + dt.timedelta(days=n) for n in range((query.until - query.since).days + 1)]
        result.volume_by_category = {day: {} for day in days}
        result.response_by_level = {
            level.value: (0, None, None) for level in (Level.COMMUNE, Level.PROVINCE, Level.CENTRAL)
        }
        if query.scope.is_empty:
            return result
        zone = ZoneInfo(settings.TIME_ZONE)
        start, end = _local_midnight(query.since), _local_midnight(query.until + dt.timedelta(days=1))
        place = "province_code" if query.places == "province" else "commune_code"
        search = Search().filter(Q("bool", filter=_scope_filters(query.scope))).extra(size=0)

        period = search.aggs.bucket("period", "filter", Q("range", submitted_at={"gte": start, "lt": end}))
        bounds = {"min": _epoch_ms(query.since), "max": _epoch_ms(query.until)}
        period.bucket("days", _daily(extended_bounds=bounds)).bucket(
            "categories", "terms", field="category_id", size=MONITOR_CATEGORIES
        )
        period.bucket("places", "terms", field=place, size=MONITOR_PLACES)
        # Topic words of the period against the scope's petitions of this and the previous period.
        before = _local_midnight(query.since - dt.timedelta(days=len(days)))
        both_periods = _submitted(query.scope, before, end)
        rising = _SignificantTerms(
            field="topics", size=MONITOR_TOPIC_CANDIDATES, min_doc_count=2, background_filter=both_periods
        )
        rising.bucket("with", "terms", field="topics", size=MONITOR_TOPIC_CANDIDATES)
        period.bucket("rising", rising)
        period.bucket(
            "leading", "terms", field=place, size=CHART_PLACES, order=[{"_count": "desc"}, {"_key": "asc"}]
        ).bucket("days", _daily())

        responded = Q("range", responded_at={"gte": start, "lt": end})
        search.aggs.bucket("responded", "filter", responded).bucket(
            "levels", "terms", field="level", size=10
        ).metric("seconds", "percentiles", field="response_seconds", percents=[50, 90])

        closed = Q("range", closed_at={"gte": start, "lt": end})
        rated = Q(
            "bool", filter=[Q("exists", field="rating")], should=[closed, responded], minimum_should_match=1
        )
        search.aggs.bucket("satisfaction", "filter", rated).bucket(
            "categories", "terms", field="category_id", size=MONITOR_CATEGORIES
        ).metric("rating", "avg", field="rating")

        found = self._send(search, "monitor")["aggregations"]
        for bucket in found["period"]["days"]["buckets"]:
            day = dt.datetime.fromtimestamp(bucket["key"] / 1000, zone).date()
            if day in result.volume_by_category:
                result.volume_by_category[day] = {
                    int(sub["key"]): int(sub["doc_count"]) for sub in bucket["categories"]["buckets"]
                }
        result.volume_by_place = {
            str(bucket["key"]): int(bucket["doc_count"]) for bucket in found["period"]["places"]["buckets"]
        }
        for bucket in found["period"]["leading"]["buckets"]:
            per_day = dict.fromkeys(days, 0)
            for sub in bucket["days"]["buckets"]:
                day = dt.datetime.fromtimestamp(sub["key"] / 1000, zone).date()
                if day in per_day:
                    per_day[day] = int(sub["doc_count"])
            result.volume_by_place_per_day[str(bucket["key"])] = per_day
        for bucket in found["responded"]["levels"]["buckets"]:
            values = bucket["seconds"]["values"]
            result.response_by_level[str(bucket["key"])] = (
                int(bucket["doc_count"]),
                _number(values.get("50.0")),
                _number(values.get("90.0")),
            )
        for bucket in found["satisfaction"]["categories"]["buckets"]:
            result.satisfaction[int(bucket["key"])] = (
                int(bucket["doc_count"]),
                _number(bucket["rating"]["value"]),
            )

        significant = found["period"]["rising"]
        if int(significant["bg_count"]) > int(significant["doc_count"]):
            result.rising = _rising(significant)
        else:  # no petitions before: significant_terms has nothing to set them against, all is new
            result.rising = self._new_topics(query.scope, start, end)
        return result

    def _new_topics(self, scope: Scope, start: str, end: str) -> list[tuple[str, int, int]]:
        """With no petitions in the period before, every word of two petitions or more is new."""
        search = Search().filter(_submitted(scope, start, end)).extra(size=0, track_total_hits=True)
        search.aggs.bucket(
            "common", "terms", field="topics", size=MONITOR_TOPIC_CANDIDATES, min_doc_count=2
        ).bucket("with", "terms", field="topics", size=MONITOR_TOPIC_CANDIDATES)
        found = self._send(search, "find new topics")
        buckets = found["aggregations"]["common"]["buckets"]
        candidates = [Candidate(str(b["key"]), int(b["doc_count"]), 0) for b in buckets]
        total_now = int(found["hits"]["total"]["value"])
        return rank_rising(candidates, _together(buckets), total_now=total_now, total_before=0)


# --- pieces of requests ------------------------------------------------------


def _rising(significant: dict[str, Any]) -> list[tuple[str, int, int]]:
    """Rising topics from the ``significant_terms`` buckets, ranked as the database backend ranks them.

    The background holds both periods, so a word's previous count is its background count less
    its count now. Each bucket also counts the words seen with it in the same petitions, for
    ``rank_rising`` to keep one word per group of petitions.
    """
    total_now = int(significant["doc_count"])
    candidates = [
        Candidate(str(b["key"]), int(b["doc_count"]), int(b["bg_count"]) - int(b["doc_count"]))
        for b in significant["buckets"]
    ]
    together = _together(significant["buckets"])
    return rank_rising(
        candidates, together, total_now=total_now, total_before=int(significant["bg_count"]) - total_now
    )


def _together(buckets: list[dict[str, Any]]) -> Callable[[str, str], int]:
    """How many petitions carry both words, from each word's ``with`` sub-aggregation."""
    seen_with = {
        str(b["key"]): {str(w["key"]): int(w["doc_count"]) for w in b["with"]["buckets"]} for b in buckets
    }

    def together(a: str, b: str) -> int:
        return max(seen_with[a].get(b, 0), seen_with[b].get(a, 0))

    return together


def text_query(text: str) -> Query:
    """Words across title (weighted) and text, folded; ranked in tiers (see ALL_WORDS_BOOST).

    Up to three words must all match, longer queries 80 % of their words (folded, so ``ngap lut``
    finds ``ngập lụt``). A case with every word gets ``ALL_WORDS_BOOST``; one with every word typed
    with tone marks (or ``đ``) spelled so, ``EXACT_SPELLING_BOOST`` more. A word typed without them
    prefers no spelling: ``duong`` is as likely to mean ``đường`` as ``dương``. Within a tier, BM25
    of the spelled words and of the words side by side orders them. A tracking code, whole or its
    last six characters, finds its case above everything else.
    """
    folded = ["title^3", "text"]
    words = Q("multi_match", query=text, fields=folded, type="cross_fields", minimum_should_match="3<80%")
    every_word = Q("multi_match", query=text, fields=folded, type="cross_fields", operator="and")
    should = [
        Q("constant_score", filter=every_word, boost=ALL_WORDS_BOOST),
        Q("multi_match", query=text, fields=folded, type="phrase", boost=2.0),
    ]
    spelled = " ".join(word for word in _WORD.findall(text.lower()) if fold(word) != word)
    if spelled:
        exact = ["title.exact^3", "text.exact"]
        as_spelled = Q("multi_match", query=spelled, fields=exact, type="cross_fields", operator="and")
        should += [
            Q("constant_score", filter=as_spelled, boost=EXACT_SPELLING_BOOST),
            Q("multi_match", query=spelled, fields=exact, type="cross_fields"),
        ]
    alternatives = [Q("bool", must=[words], should=should)]
    code = normalize_tracking_code(text)
    if _TRACKING_CODE.fullmatch(code):
        alternatives.append(Q("term", code={"value": code, "boost": CODE_BOOST}))
    elif _CODE_TAIL.fullmatch(text.upper()):
        alternatives.append(Q("match", **{"code.parts": {"query": text.lower(), "boost": CODE_BOOST}}))
    return Q("bool", should=alternatives, minimum_should_match=1)


def _daily(**options: Any) -> Agg[Any]:
    """Days of submission in the portal's time zone, quiet days included (as zero)."""
    return A(
        "date_histogram",
        field="submitted_at",
        calendar_interval="day",
        time_zone=settings.TIME_ZONE,
        min_doc_count=0,
        **options,
    )


def _scope_filters(scope: Scope) -> list[Query]:
    clauses: list[Query] = []
    if scope.exact_path is not None:
        clauses.append(Q("term", unit_path=scope.exact_path))
    if scope.path_prefix is not None and scope.path_prefix != "/":
        clauses.append(Q("prefix", unit_path=scope.path_prefix))
    return clauses


def _submitted(scope: Scope, start: str, end: str) -> Query:
    """The scope's petitions submitted in [start, end)."""
    return Q("bool", filter=[*_scope_filters(scope), Q("range", submitted_at={"gte": start, "lt": end})])


def _in_scope(unit_path: str, scope: Scope) -> bool:
    if scope.exact_path is not None and unit_path != scope.exact_path:
        return False
    return scope.path_prefix is None or unit_path.startswith(scope.path_prefix)


def _local_midnight(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)).isoformat()


def _epoch_ms(day: dt.date) -> int:
    """The portal's local midnight starting ``day``, in epoch milliseconds."""
    return int(dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)).timestamp() * 1000)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _date_filters(since: dt.date | None, until: dt.date | None) -> list[Query]:
    """Days are the portal's local days; ``until`` is inclusive."""
    bounds: dict[str, str] = {}
    if since is not None:
        bounds["gte"] = _local_midnight(since)
    if until is not None:
        bounds["lt"] = _local_midnight(until + dt.timedelta(days=1))
    return [Q("range", submitted_at=bounds)] if bounds else []


def _selections(query: SearchQuery) -> dict[str, Query]:
    """The user's facet choices, by facet name."""
    chosen: dict[str, Query] = {}
    for name, values in (
        ("state", list(query.states)),
        ("category", [int(value) for value in query.category_ids]),
        ("level", list(query.levels)),
        ("province", list(query.province_codes)),
        ("commune", list(query.commune_codes)),
    ):
        if values:
            chosen[name] = Q("terms", **{FACET_FIELDS[name]: values})
    if query.overdue is not None:
        chosen["overdue"] = Q("term", is_overdue=query.overdue)
    return chosen


def _sort(sort: str, *, has_text: bool) -> list[Any]:
    if sort == "oldest":
        return [{"submitted_at": {"order": "asc"}}, {"case_id": {"order": "asc"}}]
    newest = [{"submitted_at": {"order": "desc"}}, {"case_id": {"order": "desc"}}]
    if sort == "relevance" and has_text:
        return ["_score", *newest]
    return newest


def _window(page: int, page_size: int) -> tuple[int, int]:
    """``from`` and ``size`` for a page, never beyond MAX_RESULT_WINDOW (deeper pages are empty)."""
    size = min(max(page_size, 1), MAX_PAGE_SIZE)
    start = (max(page, 1) - 1) * size
    if start >= MAX_RESULT_WINDOW:
        return 0, 0
    return start, min(size, MAX_RESULT_WINDOW - start)


def _hit(raw: dict[str, Any]) -> Hit:
    source = raw["_source"]
    highlight = raw.get("highlight") or {}
    return Hit(
        case_id=int(source["case_id"]),
        code=source["code"],
        title=source["title"],
        state=source["state"],
        category_id=int(source["category_id"]),
        unit_code=source["unit_code"],
        submitted_at=dt.datetime.fromisoformat(source["submitted_at"]),
        score=float(raw.get("_score") or 0.0),
        highlights=[*highlight.get("title", []), *highlight.get("text", [])],
    )


def _facet_aggregation(name: str, selections: dict[str, Query]) -> Agg[Any]:
    """A facet's counts: over the hits, less the user's choices in the other facets (if any).

    Plain ``terms`` when no other facet is chosen: wrapping every facet in a ``filter``
    aggregation costs more than the search itself on a large index.
    """
    terms = A("terms", field=FACET_FIELDS[name], size=FACET_SIZES[name])
    others = [clause for other, clause in selections.items() if other != name]
    if not others:
        return terms
    wrapped = A("filter", Q("bool", filter=others))
    wrapped.bucket("values", terms)
    return wrapped


def _facet_terms(aggregation: dict[str, Any]) -> dict[str, Any]:
    terms: dict[str, Any] = aggregation.get("values", aggregation)
    return terms


def _facet_values(name: str, terms: dict[str, Any]) -> list[tuple[Any, int]]:
    values: list[tuple[Any, int]] = []
    for bucket in terms["buckets"]:
        key: Any = bucket["key"]
        if name == "overdue":
            key = bucket.get("key_as_string", str(key)) in ("true", "1")
        elif name == "category":
            key = int(key)
        values.append((key, int(bucket["doc_count"])))
    return values


def _item_status(item: dict[str, Any]) -> int:
    (result,) = item.values()
    return int(result.get("status", 0))


def _write(index: str, doc: Document, version: int) -> dict[str, Any]:
    """A bulk action writing a case's document unless the index holds a newer one (see ``cases_for_documents``)."""
    return {
        "_op_type": "index",
        "_index": index,
        "_id": str(doc["case_id"]),
        "_source": doc,
        "version": version,
        "version_type": "external_gte",
    }


def _is_superseded(item: dict[str, Any]) -> bool:
    """A write refused because the index already holds a newer version of the document: nothing to do."""
    result = item.get("index") or {}
    error = result.get("error") or {}
    return result.get("status") == 409 and error.get("type") == "version_conflict_engine_exception"


def _is_missing_delete(item: dict[str, Any]) -> bool:
    """Deleting a document that was never indexed is fine."""
    return "delete" in item and _item_status(item) == 404
