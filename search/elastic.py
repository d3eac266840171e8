"""The Elasticsearch backend: one index of case documents behind an alias, searched within a jurisdiction.

The index is versioned (``<alias>-<UTC timestamp>``) and reached only through the alias, so
``reindex`` can build a new index while searches and writes carry on against the old one, and
then swap the alias in one atomic ``_aliases`` request. The reader's jurisdiction is always a
filter of the query itself, so hits and facet counts can never include another unit's cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError, helpers

from petitions.services import CODE_LENGTH, normalize_tracking_code
from routing.models import OPEN_STATES, Case, CaseState, Level
from routing.selectors import SIMILAR_WINDOW
from search.base import FACETS, Hit, Scope, SearchQuery, SearchResult, SearchUnavailable
from search.client import get_client
from search.documents import documents, nfc, versioned_documents
from search.monitoring import CHART_PLACES, Monitoring, MonitorQuery, rising_topics

logger = logging.getLogger(__name__)

Document = dict[str, Any]
Progress = Callable[[Iterable[Any]], Iterable[Any]]

#: Lowercase, then ASCII folding that keeps the original token next to the folded one: ``ngập`` is
#: indexed as ``ngập`` and ``ngap`` (``đường`` as ``đường`` and ``duong``). A toneless query finds
#: accented text; an accented query matches both, and text with the exact spelling scores higher
#: because it matches both tokens.
INDEX_SETTINGS: dict[str, Any] = {
    "analysis": {
        "filter": {"vi_folding": {"type": "asciifolding", "preserve_original": True}},
        "analyzer": {
            "vi_text": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "vi_folding"]}
        },
    }
}

_TEXT = {"type": "text", "analyzer": "vi_text", "search_analyzer": "vi_text"}
_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}

#: ``strict``: a field the mapping does not name is refused, so nothing beyond these (no personal
#: data) can reach the index even if a document grew a field by mistake.
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "case_id": {"type": "integer"},
        "code": _KEYWORD,
        "title": _TEXT,
        "text": _TEXT,
        "category_id": {"type": "integer"},
        "category_code": _KEYWORD,
        "unit_code": _KEYWORD,
        "unit_path": _KEYWORD,
        "level": _KEYWORD,
        "province_code": _KEYWORD,
        "commune_code": _KEYWORD,
        "state": _KEYWORD,
        "submitted_at": _DATE,
        "triaged_at": _DATE,
        "responded_at": _DATE,
        "closed_at": _DATE,
        "due_at": _DATE,
        "is_overdue": {"type": "boolean"},
        "response_seconds": {"type": "float"},
        "rating": {"type": "integer"},
        "location": {"type": "geo_point"},
    },
}

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

#: Elasticsearch refuses from + size beyond this (index.max_result_window); deeper pages are empty.
MAX_RESULT_WINDOW = 10_000
MAX_PAGE_SIZE = 100
#: Longer search text is cut: a pasted page of text must not become a query of thousands of clauses.
MAX_QUERY_CHARS = 500
BULK_CHUNK = 1000
#: Cases changed this long before a reindex started are indexed again after the swap: a transaction
#: that began before the start may have committed after the new index read its rows.
REINDEX_CATCH_UP = dt.timedelta(minutes=5)

#: Monitoring: how many titles of each period (the newest first) feed the rising terms. Two-syllable
#: terms cannot come from a terms aggregation on the analysed title, so the titles themselves are
#: read with search_after; beyond this many a period's counts are those of its newest titles.
#: Seconds a bulk request may take (searches keep the client's short timeout).
BULK_TIMEOUT = 60.0
MONITOR_MAX_TITLES = 20_000
MONITOR_TITLE_PAGE = 5_000
#: Terms sizes of the monitoring aggregations: every category, every commune of the country (~3,300).
MONITOR_CATEGORIES = 500
MONITOR_PLACES = 3_400

_HIT_SOURCE = {"includes": ["case_id", "code", "title", "state", "category_id", "unit_code", "submitted_at"]}
_HIGHLIGHT = {
    "encoder": "html",
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "fields": {
        "title": {"number_of_fragments": 0},
        "text": {"fragment_size": 160, "number_of_fragments": 2},
    },
}
_TRACKING_CODE = re.compile(rf"PA-\d{{2}}-[A-Z0-9]{{{CODE_LENGTH}}}")


class IndexingFailed(SearchUnavailable):
    """Elasticsearch refused documents for a reason that retrying soon will not cure (e.g. a mapping error).

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
    except TransportError as exc:  # refused, timed out, TLS: the cluster is not answering
        raise SearchUnavailable(f"Elasticsearch did not answer ({action}): {exc}") from exc
    except NotFoundError as exc:
        raise SearchUnavailable(
            f"Elasticsearch cannot {action}: the index is missing; run manage.py search_init "
            f"(and search_reindex to fill it): {exc}"
        ) from exc
    except ApiError as exc:
        if exc.meta.status >= 500 or exc.meta.status == 429:
            raise SearchUnavailable(f"Elasticsearch cannot {action}: {exc}") from exc
        raise


