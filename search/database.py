"""The embedded search backend: folded-word matching and ORM aggregations (SQLite or PostgreSQL).

Matches against ``Petition.search_text`` (``search.documents.search_text``, written by
``petition_submit``: the folded words of title and text, each between spaces): a query of up to
three words needs every folded word as one of its words, a longer one four in five of them (as
the Elasticsearch backend's ``3<80%``), or the query is a tracking code or its last six
characters. Jurisdiction is part of every query, facet counts included.
Ranking (``_relevance``): the tracking code, then the most query words, then the words typed with
tone marks found spelled so as whole words, then the words next to each other, then all in the
title, then the newest. No stemming, no more-like-this over the text, and every query scans the
matching cases: fine for a commune or a province, slower than Elasticsearch on large data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import reduce
from operator import and_, or_
from typing import Any

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan
from django.utils import timezone
from django.utils.html import escape

from petitions.services import normalize_tracking_code
from routing.models import OPEN_STATES, Case, CaseState
from routing.selectors import SIMILAR_WINDOW
from search.base import FACETS, Hit, Scope, SearchQuery, SearchResult
from search.documents import fold, nfc
from search.similarity import similarity, title_words

#: Values listed per facet (most frequent first); the commune facet of the central level is long.
FACET_SIZE = 50
MAX_TERMS = 12
MAX_PAGE_SIZE = 100
SNIPPET_LENGTH = 160
SIMILAR_MIN_WORD = 3  # significant_words (the portal's suggestions)
#: How many candidates the database pre-selects before words are compared exactly.
SIMILAR_CANDIDATES = 50

FACET_FIELDS = {
    "state": "state",
    "category": "category_id",
    "level": "unit__level",
    "province": "petition__province__code",
    "commune": "petition__commune__code",
    "overdue": "is_overdue",
}
assert set(FACET_FIELDS) == set(FACETS)

_WORD = re.compile(r"\w+")

_HIT_FIELDS = (
    "pk",
    "petition__tracking_code",
    "petition__title",
    "state",
    "category_id",
    "unit__code",
    "submitted_at",
)


def terms_of(text: str) -> list[str]:
    """The folded words of a query, once each, in order: ``Ngập lụt, ngập`` → ``["ngap", "lut"]``."""
    return list(dict.fromkeys(_WORD.findall(fold(text))))[:MAX_TERMS]


def scoped_cases(scope: Scope) -> QuerySet[Case]:
    """The cases of ``scope``; an empty scope has none. Both paths given: both apply."""
    if scope.is_empty:
        return Case.objects.none()
    cases = Case.objects.all()
    if scope.exact_path is not None:
        cases = cases.filter(unit__path=scope.exact_path)
    if scope.path_prefix is not None and scope.path_prefix != "/":
        cases = cases.filter(unit__path__startswith=scope.path_prefix)
    return cases


_CODE_SUFFIX = re.compile(r"^[a-z0-9]{6}$")


def word_in_petition(term: str) -> Q:
    """``term`` (folded) as a whole word of the title or text (not inside another word)."""
    return Q(petition__search_text__contains=f" {term} ")


def word_in_title(term: str) -> Any:
    """``term`` (folded) as a whole word of the title: ``search_text`` is " title words | text words "."""
    at = StrIndex("petition__search_text", Value(f" {term} "))
    return GreaterThan(at, 0) & LessThan(at, StrIndex("petition__search_text", Value(" | ")))


#: A query longer than this many words may miss one word in five (Elasticsearch: ``3<80%``).
ALL_WORDS_UP_TO = 3

#: Relevance weights (``_relevance``), each step larger than everything below it can add up to.
CODE_SCORE = 1000  # above 12 words x WORD_SCORE
WORD_SCORE = 50  # above 12 words x SPELLED_SCORE + PHRASE_SCORE + TITLE_SCORE
SPELLED_SCORE = 3  # above PHRASE_SCORE + TITLE_SCORE: one look-alike word outweighs both bonuses
PHRASE_SCORE = 1
TITLE_SCORE = 1


def words_needed(terms: list[str]) -> int:
    """How many of the query's words a petition must have: all of up to three, else four in five."""
    if len(terms) <= ALL_WORDS_UP_TO:
        return len(terms)
    return len(terms) * 4 // 5


def spelled_words(text: str) -> list[str]:
    """The words of a query typed with tone marks or ``đ`` (lower case, once each): only they say a spelling.

    ``Cống thoát nuoc`` → ``["cống", "thoát"]``; a toneless word (``nuoc``) prefers no spelling.
    """
    words = (word.lower() for word in _WORD.findall(nfc(text)))
    return [word for word in dict.fromkeys(words) if word != fold(word)][:MAX_TERMS]


def _code_match(text: str, terms: list[str]) -> Q:
    code = Q(petition__tracking_code=normalize_tracking_code(text))
    if len(terms) == 1 and _CODE_SUFFIX.match(terms[0]):
        # The last part of a tracking code, as read out on the phone: "9HRVXG".
        code |= Q(petition__tracking_code__endswith=f"-{terms[0].upper()}")
    return code


