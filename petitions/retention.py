"""Data retention: petitions closed long ago keep what statistics need and lose what identifies a citizen.

``petitions_anonymise`` takes petitions whose case ended (closed, rejected, duplicate, withdrawn)
more than ``RETENTION_DAYS`` ago and, in set-based batches:

- blanks the name, phone, email and address, drops the exact location, marks the petition
  anonymous and stamps ``anonymised_at``; phone numbers and email addresses written into the
  title or text are replaced by ``[phone]`` / ``[email]`` (``config.logs.redact``);
- deletes the photos (rows and files);
- deletes its co-signers' rows (their phone numbers) and its pending phone codes; the number of
  co-signers stays (``Petition.cosigner_count``);
- blanks what citizens wrote in the timeline (their withdrawal reasons and feedback comments:
  ``CaseEvent.rewrite_history``, the one sanctioned exception to the append-only log);
- blanks the recipient and text of the notifications sent about them, and cancels those
  still waiting to be sent.

Each run also deletes one-time phone codes a day after they expired
(``petitions.phones.phone_challenges_purge``).

Title, text, topic, place (province and commune), units, times, states, ratings and staff notes
stay: they are the organisation's record and its statistics. Each batch is one transaction over
rows locked with SKIP LOCKED, so two runs at once share the work and a second run finds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.logs import redact
from petitions.attachments import stored_files_delete
from petitions.models import Attachment, CoSigner, Document, Petition, PhoneChallenge
from petitions.phones import phone_challenges_purge
from routing.models import FINAL_STATES, ActorKind, CaseEvent
from search.documents import search_text

logger = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    petitions: int = 0
    photos: int = 0


def _redact_writing(ids: list[int]) -> None:
    """Phone numbers and emails the citizen wrote into the title or text (one update per such petition)."""
    changed = []
    for petition in Petition.objects.filter(pk__in=ids).only("pk", "title", "text"):
        title, text = redact(petition.title), redact(petition.text)
        if (title, text) != (petition.title, petition.text):
            petition.title, petition.text, petition.search_text = title, text, search_text(title, text)
            changed.append(petition)
    Petition.objects.bulk_update(changed, ["title", "text", "search_text"])


#: What a partner sent with a citizen's update besides the words: links (often to the citizen's own
#: photos) and when the citizen wrote it. Removed with the words.
PARTNER_UPDATE_KEYS = ("media_urls", "written_at")


def _forget_partner_links(petition_ids: list[int]) -> None:
    """Drop the links partners sent with the citizens' updates of these petitions (few rows: one per update)."""
    events = CaseEvent.objects.filter(
        case__petition_id__in=petition_ids, actor_kind=ActorKind.CITIZEN, data__has_key="media_urls"
    ).values_list("pk", "data")
    for pk, data in events:
        kept = {key: value for key, value in data.items() if key not in PARTNER_UPDATE_KEYS}
        CaseEvent.objects.filter(pk=pk).rewrite_history(data=kept)


def retention_cutoff(*, now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.RETENTION_DAYS if days is None else days)


def petition_past_retention(petition: Petition, *, now: dt.datetime | None = None) -> bool:
    """Whether the petition's personal data and photos are past their retention period.

    True once anonymised, and already from the moment its case ended ``RETENTION_DAYS`` ago:
    the tracking page and its photos stop showing them then, without waiting for the nightly run.
    """
    if petition.anonymised_at is not None:
        return True
    case = petition.case
    return (
        case.state in FINAL_STATES
        and case.closed_at is not None
        and case.closed_at < retention_cutoff(now=now)
    )


def petitions_due_for_anonymisation(*, cutoff: dt.datetime) -> object:
    """Petitions whose case ended before ``cutoff`` and that still hold personal data."""
    return Petition.objects.filter(
        anonymised_at__isnull=True,
        case__state__in=FINAL_STATES,
        case__closed_at__lt=cutoff,
    )


def petitions_anonymise(
    *, now: dt.datetime | None = None, days: int | None = None, batch_size: int = 1000
) -> RetentionReport:
    """Anonymise every petition due (see the module docstring); returns how many and how many photos."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now=now, days=days)
    report = RetentionReport()
    phone_challenges_purge(now=now)
    while True:
        with transaction.atomic():
            ids = list(
                petitions_due_for_anonymisation(cutoff=cutoff)  # type: ignore[attr-defined]
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return report
            photos = list(Attachment.objects.filter(petition_id__in=ids).values_list("image", "thumbnail"))
            Attachment.objects.filter(petition_id__in=ids).delete()
            papers = list(Document.objects.filter(petition_id__in=ids).values_list("file", flat=True))
            Document.objects.filter(petition_id__in=ids).delete()
            CoSigner.objects.filter(petition_id__in=ids).delete()
            PhoneChallenge.objects.filter(petition_id__in=ids).delete()
            _redact_writing(ids)
            Petition.objects.filter(pk__in=ids).update(
                submitter_name="",
                phone="",
                email="",
                address="",
                latitude=None,
                longitude=None,
                media_url="",
                is_anonymous=True,
                anonymised_at=now,
            )
            CaseEvent.objects.filter(case__petition_id__in=ids, actor_kind=ActorKind.CITIZEN).exclude(
                note=""
            ).rewrite_history(note="")
            _forget_partner_links(ids)
            from notifications.models import Notification, Status

            Notification.objects.filter(
                petition_id__in=ids, status__in=[Status.PENDING, Status.SENDING]
            ).update(status=Status.FAILED, last_error="cancelled: the petition's personal data was removed")
            Notification.objects.filter(petition_id__in=ids).update(recipient="", body="", subject="")
            transaction.on_commit(partial(stored_files_delete, Attachment, photos))
            transaction.on_commit(partial(stored_files_delete, Document, [(name,) for name in papers]))
        report.petitions += len(ids)
        report.photos += len(photos)
        logger.info("anonymised %s petitions (%s photos)", len(ids), len(photos))
