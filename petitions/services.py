"""Intake: turning what a citizen (or an officer, API or Open311 client) sends into a petition and its case."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.outbox import enqueue_receipt
from petitions.attachments import MAX_ATTACHMENTS, MAX_DOCUMENTS, staged_attach, staged_claim, too_many_files
from petitions.models import (
    ADDRESS_MAX_LENGTH,
    MEDIA_URL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Category,
    Channel,
    Partner,
    PartnerKey,
    Petition,
    hash_token,
)
from petitions.reference import active_category
from routing.actors import CitizenActor
from routing.models import Level, Unit, membership_of
from routing.reference import active_commune
from routing.services import case_open
from search.documents import search_text as search_words

#: No 0/O, 1/I/L: codes are read out over the phone and typed from SMS.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
TEXT_MIN_LENGTH = 10
IDEMPOTENCY_KEY_MAX_LENGTH = 80
#: The interfaces whose clients choose their own idempotency keys: a key is theirs only within the
#: interface and the partner (``idempotency_key_stored``).
CLIENT_KEYED_CHANNELS = (Channel.API, Channel.OPEN311)
# Viet Nam with its islands, generously.
LAT_RANGE = (Decimal("6"), Decimal("24"))
LON_RANGE = (Decimal("101"), Decimal("118"))


@dataclass(frozen=True)
class SubmissionResult:
    petition: Petition
    #: The secret tracking token. None when an idempotent retry returned an earlier petition:
    #: the token was given (and sent by SMS/email) the first time and is not stored.
    token: str | None
    created: bool


def new_tracking_code(now: dt.datetime) -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"PA-{timezone.localtime(now):%y}-{body}"


_CODE_SHAPE = re.compile(rf"^PA(\d{{2}})([A-Z0-9]{{{CODE_LENGTH}}})$")


def normalize_tracking_code(raw: str) -> str:
    """``pa 26 7kq3m9`` or ``PA267KQ3M9`` → ``PA-26-7KQ3M9``; anything else upper-cased and trimmed."""
    compact = re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()
    match = _CODE_SHAPE.match(compact)
    if match:
        return f"PA-{match.group(1)}-{match.group(2)}"
    return (raw or "").strip().upper()


def normalize_text(value: Any) -> str:
    """NFC-normalise and trim; a non-string becomes an empty string."""
    if not isinstance(value, str):
        return ""
    return unicodedata.normalize("NFC", value).strip()


def normalize_phone(raw: str) -> str:
    """Parse a Vietnamese or international phone number and return it in E.164."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a valid phone number, for example 0912 345 678."), code="invalid_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_coordinate(value: Any, bounds: tuple[Decimal, Decimal]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number."), code="invalid") from None
    if not number.is_finite():  # NaN quantizes without complaint, and then refuses to compare
        raise ValidationError(_("Enter a number."), code="invalid")
    if not bounds[0] <= number <= bounds[1]:
        raise ValidationError(_("The map point must be in Viet Nam."), code="out_of_range")
    return number


_validate_media_url = URLValidator(schemes=["http", "https"])


