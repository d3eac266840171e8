"""The search interface: what the back office asks, whichever backend answers.

Two backends implement it: ``search.elastic`` (Elasticsearch, production) and
``search.database`` (folded-text matching and ORM aggregations, the embedded
default). Both are given the reader's jurisdiction as a unit-path prefix and
must apply it inside the query (also to facet counts), never after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol


class SearchUnavailable(Exception):
    """The search service cannot answer now (e.g. Elasticsearch is down); pages say so and carry on."""


@dataclass(frozen=True)
class Scope:
    """Whose cases may be searched: a unit path prefix (``/`` is everything) or exactly one unit."""

    path_prefix: str | None = None  # leaders: "/TW/P01/" (their subtree); central: "/" (everything)
    exact_path: str | None = None  # officers: their own unit's path only

    @property
    def is_empty(self) -> bool:
        """Nothing may be searched (no unit membership): backends return no hits."""
        return self.path_prefix is None and self.exact_path is None


@dataclass(frozen=True)
class SearchQuery:
    scope: Scope
    text: str = ""
    states: tuple[str, ...] = ()
    category_ids: tuple[int, ...] = ()
    levels: tuple[str, ...] = ()
    province_codes: tuple[str, ...] = ()
    commune_codes: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    overdue: bool | None = None
    sort: str = "relevance"  # relevance | newest | oldest
    page: int = 1
    page_size: int = 25


@dataclass
class Hit:
    case_id: int
    code: str
    title: str
    state: str
    category_id: int
    unit_code: str
    submitted_at: dt.datetime
    score: float = 0.0
    #: Highlighted fragments (HTML-escaped text with <mark>…</mark> around matches).
    highlights: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    #: facet name ("state", "category", "level", "province", "commune", "overdue") → [(value, count)]
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


FACETS = ("state", "category", "level", "province", "commune", "overdue")


class SearchBackend(Protocol):
    def search(self, query: SearchQuery) -> SearchResult: ...

    def similar(self, *, case_id: int, scope: Scope, limit: int = 5) -> list[Hit]:
        """Open and recent cases most like this one (title and text), in the same province."""
        ...

    def index(self, case_ids: list[int]) -> int:
        """(Re)index these cases (deleted ones are removed); returns how many documents were written."""
        ...

    def monitor(self, query: Any) -> Any:
        """``search.monitoring.Monitoring`` for a ``MonitorQuery``, within its scope."""
        ...


def scope_for(user: Any) -> Scope:
    """The search scope of a user, from the same rule as ``routing.selectors.cases_visible_to``."""
    from routing.models import membership_of
    from routing.selectors import visible_unit_path

    prefix = visible_unit_path(user)
    if prefix is not None:
        return Scope(path_prefix=prefix)
    membership = membership_of(user)
    if membership is None or not getattr(user, "is_active", False):
        return Scope()
    return Scope(exact_path=membership.unit.path)
