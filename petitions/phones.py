"""Proving a phone number with a one-time SMS code ("my petitions", co-signing).

The rules (docs/architecture.md, "Phone codes"):

- a code is 6 digits, sent through the notification outbox, valid ``CODE_TTL`` (5 minutes);
- only ``salted_hmac`` of it is stored, keyed with the site's secret and a salt of the challenge's
  own: the database alone cannot tell the code, and two equal codes have different hashes;
- ``MAX_ATTEMPTS`` (5) tries per challenge, then a new code is needed;
- codes sent and codes tried are also limited per phone number and per client address, per hour
  and per day, in the cache (``petitions.limits``), keyed on the E.164 number: every spelling of
  one number is one budget;
- and, counted from this table so that they hold when the cache is down, over the last 24 hours:
  codes sent per number (``CODE_SENDS_PER_PHONE_DAY``), wrong codes typed per number
  (``CODE_TRIES_PER_PHONE_DAY``) and codes the site sends in all (``CODE_SENDS_PER_DAY``);
- a new code for a phone and purpose replaces the previous one;
- nothing is sent to a value that is not a phone number; the code is never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.outbox import PHONE_CODE_TTL, enqueue_phone_code
from notifications.sending import phone_codes_expire
from petitions.limits import phone_code_send_wait, phone_code_verify_wait
from petitions.models import Petition, PhoneChallenge, PhonePurpose
from petitions.services import normalize_phone, normalize_text

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
#: 5 minutes; the outbox's value, so that it never sends a code that has expired.
CODE_TTL = PHONE_CODE_TTL
MAX_ATTEMPTS = 5
#: Challenges (and the SMS that carried them) are deleted this long after they expired.
KEEP_EXPIRED = dt.timedelta(days=1)
#: The daily caps count the challenges written in this rolling window (kept long enough: the
#: purge deletes them ``KEEP_EXPIRED`` after they expired).
DAY = dt.timedelta(days=1)
#: The SMS of how many days before the purge's cutoff each run looks at: a daily run sees each row
#: twice or three times, a run missed for a day or two leaves nothing behind, and history is not read.
PURGE_WINDOW = dt.timedelta(days=2)


class PhoneCodeLimited(ValidationError):
    """Too many codes sent or tried for this phone number or from this address; ``wait`` seconds left.

    Keyed by the field the citizen would change (``phone`` when sending, ``code`` when trying).
    """

    def __init__(self, message: str, *, field: str, wait: int) -> None:
        super().__init__({field: [ValidationError(message, code="rate_limited")]})
        self.wait = wait


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str, *, salt: str) -> str:
    """HMAC-SHA256 of the code under the site's secret and the challenge's salt."""
    return salted_hmac(f"petitions.phone-code.{salt}", code, algorithm="sha256").hexdigest()


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _limited(message: object, wait: int, *, field: str) -> PhoneCodeLimited:
    return PhoneCodeLimited(str(message) % {"minutes": _minutes(wait)}, field=field, wait=wait)


def _limited_until(message: object, until: dt.datetime, now: dt.datetime, *, field: str) -> PhoneCodeLimited:
    wait = max(1, math.ceil((until - now).total_seconds()))
    when = timezone.localtime(until).strftime("%H:%M, %d/%m/%Y")
    return PhoneCodeLimited(str(message) % {"time": when}, field=field, wait=wait)


def _wrong_tries_until(rows: list[tuple[dt.datetime, int, bool]], limit: int) -> dt.datetime | None:
    """When the wrong tries of ``rows`` (created, attempts, verified; oldest first) fall under ``limit``.

    None when they are under it already. A verified challenge's last try was the right one.
    """
    wrong = [(created, attempts - int(verified)) for created, attempts, verified in rows]
    total = sum(count for _created, count in wrong)
    for created, count in wrong:
        if total < limit:
            break
        total -= count
        if total < limit:
            return created + DAY
    return None


def _phone_day_refusal(*, phone: str, now: dt.datetime, field: str) -> PhoneCodeLimited | None:
    """The daily caps of ``phone``, from the database: codes sent (when sending) and wrong codes typed.

    One indexed query over the number's challenges of the last 24 hours (a handful: the caps bound
    them). Sending is refused too once the tries are spent: the code could not be used.
    """
    rows = [
        (created, attempts, verified is not None)
        for created, attempts, verified in PhoneChallenge.objects.filter(
            phone=phone, created_at__gt=now - DAY
        )
        .order_by("created_at")
        .values_list("created_at", "attempts", "verified_at")
    ]
    sends = int(settings.CODE_SENDS_PER_PHONE_DAY)
    if field == "phone" and len(rows) >= sends:
        # Under the cap again when the oldest of the last ``sends`` leaves the window.
        return _limited_until(
            _("Too many codes were sent to this number in the last 24 hours. Try again after %(time)s."),
            rows[-sends][0] + DAY,
            now,
            field=field,
        )
    until = _wrong_tries_until(rows, int(settings.CODE_TRIES_PER_PHONE_DAY))
    if until is not None:
        return _limited_until(
            _(
                "Too many wrong codes were typed for this number in the last 24 hours. Try again after %(time)s."
            ),
            until,
            now,
            field=field,
        )
    return None


def _site_day_refusal(*, now: dt.datetime) -> PhoneCodeLimited | None:
    """The site's daily budget of codes (``CODE_SENDS_PER_DAY``: the SMS bill), from the database."""
    budget = int(settings.CODE_SENDS_PER_DAY)
    # Every challenge expires ``CODE_TTL`` after it was written, so its expiry index answers "written
    # in the last 24 hours" and the newest ``budget`` of them are read from it, no more.
    nth = (
        PhoneChallenge.objects.filter(expires_at__gt=now - DAY + CODE_TTL)
        .order_by("-expires_at")
        .values_list("expires_at", flat=True)[budget - 1 : budget]
    )
    oldest = next(iter(nth), None)
    if oldest is None:
        return None
    logger.warning("the daily budget of %s phone codes is spent; sends are refused", budget)
    return PhoneCodeLimited(
        str(_("No more codes can be sent for now. Please try again later.")),
        field="phone",
        wait=max(1, math.ceil((oldest - CODE_TTL + DAY - now).total_seconds())),
    )


