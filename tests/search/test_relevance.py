"""Search relevance: the test set of ``tests/search/relevance.py`` (and its petitions) measured on each search backend.

The petitions are loaded in the test itself, once per backend: tests share no database rows here
(each runs in a transaction of its own, and parallel workers interleave modules), so rows loaded
once for the module would outlive it and show up in other tests' searches.
"""

from __future__ import annotations

import pytest

from search.base import SearchBackend, scope_for
from search.database import DatabaseBackend
from tests.conftest import Tree, make_staff
from tests.search.relevance import load_petitions, measure

MIN_MRR = 0.95
MIN_RECALL_AT_10 = 0.98


@pytest.fixture(params=["database", "elastic"])
def backend(request: pytest.FixtureRequest) -> SearchBackend:
    """Each backend with nothing indexed; any other parameter names the fixture that builds it (``elastic``)."""
    if request.param == "database":
        return DatabaseBackend()
    return request.getfixturevalue(request.param)


def test_search_finds_what_officers_expect_and_ranks_exact_spellings_first(
    backend: SearchBackend, tree: Tree
) -> None:
    corpus = load_petitions(tree)
    backend.index(list(corpus.case_ids.values()))
    if hasattr(backend, "refresh"):
        backend.refresh()  # the search engine: what was just indexed is searchable now
    scope = scope_for(make_staff(tree.central))

    report = measure(backend, scope, corpus)

    good_enough = (
        report.mrr >= MIN_MRR and report.recall_at_10 >= MIN_RECALL_AT_10 and not report.failed_orderings
    )
    assert good_enough, report.failures()
