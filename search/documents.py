"""The case document: what the index knows of a case. Never any personal data.

No name, phone, email, address line, internal note or response draft reaches the
index: only the public facts of the case (its code, title and text, topic, place,
handling unit, state, times, deadlines, rating). Text is NFC-normalised here so
that the index and the queries see one spelling of every Vietnamese letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from elasticsearch.dsl import (
    Boolean,
    Date,
    Document,
    Float,
    GeoPoint,
    Integer,
    Keyword,
    MetaField,
    Text,
    analyzer,
    token_filter,
    tokenizer,
)

from routing.models import Case, CaseEvent

#: Fields a document may carry; a test checks that no other field (and no personal data) appears.
DOCUMENT_FIELDS = (
    "case_id",
    "code",
    "title",
    "text",
    "category_id",
    "category_code",
    "unit_code",
    "unit_path",
    "level",
    "province_code",
    "commune_code",
    "state",
    "submitted_at",
    "triaged_at",
    "responded_at",
    "closed_at",
    "due_at",
    "resolution_due_at",
    "is_overdue",
    "response_seconds",
    "rating",
    "location",
    "topics",
    "published",
)


#: Words as they are matched: lowercase, without tone marks or the bar of đ (``đường`` → ``duong``),
#: so ``ngap lut`` finds ``ngập lụt``. Text is NFC-normalised before it is sent (``nfc``).
VI_FOLDED = analyzer(
    "vi_folded", tokenizer="standard", filter=["lowercase", token_filter("vi_folding", "asciifolding")]
)
#: Words as spelled (lowercase only), in a sub-field ``.exact``: the query ranks the exact spelling
#: above folded look-alikes (``cống`` above ``công``). One field with both tokens at one position
#: cannot: Lucene scores tokens at the same position as one term, so both spellings would tie.
VI_EXACT = analyzer("vi_exact", tokenizer="standard", filter=["lowercase"])
#: ``PA-26-7KQ3M9`` → ``pa``, ``26``, ``7kq3m9``: the last six characters, as read out on the phone,
#: find the case.
CODE_PARTS = analyzer(
    "code_parts", tokenizer=tokenizer("code_dash", "pattern", pattern="-"), filter=["lowercase"]
)


def _words() -> Text:
    return Text(analyzer=VI_FOLDED, fields={"exact": Text(analyzer=VI_EXACT)})


class CaseDocument(Document):
    """The mapping of the case index (``case_document`` fills it); the alias is a setting, so no Index here."""

    case_id = Integer()
    code = Keyword(fields={"parts": Text(analyzer=CODE_PARTS)})
    title = _words()
    text = _words()
    category_id = Integer()
    category_code = Keyword()
    unit_code = Keyword()
    unit_path = Keyword()
    level = Keyword()
    province_code = Keyword()
    commune_code = Keyword()
    state = Keyword()
    submitted_at = Date()
    triaged_at = Date()
    responded_at = Date()
    closed_at = Date()
    due_at = Date()
    #: With ``responded_at``: whether the case was answered on time (the synthesis's "on time").
    resolution_due_at = Date()
    is_overdue = Boolean()
    response_seconds = Float()
    rating = Integer()
    location = GeoPoint()
    #: The title's topic words (``ngập lụt``, ``thoát nước``), segmented at index time: rising
    #: topics are a ``significant_terms`` aggregation over them.
    topics = Keyword()
    #: The response is public (``PUBLISHED``): the synthesis quotes these petitions first.
    published = Boolean()

    class Meta:
        # A field the mapping does not name is refused, so nothing beyond these (no personal data)
        # can reach the index even if a document grew a field by mistake.
        dynamic = MetaField("strict")


#: A case whose response the public may read: the citizen agreed, and there is a response. The
#: synthesis quotes these first (the statistics page already shows them).
PUBLISHED = Q(petition__consent_publish=True, responded_at__isnull=False) & ~Q(response_text="")


def published_flag() -> ExpressionWrapper:
    """``PUBLISHED`` as a column of a query (``.annotate(published=published_flag())``)."""
    return ExpressionWrapper(PUBLISHED, output_field=BooleanField())


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def fold(text: str) -> str:
    """Lowercase without diacritics: ``Ngập lụt đường`` → ``ngap lut duong``."""
    lowered = nfc(text).lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))


_WORD = re.compile(r"\w+")


def folded_words(text: str) -> list[str]:
    """The words of ``text`` without tone marks or case: ``Nắp hố-ga, vỡ!`` → ``["nap", "ho", "ga", "vo"]``."""
    return _WORD.findall(fold(text))


def search_text(title: str, text: str) -> str:
    """What the database search matches against (``Petition.search_text``): whole folded words.

    ``" nap ho ga vo | mua lon ... "``: the title's words, a bar, the text's words, each word
    between spaces, so that ``LIKE '% ho ga %'`` finds the words ``hố ga`` and not ``phố gần``,
    and a word found before the bar is in the title.
    """
    return f" {' '.join(folded_words(title))} | {' '.join(folded_words(text))} "


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


#: Where each field of a document comes from: a ``values()`` path from the case. Rows, not model
#: instances: a reindex reads a million of them, and building instances cost more than the rest.
_SOURCES = {
    "case_id": "pk",
    "code": "petition__tracking_code",
    "title": "petition__title",
    "text": "petition__text",
    "category_id": "petition__category_id",
    "category_code": "petition__category__code",
    "unit_code": "unit__code",
    "unit_path": "unit__path",
    "level": "unit__level",
    "province_code": "petition__province__code",
    "commune_code": "petition__commune__code",
    "state": "state",
    "submitted_at": "submitted_at",
    "triaged_at": "triaged_at",
    "responded_at": "responded_at",
    "closed_at": "closed_at",
    "due_at": "due_at",
    "resolution_due_at": "resolution_due_at",
    "is_overdue": "is_overdue",
    "rating": "rating",
    "published": "published",
}
_LATITUDE, _LONGITUDE = "petition__latitude", "petition__longitude"


def document_rows(case_ids: Iterable[int] | None = None) -> Any:
    """The cases to index as rows with everything a document needs, and its version, in one query.

    ``index_version`` is the id of the case's latest event. Every change a document shows writes
    an event under the case's row lock, so later changes of a case get higher ids; the engine
    (``version_type=external_gte``) then refuses a document older than the one it holds, whatever
    order two drains or a reindex deliver them in.
    """
    latest_event = CaseEvent.objects.filter(case=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    rows = (
        Case.objects.annotate(index_version=Subquery(latest_event), published=published_flag())
        .order_by("pk")
        .values(*_SOURCES.values(), _LATITUDE, _LONGITUDE, "index_version")
    )
    if case_ids is not None:
        rows = rows.filter(pk__in=list(case_ids))
    return rows


def row_document(row: dict[str, Any], *, topics: bool = True) -> dict[str, Any]:
    """The document of one case from its ``document_rows`` row.

    ``topics=False`` leaves the title's topic words out: segmenting loads underthesea (about
    100 MB and half a second), which a web process showing similar cases does not need.
    """
    document = {field: row[source] for field, source in _SOURCES.items()}
    submitted, responded = row["submitted_at"], row["responded_at"]
    for field in ("submitted_at", "triaged_at", "responded_at", "closed_at", "due_at", "resolution_due_at"):
        document[field] = _iso(document[field])
    document["published"] = bool(document["published"])
    latitude, longitude = row[_LATITUDE], row[_LONGITUDE]
    document.update(
        title=nfc(row["petition__title"]),
        text=nfc(row["petition__text"]),
        response_seconds=(responded - submitted).total_seconds() if responded else None,
        location=(
            {"lat": float(latitude), "lon": float(longitude)}
            if latitude is not None and longitude is not None
            else None
        ),
    )
    if topics:
        from search.monitoring import title_topics  # search.monitoring imports this module

        document["topics"] = sorted(title_topics(row["petition__title"]))
    return document


def versioned_documents(
    case_ids: Iterable[int] | None = None, *, chunk_size: int = 2000
) -> Iterator[tuple[dict[str, Any], int]]:
    """(document, version) of each case; see ``document_rows``."""
    for row in document_rows(case_ids).iterator(chunk_size=chunk_size):
        yield row_document(row), row["index_version"] or 0


def documents(
    case_ids: Iterable[int] | None = None, *, chunk_size: int = 2000, topics: bool = True
) -> Iterator[dict[str, Any]]:
    for row in document_rows(case_ids).iterator(chunk_size=chunk_size):
        yield row_document(row, topics=topics)