def _one_if(condition: Any) -> Any:
    return SqlCase(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _words_found(terms: list[str]) -> Any:
    return sum((_one_if(word_in_petition(term)) for term in terms), Value(0))


def _text_match(text: str, terms: list[str]) -> Q:
    code = _code_match(text, terms)
    if not terms:
        return code
    needed = words_needed(terms)
    if needed == len(terms):
        return reduce(and_, (word_in_petition(term) for term in terms)) | code
    # Any len - needed + 1 of the words hold one a match must have: the longest of them narrow
    # the scan first (PostgreSQL answers them from the trigram index), then the words are counted.
    longest = sorted(terms, key=len, reverse=True)[: len(terms) - needed + 1]
    enough = reduce(or_, (word_in_petition(term) for term in longest)) & Q(
        GreaterThanOrEqual(_words_found(terms), needed)
    )
    return enough | code


def _case_forms(word: str) -> list[str]:
    # Written in lower case, capitalised or upper case. Listed rather than compared case-insensitively:
    # SQLite's case folding stops at ASCII, PostgreSQL's depends on the database's locale.
    return list(dict.fromkeys((word, word.capitalize(), word.upper())))


def spelled_in_petition(word: str) -> Q:
    """``word`` spelled exactly so (tone marks and all, any usual case) as a whole word of the title or text."""
    # Python's re (SQLite's REGEXP in Django) and PostgreSQL's regular expressions read this alike.
    pattern = rf"(^|\W)({'|'.join(re.escape(form) for form in _case_forms(word))})(\W|$)"
    return Q(petition__title__regex=pattern) | Q(petition__text__regex=pattern)


def _relevance(text: str, terms: list[str]) -> Any:
    """The tracking code; then each query word found; each word typed with tone marks found spelled
    so (``cống`` above ``công``); the words next to each other as typed; every word in the title."""
    score: Any = CODE_SCORE * _one_if(_code_match(text, terms))
    if not terms:
        return score
    score += WORD_SCORE * _words_found(terms)
    for word in spelled_words(text):
        score += SPELLED_SCORE * _one_if(spelled_in_petition(word))
    if len(terms) > 1:
        score += PHRASE_SCORE * _one_if(Q(petition__search_text__contains=f" {' '.join(terms)} "))
    return score + TITLE_SCORE * _one_if(reduce(and_, (word_in_title(term) for term in terms)))


def _selections(query: SearchQuery) -> dict[str, Q]:
    """The facet filters the query selects, by facet name."""
    chosen: dict[str, Q] = {}
    if query.states:
        chosen["state"] = Q(state__in=query.states)
    if query.category_ids:
        chosen["category"] = Q(category_id__in=query.category_ids)
    if query.levels:
        chosen["level"] = Q(unit__level__in=query.levels)
    if query.province_codes:
        chosen["province"] = Q(petition__province__code__in=query.province_codes)
    if query.commune_codes:
        chosen["commune"] = Q(petition__commune__code__in=query.commune_codes)
    if query.overdue is not None:
        chosen["overdue"] = Q(is_overdue=query.overdue)
    return chosen


def _dates(query: SearchQuery) -> Q:
    # __date compares in the current time zone (Asia/Ho_Chi_Minh): the day the citizen saw.
    dates = Q()
    if query.since:
        dates &= Q(submitted_at__date__gte=query.since)
    if query.until:
        dates &= Q(submitted_at__date__lte=query.until)
    return dates


def _facet(cases: QuerySet[Case], name: str) -> list[tuple[Any, int]]:
    field = FACET_FIELDS[name]
    rows = cases.values(field).annotate(n=Count("pk")).order_by("-n", field)[:FACET_SIZE]
    return [(row[field], row["n"]) for row in rows if row[field] is not None]


# --- highlights ----------------------------------------------------------------------------------


def _folded_positions(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index of the character of ``text`` it came from."""
    folded = fold(text)
    if len(folded) == len(text):
        # Vietnamese letters fold one to one (tests/search/test_database.py checks the alphabet).
        return folded, list(range(len(text)))
    pieces, origin = [], []
    for index, char in enumerate(text):
        piece = fold(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), origin


def _spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text`` (on its folded form), as merged ``[start, end)`` of ``text``."""
    folded, origin = _folded_positions(text)
    found = []
    for term in terms:
        for match in re.finditer(rf"(?<!\w){re.escape(term)}(?!\w)", folded):
            found.append((origin[match.start()], origin[match.end() - 1] + 1))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: list[str], length: int = SNIPPET_LENGTH) -> str | None:
    """About ``length`` characters of ``text`` around its first match, HTML-escaped, matches in ``<mark>``."""
    text = nfc(text)
    spans = _spans(text, terms)
    if not spans:
        return None
    first = spans[0][0]
    start = max(0, first - length // 3)
    if start > 0:
        # Begin at a word, not in the middle of one.
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", max(first + 1, end - 20), end)
        end = space if space != -1 else end
    parts = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        parts += [escape(text[cursor:span_start]), "<mark>", escape(text[span_start:span_end]), "</mark>"]
        cursor = span_end
    parts += [escape(text[cursor:end]), "…" if end < len(text) else ""]
    return "".join(parts)


def _hit(row: dict[str, Any], *, score: float = 0.0, highlights: list[str] | None = None) -> Hit:
    return Hit(
        case_id=row["pk"],
        code=row["petition__tracking_code"],
        title=nfc(row["petition__title"]),
        state=row["state"],
        category_id=row["category_id"],
        unit_code=row["unit__code"],
        submitted_at=row["submitted_at"],
        score=score,
        highlights=highlights or [],
    )


# --- the backend -------------------------------------------------------------------------------


class DatabaseBackend:
    """``search.base.SearchBackend`` over the database (see the module docstring for what it does not do)."""

    def search(self, query: SearchQuery) -> SearchResult:
        if query.scope.is_empty:
            return SearchResult(total=0, hits=[], facets={name: [] for name in FACETS})
        text = " ".join(nfc(query.text).split())
        terms = terms_of(text)
        cases = scoped_cases(query.scope).filter(_dates(query))
        if text:
            cases = cases.filter(_text_match(text, terms))
        chosen = _selections(query)
        matching = cases.filter(*chosen.values())

        total = matching.count()
        page_size = min(max(query.page_size, 1), MAX_PAGE_SIZE)
        offset = (max(query.page, 1) - 1) * page_size
        fields: list[str] = [*_HIT_FIELDS, "petition__text"] if terms else list(_HIT_FIELDS)
        if query.sort == "oldest":
            ordered = matching.order_by("submitted_at", "pk")
        elif query.sort == "relevance" and text:
            ordered = matching.annotate(relevance=_relevance(text, terms)).order_by(
                "-relevance", "-submitted_at", "-pk"
            )
            fields.append("relevance")
        else:
            ordered = matching.order_by("-submitted_at", "-pk")
        rows = list(ordered.values(*fields)[offset : offset + page_size]) if offset < total else []

        hits = []
        for row in rows:
            fragments = (
                [highlight(row["petition__title"], terms), highlight(row["petition__text"], terms)]
                if terms
                else []
            )
            hits.append(
                _hit(
                    row,
                    score=float(row.get("relevance", 0)),
                    highlights=[fragment for fragment in fragments if fragment],
                )
            )
        # A facet's counts ignore its own selection, so the other values stay offered.
        facets = {
            name: _facet(cases.filter(*(q for other, q in chosen.items() if other != name)), name)
            for name in FACETS
        }
        return SearchResult(total=total, hits=hits, facets=facets)

    def similar(self, *, case_id: int, scope: Scope, limit: int = 5) -> list[Hit]:
        """Open and recent cases of the same province whose titles are about the same thing.

        The database picks the likeliest candidates (most of the title's words, folded, as whole
        words anywhere in title or text); their titles are then compared word by word as spelled
        (``search.similarity``), so that sharing a common word is not taken for a duplicate.
        """
        visible = scoped_cases(scope)
        source = visible.filter(pk=case_id).values("petition__title", "petition__province_id").first()
        if source is None:
            return []
        mine = title_words(source["petition__title"])
        words = {fold(word) for word in mine.syllables}
        if not words:
            return []
        contains = [word_in_petition(word) for word in sorted(words)[:MAX_TERMS]]
        candidates = (
            visible.exclude(pk=case_id)
            .filter(petition__province_id=source["petition__province_id"])
            .filter(Q(state__in=OPEN_STATES) | Q(submitted_at__gte=timezone.now() - SIMILAR_WINDOW))
            .exclude(state__in=(CaseState.DUPLICATE, CaseState.WITHDRAWN))
            .filter(reduce(or_, contains))
            .annotate(
                found=sum(
                    (
                        SqlCase(When(c, then=Value(1)), default=Value(0), output_field=IntegerField())
                        for c in contains
                    ),
                    Value(0),
                )
            )
            .order_by("-found", "-submitted_at", "-pk")
            .values(*_HIT_FIELDS)[:SIMILAR_CANDIDATES]
        )
        scored = [(similarity(mine, title_words(row["petition__title"])), row) for row in candidates]
        ranked = sorted(
            ((score, row) for score, row in scored if score),
            key=lambda item: (-item[0], -item[1]["submitted_at"].timestamp(), -item[1]["pk"]),
        )
        return [_hit(row, score=float(score)) for score, row in ranked[:limit]]

    def monitor(self, query: Any) -> Any:
        """Monitoring numbers from the tables (``search.monitoring.monitor_database``)."""
        from search.monitoring import monitor_database

        return monitor_database(query)

    def index(self, case_ids: list[int]) -> int:
        # search_text is written with the petition: there is nothing to index.
        return len(case_ids)


def significant_words(title: str) -> set[str]:
    """The folded words of a title long enough to say something (3 letters or more)."""
    return {word for word in _WORD.findall(fold(title)) if len(word) >= SIMILAR_MIN_WORD}