class ElasticBackend:
    """search.base.SearchBackend over Elasticsearch (see the module docstring)."""

    def __init__(self, *, client: Elasticsearch | None = None, alias: str | None = None) -> None:
        self.client = client if client is not None else get_client()
        self.alias: str = alias or settings.SEARCH_INDEX_ALIAS

    # --- the index ---------------------------------------------------------

    def new_index_name(self) -> str:
        return f"{self.alias}-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"

    def indices(self) -> list[str]:
        """The indices behind the alias (normally exactly one)."""
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def ensure_index(self) -> str | None:
        """Create an index behind the alias if there is none; returns its name, or None if the alias exists."""
        with _unavailable_on_failure("create the index"):
            if self.client.indices.exists_alias(name=self.alias):
                return None
            name = self.new_index_name()
            self.client.indices.create(
                index=name, settings=INDEX_SETTINGS, mappings=MAPPINGS, aliases={self.alias: {}}
            )
            # Two processes may have created one each at once: the alias must name one index,
            # so every loser (all but the first name) removes its own.
            behind = self.indices()
            if len(behind) > 1 and name != behind[0]:
                self.client.indices.delete(index=name)
                return None
            logger.info("search index %s created behind alias %s", name, self.alias)
            return name

    def refresh(self) -> None:
        """Make everything written so far searchable (tests; production relies on the refresh interval)."""
        with _unavailable_on_failure("refresh"):
            self.client.indices.refresh(index=self.alias)

    def reindex(self, *, progress: Progress | None = None) -> ReindexReport:
        """Build a new index of every case, swap the alias to it atomically and drop the old index.

        Searches and writes go to the old index until the swap; cases changed since shortly
        before the start are indexed again afterwards, so nothing written meanwhile is lost.
        """
        started = timezone.now()
        clock = time.monotonic()
        new = self.new_index_name()
        with _unavailable_on_failure("reindex"):
            self.client.indices.create(
                index=new,
                settings={**INDEX_SETTINGS, "index": {"refresh_interval": "-1"}},
                mappings=MAPPINGS,
            )
            try:
                written = self._bulk_build(new, progress)
                self.client.indices.put_settings(index=new, settings={"index": {"refresh_interval": None}})
                self.client.indices.refresh(index=new)
            except BaseException:
                with suppress(Exception):  # the cause matters more than a leftover index
                    self.client.indices.delete(index=new)
                raise
            old = self.indices()
            actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(actions=actions)
            changed = list(
                Case.objects.filter(updated_at__gte=started - REINDEX_CATCH_UP).values_list("pk", flat=True)
            )
            caught_up = self.index(changed) if changed else 0
            for name in old:
                self.client.indices.delete(index=name, ignore_unavailable=True)
        return ReindexReport(
            alias=self.alias,
            index=new,
            documents=written,
            caught_up=caught_up,
            removed=old,
            seconds=time.monotonic() - clock,
        )

    def _bulk_build(self, index: str, progress: Progress | None) -> int:
        docs: Iterable[tuple[Document, int]] = versioned_documents()
        if progress is not None:
            docs = progress(docs)
        actions = (_write(index, doc, version) for doc, version in docs)
        written = 0
        failures: list[Any] = []
        for ok, item in helpers.streaming_bulk(
            self._bulk_client(), actions, chunk_size=BULK_CHUNK, raise_on_error=False, max_retries=3
        ):
            if ok:
                written += 1
            else:
                failures.append(item)
        if failures:
            raise IndexingFailed(f"{len(failures)} documents refused while reindexing; first: {failures[0]}")
        return written

    def _bulk_client(self) -> Elasticsearch:
        """The client with a longer timeout: a bulk of a thousand documents takes seconds, a search should not."""
        return self.client.options(request_timeout=BULK_TIMEOUT)

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
            _, errors = helpers.bulk(
                self._bulk_client(), actions, chunk_size=BULK_CHUNK, raise_on_error=False, require_alias=True
            )
        failures = [
            item for item in cast(list[Any], errors) if not (_is_missing_delete(item) or _is_superseded(item))
        ]
        if failures:
            message = f"{len(failures)} of {len(actions)} index actions failed; first: {failures[0]}"
            if all(_item_status(item) == 429 or _item_status(item) >= 500 for item in failures):
                raise SearchUnavailable(message)  # overloaded or unwell: the outbox tries again later
            raise IndexingFailed(message)
        return len(docs)

    # --- queries -------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        if query.scope.is_empty:
            return SearchResult(total=0, hits=[], facets={name: [] for name in FACETS})
        text = nfc(query.text).strip()[:MAX_QUERY_CHARS]
        selections = _selections(query)
        start, size = _window(query.page, query.page_size)
        request: dict[str, Any] = {
            "query": {
                "bool": {
                    "must": [_text_query(text)] if text else [{"match_all": {}}],
                    # The jurisdiction lives here, in the query: hits and every facet count obey it.
                    "filter": [*_scope_filters(query.scope), *_date_filters(query.since, query.until)],
                }
            },
            "aggs": {name: _facet_aggregation(name, selections) for name in FACETS},
            "sort": _sort(query.sort, has_text=bool(text)),
            "from_": start,
            "size": size,
            "track_total_hits": True,
            "source": _HIT_SOURCE,
        }
        if selections:
            # The user's own choices narrow the hits but not the counts of their facet, so the
            # other values of a facet stay visible with their counts (multi-select facets).
            request["post_filter"] = {"bool": {"filter": list(selections.values())}}
        if text:
            request["highlight"] = _HIGHLIGHT
        with _unavailable_on_failure("search"):
            response = self.client.search(index=self.alias, **request)
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
        source = next(iter(documents([case_id])), None)
        if source is None or not _in_scope(source["unit_path"], scope):
            return []  # a case the reader may not see suggests nothing
        recent = timezone.now() - SIMILAR_WINDOW
        province = source["province_code"]
        filters: list[dict[str, Any]] = [
            *_scope_filters(scope),
            {"term": {"province_code": province}}
            if province
            else {"bool": {"must_not": [{"exists": {"field": "province_code"}}]}},
            {
                "bool": {
                    "should": [
                        {"terms": {"state": [state.value for state in OPEN_STATES]}},
                        {"range": {"submitted_at": {"gte": recent.isoformat()}}},
                    ],
                    "minimum_should_match": 1,
                }
            },
        ]
        # The case as it is in the database now (an artificial document), not as last indexed:
        # a case submitted a moment ago may not have reached the index yet.
        like = {
            "more_like_this": {
                "fields": ["title", "text"],
                "like": [{"_index": self.alias, "doc": {"title": source["title"], "text": source["text"]}}],
                "min_term_freq": 1,
                "min_doc_freq": 1,
                "max_query_terms": 25,
                "minimum_should_match": "30%",
            }
        }
        same_place = [
            {"term": {"commune_code": source["commune_code"]}} if source["commune_code"] else None,
            {"term": {"category_id": source["category_id"]}},
        ]
        query = {
            "bool": {
                "must": [like],
                "filter": filters,
                "must_not": [
                    {"ids": {"values": [str(case_id)]}},
                    {"terms": {"state": [CaseState.DUPLICATE.value, CaseState.WITHDRAWN.value]}},
                ],
                # Among equally similar texts, the same commune and topic first.
                "should": [clause for clause in same_place if clause],
            }
        }
        with _unavailable_on_failure("find similar cases"):
            response = self.client.search(index=self.alias, query=query, size=limit, source=_HIT_SOURCE)
        return [_hit(raw) for raw in response["hits"]["hits"]]

    def monitor(self, query: MonitorQuery) -> Monitoring:
        """The numbers of ``search.monitoring.monitor_database``, from aggregations within the scope.

        One aggregation request (volume per day and topic, per place, response times per level,
        satisfaction per topic) and the titles of this period and the one before it (rising terms).
        Percentiles are Elasticsearch's (t-digest estimates), not ``percentile_cont``: close on
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
        period = {"range": {"submitted_at": {"gte": start, "lt": end}}}
        responded = {"range": {"responded_at": {"gte": start, "lt": end}}}
        closed = {"range": {"closed_at": {"gte": start, "lt": end}}}
        place = "province_code" if query.places == "province" else "commune_code"
        aggs: dict[str, Any] = {
            "period": {
                "filter": period,
                "aggs": {
                    "days": {
                        "date_histogram": {
                            **_DAILY,
                            "extended_bounds": {"min": _epoch_ms(query.since), "max": _epoch_ms(query.until)},
                        },
                        "aggs": {
                            "categories": {"terms": {"field": "category_id", "size": MONITOR_CATEGORIES}}
                        },
                    },
                    "places": {"terms": {"field": place, "size": MONITOR_PLACES}},
                    "leading": {
                        "terms": {
                            "field": place,
                            "size": CHART_PLACES,
                            "order": [{"_count": "desc"}, {"_key": "asc"}],
                        },
                        "aggs": {"days": {"date_histogram": _DAILY}},
                    },
                },
            },
            "responded": {
                "filter": responded,
                "aggs": {
                    "levels": {
                        "terms": {"field": "level", "size": 10},
                        "aggs": {
                            "seconds": {"percentiles": {"field": "response_seconds", "percents": [50, 90]}}
                        },
                    }
                },
            },
            "satisfaction": {
                "filter": {
                    "bool": {
                        "filter": [{"exists": {"field": "rating"}}],
                        "should": [closed, responded],
                        "minimum_should_match": 1,
                    }
                },
                "aggs": {
                    "categories": {
                        "terms": {"field": "category_id", "size": MONITOR_CATEGORIES},
                        "aggs": {"rating": {"avg": {"field": "rating"}}},
                    }
                },
            },
        }
        with _unavailable_on_failure("monitor"):
            response = self.client.search(
                index=self.alias,
                query={"bool": {"filter": _scope_filters(query.scope)}},
                aggs=aggs,
                size=0,
            )
        found = response["aggregations"]
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

        length = dt.timedelta(days=len(days))
        before = _local_midnight(query.since - length)
        result.rising = rising_topics(
            self._titles(query.scope, start, end), self._titles(query.scope, before, start)
        )
        return result

    def _titles(self, scope: Scope, start: str, end: str) -> list[str]:
        """Titles of the cases submitted in [start, end) within the scope, newest first, at most MONITOR_MAX_TITLES."""
        filters = [*_scope_filters(scope), {"range": {"submitted_at": {"gte": start, "lt": end}}}]
        titles: list[str] = []
        after: list[Any] | None = None
        while len(titles) < MONITOR_MAX_TITLES:
            request: dict[str, Any] = {
                "query": {"bool": {"filter": filters}},
                "sort": [{"submitted_at": {"order": "desc"}}, {"case_id": {"order": "desc"}}],
                "size": min(MONITOR_TITLE_PAGE, MONITOR_MAX_TITLES - len(titles)),
                "source": ["title"],
                "track_total_hits": False,
            }
            if after is not None:
                request["search_after"] = after
            with _unavailable_on_failure("read titles"):
                response = self.client.search(index=self.alias, **request)
            hits = response["hits"]["hits"]
            titles += [hit["_source"].get("title") or "" for hit in hits]
            if len(hits) < request["size"]:
                break
            after = hits[-1]["sort"]
        return titles


# --- pieces of requests ------------------------------------------------------


#: Days of submission in the portal's time zone, quiet days included (as zero).
_DAILY: dict[str, Any] = {
    "field": "submitted_at",
    "calendar_interval": "day",
    "time_zone": settings.TIME_ZONE,
    "min_doc_count": 0,
}


def _scope_filters(scope: Scope) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if scope.exact_path is not None:
        clauses.append({"term": {"unit_path": scope.exact_path}})
    if scope.path_prefix is not None and scope.path_prefix != "/":
        clauses.append({"prefix": {"unit_path": scope.path_prefix}})
    return clauses


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


def _date_filters(since: dt.date | None, until: dt.date | None) -> list[dict[str, Any]]:
    """Days are the portal's local days; ``until`` is inclusive."""
    bounds: dict[str, str] = {}
    if since is not None:
        bounds["gte"] = _local_midnight(since)
    if until is not None:
        bounds["lt"] = _local_midnight(until + dt.timedelta(days=1))
    return [{"range": {"submitted_at": bounds}}] if bounds else []