def _fingerprint(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _resolve_category(value: Category | int | str | None) -> Category | None:
    if isinstance(value, Category):
        return value if value.is_active else None
    if value in (None, ""):
        return None
    return active_category(value)


def _resolve_commune(value: Unit | int | str | None) -> Unit | None:
    if isinstance(value, Unit):
        return value if value.level == Level.COMMUNE and value.is_active else None
    if value in (None, ""):
        return None
    return active_commune(value)


def _check_length(errors: dict[str, list[Any]], field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.setdefault(field, []).append(
            _("At most %(limit)s characters (you wrote %(count)s).") % {"limit": limit, "count": len(value)}
        )


@dataclass(frozen=True)
class Receipt:
    """How and when a unit received a petition that an officer enters (``Channel.OFFICER`` only)."""

    via: str
    at: dt.datetime
    #: Needed when the petition is entered more than ``LATE_ENTRY_DAYS`` after it was received.
    late_reason: str = ""


def receipt_errors(received: Receipt, *, now: dt.datetime) -> dict[str, str]:
    """What is wrong with a receipt, by field (``received_via``, ``received_at``, ``late_entry_reason``)."""
    from petitions.models import ReceivedVia

    errors: dict[str, str] = {}
    if received.via not in ReceivedVia.values:
        errors["received_via"] = str(_("Say how the petition was received."))
    if received.at > now + dt.timedelta(minutes=5):
        errors["received_at"] = str(_("The time it was received cannot be in the future."))
    elif received.at < now - dt.timedelta(days=366):
        errors["received_at"] = str(_("A petition received more than a year ago cannot be entered here."))
    elif now - received.at > dt.timedelta(days=settings.LATE_ENTRY_DAYS) and not received.late_reason.strip():
        errors["late_entry_reason"] = str(
            _("It was received more than %(days)s days ago: say why it is entered only now.")
            % {"days": settings.LATE_ENTRY_DAYS}
        )
    return errors


@dataclass(frozen=True)
class Submission:
    """What is filed: the fields the portal's form, the officer's form, the API and Open311 each build.

    How it was filed (the interface, the partner, the idempotency key, the session that staged its
    files) is given to ``petition_submit`` beside it. Values arrive as sent (a category's id or
    code, a commune's id, code or ``Unit``, coordinates as text); ``petition_validate`` checks and
    normalises them.
    """

    category: Category | int | str | None
    commune: Unit | int | str | None
    phone: str
    title: str
    text: str
    submitter_name: str = ""
    is_anonymous: bool = False
    email: str = ""
    #: Checked against the commune's province when given (the form sends both).
    province: Unit | int | str | None = None
    address: str = ""
    latitude: Any = None
    longitude: Any = None
    target_level: str = ""
    consent_publish: bool = False
    language: str = "vi"
    #: A link a partner sent (http or https, stored, never fetched).
    media_url: str = ""
    #: Photos staged by ``petitions.attachments.attachment_stage`` in the filing session.
    attachment_tokens: Sequence[str] = ()
    #: PDF documents staged by ``petitions.attachments.document_stage`` in the filing session.
    document_tokens: Sequence[str] = ()
    #: How and when the unit received it (only a petition an officer enters).
    received: Receipt | None = None


@dataclass(frozen=True)
class CheckedSubmission:
    """A submission's fields, checked and normalised by ``petition_validate``."""

    category: Category
    commune: Unit
    submitter_name: str
    phone: str
    email: str
    title: str
    text: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    media_url: str
    language: str
    idempotency_key: str
    attachment_tokens: list[str]
    document_tokens: list[str]


def petition_validate(
    submission: Submission,
    *,
    channel: str = Channel.WEB,
    idempotency_key: str | None = None,
    entered_by: Any = None,
    partner: Partner | None = None,
    now: dt.datetime | None = None,
) -> CheckedSubmission:
    """Check a submission as ``petition_submit`` does, writing nothing; return its normalised fields.

    Raises ``ValidationError`` with every wrong field's message at once. A form that found
    errors of its own asks here too, so that the citizen sees all of them in one go.
    """
    errors: dict[str, list[Any]] = {}

    def fail(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    category, commune, province = submission.category, submission.commune, submission.province
    is_anonymous, phone, language = submission.is_anonymous, submission.phone, submission.language
    latitude, longitude, target_level = submission.latitude, submission.longitude, submission.target_level
    name = normalize_text(submission.submitter_name)
    title = normalize_text(submission.title)
    text = normalize_text(submission.text)
    address = normalize_text(submission.address)
    email = normalize_text(submission.email).lower()
    key = normalize_text(idempotency_key) if idempotency_key is not None else ""

    resolved_category = _resolve_category(category)
    if resolved_category is None:
        fail("category", _("Choose a category."))
    resolved_commune = _resolve_commune(commune)
    if resolved_commune is None:
        fail("commune", _("Choose a commune, ward or special zone from the list."))
    elif province not in (None, ""):
        expected = province.pk if isinstance(province, Unit) else province
        if str(expected) not in {str(resolved_commune.parent_id), str(resolved_commune.parent.code)}:  # type: ignore[union-attr]
            fail("commune", _("This commune or ward is not in the chosen province."))

    if is_anonymous:
        if resolved_category is not None and not resolved_category.allows_anonymous:
            fail("is_anonymous", _("This category needs your name."))
        name = ""
    elif not name:
        fail("submitter_name", _("Enter your name."))
    _check_length(errors, "submitter_name", name, NAME_MAX_LENGTH)

    normalized_phone = ""
    try:
        normalized_phone = normalize_phone(normalize_text(phone))
    except ValidationError as exc:
        fail("phone", exc.messages[0])

    if email:
        try:
            validate_email(email)
        except ValidationError:
            fail("email", _("Enter a valid email address."))
        _check_length(errors, "email", email, 254)

    if not title:
        fail("title", _("Give your petition a short title."))
    _check_length(errors, "title", title, TITLE_MAX_LENGTH)
    if not text:
        fail("text", _("Describe the matter."))
    elif len(text) < TEXT_MIN_LENGTH:
        fail("text", _("Describe the matter in at least %(count)s characters.") % {"count": TEXT_MIN_LENGTH})
    _check_length(errors, "text", text, TEXT_MAX_LENGTH)
    _check_length(errors, "address", address, ADDRESS_MAX_LENGTH)
    media_url = normalize_text(submission.media_url)
    if media_url:
        try:
            _validate_media_url(media_url)
        except ValidationError:
            fail("media_url", _("Enter a valid web address starting with http:// or https://."))
        _check_length(errors, "media_url", media_url, MEDIA_URL_MAX_LENGTH)

    lat = lon = None
    try:
        lat = _parse_coordinate(latitude, LAT_RANGE)
    except ValidationError as exc:
        fail("latitude", exc.messages[0])
    try:
        lon = _parse_coordinate(longitude, LON_RANGE)
    except ValidationError as exc:
        fail("longitude", exc.messages[0])
    if (lat is None) != (lon is None) and "latitude" not in errors and "longitude" not in errors:
        fail("latitude", _("Give both latitude and longitude, or neither."))

    if target_level and target_level not in Level.values:
        fail("target_level", _("Choose central, province or commune."))
    if channel not in Channel.values:
        fail("channel", _("Unknown channel."))
    if channel == Channel.OFFICER and membership_of(entered_by) is None:
        fail("channel", _("Only staff can enter petitions received by phone or in person."))
    if partner is not None and not partner.is_active:
        fail("partner", _("This partner may not file petitions."))
    if language not in ("vi", "en"):
        language = "vi"
    _check_length(errors, "idempotency_key", key, IDEMPOTENCY_KEY_MAX_LENGTH)

    tokens = list(dict.fromkeys(submission.attachment_tokens))
    if len(tokens) > MAX_ATTACHMENTS:
        fail("photos", too_many_files("photos"))
    documents = list(dict.fromkeys(submission.document_tokens))
    if len(documents) > MAX_DOCUMENTS:
        fail("documents", too_many_files("documents"))
    if submission.received is not None:
        if channel != Channel.OFFICER:
            fail("received_via", _("Only a petition entered by an officer has a receipt."))
        else:
            for field, message in receipt_errors(submission.received, now=now or timezone.now()).items():
                fail(field, message)

    if errors:
        raise ValidationError(errors)
    assert resolved_category is not None and resolved_commune is not None
    return CheckedSubmission(
        category=resolved_category,
        commune=resolved_commune,
        submitter_name=name,
        phone=normalized_phone,
        email=email,
        title=title,
        text=text,
        address=address,
        latitude=lat,
        longitude=lon,
        media_url=media_url,
        language=language,
        idempotency_key=idempotency_key_stored(key, channel=channel, partner=partner),
        attachment_tokens=tokens,
        document_tokens=documents,
    )


#: Tries at a tracking code not given yet, each a new transaction (``petition_submit``).
CODE_ATTEMPTS = 5


def idempotency_key_stored(key: str | None, *, channel: str, partner: Partner | int | None = None) -> str:
    """The idempotency key as stored: a client's key within its interface and its partner.

    Keys are unique across the portal, but a partner app chooses its own: without a namespace, an
    API client sending ``open311-2-x`` would take Open311 partner 2's key ``x``, and two partners
    using the same UUID library seed would block each other. The form's and the demo's keys are the
    server's own (``portal-…``, ``demo-…``) and are stored as they are.
    """
    key = normalize_text(key)
    if not key or channel not in CLIENT_KEYED_CHANNELS:
        return key
    partner_id = partner.pk if isinstance(partner, Partner) else partner
    return f"{channel}-{partner_id or 0}-{key}"


def petition_submit(
    *,
    submission: Submission,
    channel: str = Channel.WEB,
    idempotency_key: str | None = None,
    entered_by: Any = None,
    partner: Partner | None = None,
    session_key: str = "",
    repeat_window: dt.timedelta | None = None,
    notify: bool = True,
    key_unused: bool = False,
    now: dt.datetime | None = None,
) -> SubmissionResult:
    """Validate a submission, then create the petition, its routed case and first event at once.

    Raises ``ValidationError`` with a message per field (translated) and writes nothing when any
    input is wrong. ``channel`` is the interface it came through; ``entered_by`` the officer who
    entered it (``Channel.OFFICER``); ``partner`` the Open311/API partner filing on the citizen's
    behalf. The submission's photos and documents are ones staged in ``session_key``. With an
    ``idempotency_key`` a retried submission returns the petition created the first time.
    ``repeat_window``: a petition with the same fingerprint (the same phone and every other field)
    filed this recently is returned instead of a new one (``created=False``).
    ``key_unused``: the caller has just found no petition with this key
    (``petition_idempotency_key_used``), so it is not read again; a retry racing this one is
    still caught by the key's unique index.
    """
    now = now or timezone.now()
    checked = petition_validate(
        submission,
        channel=channel,
        idempotency_key=idempotency_key,
        entered_by=entered_by,
        partner=partner,
        now=now,
    )
    received, is_anonymous = submission.received, submission.is_anonymous
    target_level, consent_publish = submission.target_level, submission.consent_publish
    resolved_category, resolved_commune = checked.category, checked.commune
    name, normalized_phone, email = checked.submitter_name, checked.phone, checked.email
    title, text, address = checked.title, checked.text, checked.address
    lat, lon, media_url = checked.latitude, checked.longitude, checked.media_url
    language, key, tokens = checked.language, checked.idempotency_key, checked.attachment_tokens

    fields = {
        "category": resolved_category.pk,
        "commune": resolved_commune.pk,
        "name": name,
        "anonymous": bool(is_anonymous),
        "phone": normalized_phone,
        "email": email,
        "title": title,
        "text": text,
        "address": address,
        "lat": lat,
        "lon": lon,
        "target_level": target_level,
        "channel": channel,
        # Photos do not identify a submission: a form sent again uploads its photos again, under
        # new tokens. (Always empty, so that the fingerprints stored with it still match.)
        "photos": [],
    }
    # Only when present, so that fingerprints stored before these fields existed still match.
    if consent_publish:
        fields["consent_publish"] = True
    if partner is not None:
        fields["partner"] = partner.pk
    if media_url:
        fields["media_url"] = media_url
    fingerprint = _fingerprint(fields)

    if key and not key_unused:
        existing = _replay(key, fingerprint)
        if existing is not None:
            return existing
    if repeat_window and normalized_phone:
        # The same fingerprint (phone and everything else typed) filed this recently.
        repeat = (
            Petition.objects.filter(
                category=resolved_category,  # the (category, submitted_at) index
                submitted_at__gte=now - repeat_window,
                request_fingerprint=fingerprint,
            )
            .order_by("-submitted_at")
            .first()
        )
        if repeat is not None:
            return SubmissionResult(petition=repeat, token=None, created=False)

    token = secrets.token_urlsafe(32)
    petition = Petition(
        tracking_code=new_tracking_code(now),
        token_hash=hash_token(token),
        idempotency_key=key or None,
        request_fingerprint=fingerprint,
        is_anonymous=bool(is_anonymous),
        submitter_name=name,
        phone=normalized_phone,
        email=email,
        language=language,
        category=resolved_category,
        province=resolved_commune.parent,
        commune=resolved_commune,
        address=address,
        latitude=lat,
        longitude=lon,
        title=title,
        text=text,
        search_text=search_words(title, text),
        target_level=target_level,
        consent_publish=bool(consent_publish),
        channel=channel,
        partner=partner,
        media_url=media_url,
        entered_by=entered_by if channel == Channel.OFFICER else None,
        submitted_at=now,
        received_via=received.via if received else "",
        received_at=received.at if received else None,
        late_entry_reason=received.late_reason.strip() if received else "",
    )
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                petition.save(force_insert=True)
                staged_attach(
                    petition_id=petition.pk,
                    photos=staged_claim(tokens, session_key, field="photos"),
                    documents=staged_claim(checked.document_tokens, session_key, field="documents"),
                )
                actor = entered_by if channel == Channel.OFFICER else CitizenActor(petition_id=petition.pk)
                # Deadlines count from when the unit received it (an officer entering a letter later).
                case_open(
                    petition=petition, actor=actor, now=now, received_at=received.at if received else None
                )
                if notify:
                    # The receipt is written with the petition: it is sent once the petition exists.
                    enqueue_receipt(petition=petition, token=token)
        except IntegrityError:
            # Two retries with one key raced; the other one won.
            if key and (existing := _replay(key, fingerprint)) is not None:
                return existing
            # Or the tracking code was given already: each code given this year takes one in 887
            # million of the year's codes, so at 10 million petitions a year about one insert in a
            # hundred meets one by December. The whole transaction again, with a new code (no
            # savepoint around the insert: two statements on every petition for the 1 %).
            if (
                attempt == CODE_ATTEMPTS - 1
                or not Petition.objects.filter(tracking_code=petition.tracking_code).exists()
            ):
                raise
            petition.pk = None
            petition.tracking_code = new_tracking_code(now)
            continue
        return SubmissionResult(petition=petition, token=token, created=True)
    raise AssertionError("unreachable")  # pragma: no cover: the last attempt returns or raises


def _replay(key: str, fingerprint: str) -> SubmissionResult | None:
    existing = Petition.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.request_fingerprint != fingerprint:
        raise ValidationError(
            {"idempotency_key": _("This idempotency key was already used for a different petition.")}
        )
    return SubmissionResult(petition=existing, token=None, created=False)


def petition_set_sms_updates(*, petition_id: int, enabled: bool) -> Petition:
    """The citizen turns SMS updates about their petition on or off (email, if given, continues).

    Messages already written stay as they are; from now on no SMS is written while off. Once
    the case has ended nothing more is sent, and the setting no longer changes.
    """
    with transaction.atomic():
        petition = Petition.objects.select_for_update().get(pk=petition_id)
        if not petition.case.is_open:
            raise ValidationError({"sms": _("This petition has ended: no more updates are sent about it.")})
        if petition.sms_opt_out == (not enabled):
            return petition
        petition.sms_opt_out = not enabled
        petition.save(update_fields=["sms_opt_out"])
    return petition


#: ``last_used_at`` is written at most this often per key, so a busy partner does not write on every call.
KEY_USE_RESOLUTION = dt.timedelta(minutes=1)


def partner_key_authenticate(*, key: str, now: dt.datetime | None = None) -> PartnerKey | None:
    """The active key (of an active partner) that ``key`` is, with its partner; None for anything else.

    Records when the key was last used (to the minute).
    """
    key = (key or "").strip()
    if not key or len(key) > 200:
        return None
    found = PartnerKey.objects.usable().select_related("partner").filter(key_hash=hash_token(key)).first()
    if found is None:
        return None
    now = now or timezone.now()
    if found.last_used_at is None or found.last_used_at < now - KEY_USE_RESOLUTION:
        PartnerKey.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found


def petition_idempotency_key_used(
    key: str | None, *, channel: str = Channel.WEB, partner: Partner | int | None = None
) -> bool:
    """Whether a petition was filed with this idempotency key (compared as ``petition_submit`` stores it).

    The APIs answer such a retry before their rate limits: ``petition_submit`` returns the petition
    filed the first time (or refuses other content), so a client that lost the answer gets it back.
    """
    stored = idempotency_key_stored(key, channel=channel, partner=partner)
    return bool(stored) and Petition.objects.filter(idempotency_key=stored).exists()
