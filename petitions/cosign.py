"""Co-signing ("me too"): citizens with the same problem back a published petition, one per phone.

- Only a *published* petition (its citizen consented to publication, not withdrawn) whose case
  is open can be co-signed; the phone is proved by a one-time SMS code (``petitions.phones``,
  purpose ``cosign``, bound to the petition).
- Whether the phone filed the petition or co-signed it already is said only after the code
  proved it: otherwise anyone could test whether a number filed an (anonymously published)
  petition.
- ``Petition.cosigner_count`` is kept in the same transaction as the rows, so lists read it
  without counting.
- A petition merged as a duplicate (``mark_duplicate``) carries its co-signers to the original,
  and its own citizen becomes one of the original's, told of the response unless they turned
  SMS updates off (``cosigners_carry``, from ``petitions.receivers``).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from petitions.models import CoSigner, CoSignVia, Petition, PhoneChallenge, PhonePurpose
from petitions.phones import phone_challenge_consume, phone_challenge_send
from petitions.selectors import petition_is_published
from routing.models import OPEN_STATES

logger = logging.getLogger(__name__)


def cosign_refusal(petition: Petition) -> str | None:
    """Why nobody can co-sign this petition now (None: they can). Needs ``petition.case``."""
    if not petition_is_published(petition):
        return str(_("This petition is not published: it cannot be co-signed."))
    if petition.case.state not in OPEN_STATES:
        return str(_("This petition is no longer open: it cannot be co-signed."))
    return None


def cosign_code_send(
    *, petition: Petition, phone: str, client: str, language: str = "vi", now: dt.datetime | None = None
) -> PhoneChallenge:
    """Send the code that lets ``phone`` co-sign ``petition`` (``petitions.phones.phone_challenge_send``).

    Refused (``ValidationError``, nothing sent) when the petition cannot be co-signed now.
    """
    refusal = cosign_refusal(petition)
    if refusal:
        raise ValidationError({NON_FIELD_ERRORS: [ValidationError(refusal, code="not_cosignable")]})
    return phone_challenge_send(
        phone=phone, purpose=PhonePurpose.COSIGN, client=client, petition=petition, language=language, now=now
    )


def petition_cosign(
    *,
    petition_id: int,
    challenge_id: int,
    notify: bool,
    language: str = "vi",
    now: dt.datetime | None = None,
) -> CoSigner:
    """Record the co-signature of the phone that challenge ``challenge_id`` proved (verified just before).

    ``notify``: the co-signer gets one SMS when the response is published. Refused
    (``ValidationError``) when the challenge is not a fresh, verified, unused ``cosign`` one for this
    petition, when the petition cannot be co-signed now, when the phone filed it, and when the
    phone co-signed it already.
    """
    now = now or timezone.now()
    with transaction.atomic():
        challenge = phone_challenge_consume(
            challenge_id=challenge_id, purpose=PhonePurpose.COSIGN, petition_id=petition_id, now=now
        )
        # The petition's row is the lock that keeps the count and the rows in step.
        petition = Petition.objects.select_for_update().get(pk=petition_id)
        refusal = cosign_refusal(petition)
        if refusal:
            raise ValidationError(refusal, code="not_cosignable")
        if petition.phone and petition.phone == challenge.phone:
            raise ValidationError(
                _("You filed this petition, so you cannot co-sign it. Follow it from “My petitions”."),
                code="own_petition",
            )
        try:
            with transaction.atomic():
                cosigner = CoSigner.objects.create(
                    petition=petition,
                    phone=challenge.phone,
                    notify=bool(notify),
                    language=(language or "vi")[:8],
                    created_at=now,
                )
        except IntegrityError:
            raise ValidationError(
                _("This phone number has already co-signed this petition."), code="already_cosigned"
            ) from None
        Petition.objects.filter(pk=petition.pk).update(cosigner_count=F("cosigner_count") + 1)
    logger.info("petition %s co-signed", petition_id)
    return cosigner


def cosigners_carry(*, duplicate_id: int, original_id: int, now: dt.datetime | None = None) -> int:
    """Copy the co-signers of petition ``duplicate_id`` to petition ``original_id`` (set-based); how many.

    Inside the caller's transaction (the duplicate's ``mark_duplicate``). Phones that co-sign the
    original already and the original's own citizen are skipped. The duplicate's citizen becomes a
    co-signer of the original, told of its response unless they turned SMS updates off; the
    duplicate's co-signers are carried only when the original is published too. The duplicate keeps
    its rows (its own record); nothing is carried to an anonymised original.
    """
    now = now or timezone.now()
    # Both rows locked, in key order: a co-signature of the duplicate (which locks its row) either
    # commits before this reads its co-signers, or waits and then finds the case merged.
    locked = {
        petition.pk: petition
        for petition in Petition.objects.select_for_update(of=("self",))
        .filter(pk__in=[duplicate_id, original_id])
        .order_by("pk")
        .select_related("case")
    }
    original, duplicate = locked.get(original_id), locked.get(duplicate_id)
    if original is None or duplicate is None or original.anonymised_at is not None:
        return 0
    # Strangers who supported a published duplicate are carried only to an original that is
    # published too: their SMS would otherwise name a petition its citizen never agreed to show.
    carry_strangers = petition_is_published(original)
    wanted: dict[str, CoSigner] = {}
    if duplicate.phone:
        wanted[duplicate.phone] = CoSigner(
            petition=original,
            phone=duplicate.phone,
            notify=not duplicate.sms_opt_out,
            language=duplicate.language,
            via=CoSignVia.MERGED,
            created_at=now,
        )
    strangers = (
        CoSigner.objects.filter(petition_id=duplicate_id) if carry_strangers else CoSigner.objects.none()
    )
    for phone, notify, language in strangers.values_list("phone", "notify", "language"):
        if phone and phone not in wanted:
            wanted[phone] = CoSigner(
                petition=original,
                phone=phone,
                notify=notify,
                language=language,
                via=CoSignVia.MERGED,
                created_at=now,
            )
    wanted.pop(original.phone, None)
    if not wanted:
        return 0
    present = set(
        CoSigner.objects.filter(petition=original, phone__in=list(wanted)).values_list("phone", flat=True)
    )
    rows = [row for phone, row in wanted.items() if phone not in present]
    # The original's row is locked: no other merge or co-signature adds these phones meanwhile.
    CoSigner.objects.bulk_create(rows, ignore_conflicts=True)
    Petition.objects.filter(pk=original.pk).update(cosigner_count=F("cosigner_count") + len(rows))
    return len(rows)