def _selections(query: SearchQuery) -> dict[str, dict[str, Any]]:
    """The user's facet choices, by facet name."""
    chosen: dict[str, dict[str, Any]] = {}
    for name, values in (
        ("state", list(query.states)),
        ("category", [int(value) for value in query.category_ids]),
        ("level", list(query.levels)),
        ("province", list(query.province_codes)),
        ("commune", list(query.commune_codes)),
    ):
        if values:
            chosen[name] = {"terms": {FACET_FIELDS[name]: values}}
    if query.overdue is not None:
        chosen["overdue"] = {"term": {"is_overdue": query.overdue}}
    return chosen


def _text_query(text: str) -> dict[str, Any]:
    """Words across title (weighted) and text; a tracking code also matches its case exactly."""
    should: list[dict[str, Any]] = [
        {
            "multi_match": {
                "query": text,
                "fields": ["title^3", "text"],
                # Words may be spread over title and text; up to three words must all match,
                # longer queries 80% of their words.
                "type": "cross_fields",
                "minimum_should_match": "3<80%",
            }
        }
    ]
    code = normalize_tracking_code(text)
    if _TRACKING_CODE.fullmatch(code):
        should.append({"term": {"code": {"value": code, "boost": 20.0}}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


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


def _facet_aggregation(name: str, selections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A facet's counts: over the hits, less the user's choices in the other facets (if any).

    Plain ``terms`` when no other facet is chosen: wrapping every facet in a ``filter``
    aggregation costs more than the search itself on a large index.
    """
    terms = {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZES[name]}}
    others = [clause for other, clause in selections.items() if other != name]
    if not others:
        return terms
    return {"filter": {"bool": {"filter": others}}, "aggs": {"values": terms}}


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
