"""Reads of petitions for citizens: those filed with a proven phone, and the published ones."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from petitions.models import Petition
from routing.models import OPEN_STATES, UNPUBLISHED_STATES

#: At most this many petitions are listed for one phone number, newest first.
MY_PETITIONS_LIMIT = 100

#: What "My petitions" reads: the fields it shows and what the retention rule needs.
MY_PETITION_FIELDS = (
    "id",
    "tracking_code",
    "title",
    "submitted_at",
    "anonymised_at",
    "phone",
    "case__id",
    "case__state",
    "case__closed_at",
    "case__responded_at",
    "case__petition_id",
)


def petitions_filed_with(*, phone: str, limit: int = MY_PETITIONS_LIMIT) -> list[Petition]:
    """The petitions filed with ``phone`` (E.164), newest first, with their case: one query.

    Anonymised petitions have no phone any more and are not found.
    """
    if not phone:
        return []
    return list(
        Petition.objects.filter(phone=phone)
        .select_related("case")
        .only(*MY_PETITION_FIELDS)
        .order_by("-submitted_at", "-id")[:limit]
    )


def published() -> Q:
    """Petitions shown publicly: their citizen consented, and a unit accepted them (and they stand)."""
    return Q(consent_publish=True) & ~Q(case__state__in=UNPUBLISHED_STATES)


def petition_is_published(petition: Petition) -> bool:
    """``published()`` for one petition whose case is loaded."""
    return bool(petition.consent_publish) and petition.case.state not in UNPUBLISHED_STATES


def published_petition(code: str) -> Petition | None:
    """The published petition with this tracking code, with what its public page shows; else None."""
    return (
        Petition.objects.filter(published(), tracking_code=code)
        .select_related("case", "case__unit", "category", "commune", "province")
        .first()
    )


def petitions_open_for_cosigning() -> QuerySet[Petition]:
    """Published petitions whose case is open, newest first (public fields only)."""
    return (
        Petition.objects.filter(published(), case__state__in=OPEN_STATES)
        .select_related("case", "category", "commune", "province")
        .only(
            "id",
            "tracking_code",
            "title",
            "submitted_at",
            "cosigner_count",
            "category__id",
            "category__name",
            "category__name_en",
            "commune__id",
            "commune__name",
            "province__id",
            "province__name",
            "case__id",
            "case__state",
            "case__petition_id",
        )
        .order_by("-submitted_at", "-id")
    )