def phone_challenge_send(
    *,
    phone: str,
    purpose: str,
    client: str,
    petition: Petition | None = None,
    language: str = "vi",
    now: dt.datetime | None = None,
) -> PhoneChallenge:
    """Send a new one-time code by SMS to ``phone`` for ``purpose``; returns the challenge.

    ``client`` is the client's address (``petitions.limits.client_rate_key``); ``petition`` the
    petition a ``cosign`` code is bound to. Raises ``ValidationError`` (``phone``) for a value that
    is not a phone number, with nothing sent or counted, and ``PhoneCodeLimited`` when this phone or
    address asked for too many codes, this phone's wrong codes of the day are spent, or the site's
    daily budget of codes is. The previous code for this phone and purpose stops working.
    The SMS is written in the caller's transaction and sent after commit.
    """
    try:
        number = normalize_phone(normalize_text(phone))
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    if purpose not in PhonePurpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    if (purpose == PhonePurpose.COSIGN) != (petition is not None):
        raise ValueError("a co-signing code is bound to its petition, and only it")
    now = now or timezone.now()
    # The database's caps first: they hold without the cache, and a send they refuse is not counted.
    refusal = _phone_day_refusal(phone=number, now=now, field="phone") or _site_day_refusal(now=now)
    if refusal is not None:
        raise refusal
    wait = phone_code_send_wait(phone=number, client=client)
    if wait:
        raise _limited(
            _("Too many codes were asked for. Try again in %(minutes)s minutes."), wait, field="phone"
        )
    code = new_code()
    salt = secrets.token_hex(16)
    with transaction.atomic():
        PhoneChallenge.objects.filter(
            phone=number, purpose=purpose, verified_at__isnull=True, invalidated_at__isnull=True
        ).update(invalidated_at=now)
        challenge = PhoneChallenge.objects.create(
            phone=number,
            purpose=purpose,
            petition=petition,
            salt=salt,
            code_hash=hash_code(code, salt=salt),
            created_at=now,
            expires_at=now + CODE_TTL,
        )
        enqueue_phone_code(
            challenge=challenge, code=code, minutes=int(CODE_TTL.total_seconds() // 60), language=language
        )
    logger.info("phone code %s sent for %s", challenge.pk, purpose)
    return challenge


def _refusal(challenge: PhoneChallenge | None, now: dt.datetime) -> ValidationError | None:
    """Why this challenge can no longer be answered (None: it can)."""
    if challenge is None or challenge.verified_at is not None or challenge.invalidated_at is not None:
        return ValidationError({"code": _("This code is no longer valid. Ask for a new one.")})
    if challenge.expires_at <= now:
        return ValidationError({"code": _("This code has expired. Ask for a new one.")})
    if challenge.attempts >= MAX_ATTEMPTS:
        return ValidationError({"code": _("Too many wrong codes. Ask for a new one.")})
    return None


def phone_challenge_verify(
    *, challenge_id: int, purpose: str, code: str, client: str, now: dt.datetime | None = None
) -> PhoneChallenge:
    """Check the code the citizen typed against challenge ``challenge_id`` (for ``purpose``); returns it, verified.

    Every try counts (against the challenge, the phone number and the address), right or wrong;
    a value that is not six digits is a typing mistake and costs no attempt of the challenge.
    Raises ``ValidationError`` (``code``) for a wrong, expired, replaced or used code, and
    ``PhoneCodeLimited`` when this phone or address tried too many codes.
    """
    now = now or timezone.now()
    typed = "".join(ch for ch in normalize_text(code) if not ch.isspace())
    phone = (
        PhoneChallenge.objects.filter(pk=challenge_id, purpose=purpose)
        .values_list("phone", flat=True)
        .first()
    )
    if phone is None:
        raise ValidationError({"code": _("This code is no longer valid. Ask for a new one.")})
    limited = _phone_day_refusal(phone=phone, now=now, field="code")
    if limited is not None:
        raise limited
    wait = phone_code_verify_wait(phone=phone, client=client)
    if wait:
        raise _limited(_("Too many codes were tried. Try again in %(minutes)s minutes."), wait, field="code")
    with transaction.atomic():
        challenge = PhoneChallenge.objects.select_for_update().filter(pk=challenge_id).first()
        refusal = _refusal(challenge, now)
        if refusal is not None:
            raise refusal
        assert challenge is not None
        if not (typed.isascii() and typed.isdigit() and len(typed) == CODE_DIGITS):
            raise ValidationError(
                {"code": _("Enter the %(digits)s-digit code from the SMS.") % {"digits": CODE_DIGITS}}
            )
        challenge.attempts += 1
        right = constant_time_compare(hash_code(typed, salt=challenge.salt), challenge.code_hash)
        if right:
            challenge.verified_at = now
        challenge.save(update_fields=["attempts", "verified_at"])
    if not right:
        left = MAX_ATTEMPTS - challenge.attempts
        if left <= 0:
            raise ValidationError({"code": _("Too many wrong codes. Ask for a new one.")})
        raise ValidationError(
            {
                "code": ngettext(
                    "This is not the code we sent. %(left)s try left.",
                    "This is not the code we sent. %(left)s tries left.",
                    left,
                )
                % {"left": left}
            }
        )
    logger.info("phone code %s verified", challenge.pk)
    return challenge


def phone_challenge_consume(
    *, challenge_id: int, purpose: str, petition_id: int | None = None, now: dt.datetime | None = None
) -> PhoneChallenge:
    """Take a verified challenge for one use (inside the caller's transaction); returns it, locked.

    Refused (``ValidationError``) when it was not verified, was used already, is for another
    purpose or petition, or was verified more than ``CODE_TTL`` ago.
    """
    now = now or timezone.now()
    challenge = PhoneChallenge.objects.select_for_update().filter(pk=challenge_id).first()
    if (
        challenge is None
        or challenge.purpose != purpose
        or challenge.petition_id != petition_id
        or challenge.verified_at is None
        or challenge.used_at is not None
        or challenge.verified_at + CODE_TTL < now
    ):
        raise ValidationError({"code": _("Prove your phone number with a new code first.")})
    challenge.used_at = now
    challenge.save(update_fields=["used_at"])
    return challenge


def phone_challenges_purge(*, now: dt.datetime | None = None, window: dt.timedelta = PURGE_WINDOW) -> int:
    """Delete challenges that expired more than ``KEEP_EXPIRED`` ago, and blank the SMS that carried them.

    Part of the daily retention run (``petitions.retention.petitions_anonymise``): a phone number
    that only asked for a code is kept for a day, not for the petitions' retention period. SMS still
    waiting after their code expired are cancelled and masked (the drain does it too, within a
    minute). Only the SMS written ``window`` before the cutoff and later are read (the partial
    index ``notification_phone_code_idx``); after the purge was stopped for longer, run it once
    with a wider ``window``.
    """
    from notifications.models import Notification
    from notifications.outbox import PHONE_CODE_TEMPLATE

    now = now or timezone.now()
    cutoff = now - KEEP_EXPIRED
    since = cutoff - window
    # Expired challenges are deleted, so this reads only those that expired since the last run.
    deleted, _by_model = PhoneChallenge.objects.filter(expires_at__lt=cutoff).delete()
    phone_codes_expire(now=now, since=since)
    Notification.objects.filter(
        template=PHONE_CODE_TEMPLATE, created_at__gte=since, created_at__lt=cutoff
    ).exclude(recipient="").update(recipient="", body="")
    return int(deleted)
