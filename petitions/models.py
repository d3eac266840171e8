"""What citizens submit: categories and petitions."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import uuid

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from config.reference import ReferenceManager
from routing.models import Level

TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000
NAME_MAX_LENGTH = 120
ADDRESS_MAX_LENGTH = 255
MEDIA_URL_MAX_LENGTH = 500


class Category(models.Model):
    """A kind of petition. Names are kept in both languages because they are data, not code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    default_level = models.CharField(
        _("default level"),
        max_length=16,
        choices=Level.choices,
        blank=True,
        help_text=_("Route petitions of this category straight to this level. Empty: the commune."),
    )
    allows_anonymous = models.BooleanField(
        _("anonymous submissions allowed"),
        default=False,
        help_text=_("Citizens may leave their name out (they still give a phone number to follow the case)."),
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=255,
        blank=True,
        help_text=_(
            "Comma-separated other words for this category, in any language. Open311 clients show them"
            " to help people pick a category."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    # Held in each process (petitions.reference.CATEGORIES); writes through it rebuild that copy.
    objects = ReferenceManager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name


class ReceivedVia(models.TextChoices):
    """How a unit received a petition that an officer then entered."""

    PHONE = "phone", _("Phone call")
    IN_PERSON = "in_person", _("In person")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("E-mail")
    HOTLINE = "hotline", _("Hotline")


class Channel(models.TextChoices):
    WEB = "web", _("Web portal")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    OFFICER = "officer", _("Entered by an officer")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_RATE_SHAPE = re.compile(r"^[1-9][0-9]*/([1-9][0-9]*)?[smhd]$")


def validate_rate(value: str) -> None:
    """A django-ratelimit rate: ``120/h``, ``10/m``, ``1000/d``, ``30/5m``."""
    if not _RATE_SHAPE.match(value or ""):
        raise ValidationError(
            _("Write a rate as a number of requests per period, for example 120/h, 10/m or 1000/d."),
            code="invalid_rate",
        )


class Partner(models.Model):
    """An organisation whose application files and follows petitions through Open311 with an API key."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_email = models.EmailField(_("contact email"))
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive partner's keys are refused.")
    )
    rate_limit = models.CharField(
        _("rate limit"),
        max_length=16,
        default="120/h",
        validators=[validate_rate],
        help_text=_("Requests allowed per key, for example 120/h (per hour), 10/m (per minute), 1000/d."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


#: The part of a key shown in the admin and in logs, to tell keys apart; the rest is never stored.
KEY_PREFIX_LENGTH = 8


class PartnerKeyQuerySet(models.QuerySet["PartnerKey"]):
    def usable(self) -> PartnerKeyQuerySet:
        return self.filter(is_active=True, partner__is_active=True)


class PartnerKey(models.Model):
    """One API key of a partner. Only its SHA-256 and its first characters are stored.

    A partner may hold several keys, so that a key can be replaced without a pause:
    create the new one, let the partner switch, deactivate the old one.
    """

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="keys"
    )
    label = models.CharField(
        _("label"), max_length=100, blank=True, help_text=_("What the key is for, e.g. the mobile app.")
    )
    prefix = models.CharField(_("key starts with"), max_length=KEY_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    objects = PartnerKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.partner} · {self.prefix}…"

    @staticmethod
    def generate() -> str:
        return secrets.token_urlsafe(30)

    def set_key(self, key: str) -> None:
        self.prefix = key[:KEY_PREFIX_LENGTH]
        self.key_hash = hash_token(key)


class Petition(models.Model):
    """A citizen's submission, as received. The case (routing) tracks what happens to it."""

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    token_hash = models.CharField(_("tracking token hash"), max_length=64, unique=True, editable=False)
    idempotency_key = models.CharField(
        # A client's key (at most 80 characters) within its interface and partner: ``api-12-<key>``.
        _("idempotency key"),
        max_length=120,
        null=True,
        blank=True,
        unique=True,
    )
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    submitter_name = models.CharField(_("full name"), max_length=NAME_MAX_LENGTH, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=16, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="vi")
    sms_opt_out = models.BooleanField(_("no SMS updates"), default=False)

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="petitions"
    )
    province = models.ForeignKey(
        "routing.Unit",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.PROVINCE},
    )
    commune = models.ForeignKey(
        "routing.Unit",
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": Level.COMMUNE},
    )
    address = models.CharField(_("address"), max_length=ADDRESS_MAX_LENGTH, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    text = models.TextField(_("text"))
    #: ``search.documents.fold(title + " " + text)``: what the database search backend matches against.
    search_text = models.TextField(_("folded title and text"), blank=True, editable=False)
    target_level = models.CharField(_("addressed to level"), max_length=16, choices=Level.choices, blank=True)
    consent_publish = models.BooleanField(_("consents to publish the petition and response"), default=False)

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("filed by partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions",
    )
    #: A link sent by an Open311 client (e.g. a photo on the partner's servers). Stored and shown
    #: to staff and echoed to the filing partner only; the portal never fetches it.
    media_url = models.URLField(_("media link"), max_length=MEDIA_URL_MAX_LENGTH, blank=True)
    entered_by = models.ForeignKey(
        "auth.User",
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    #: Entered by an officer: how and when the unit received it (its deadlines count from then).
    received_via = models.CharField(_("received by"), max_length=16, choices=ReceivedVia.choices, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    late_entry_reason = models.TextField(_("why it was entered late"), blank=True)
    #: When retention removed the citizen's personal data (petitions.retention); null until then.
    anonymised_at = models.DateTimeField(_("personal data removed at"), null=True, blank=True, editable=False)
    #: How many citizens co-signed it (``CoSigner`` rows, kept by ``petitions.cosign`` in the same
    #: transaction): lists read it without counting; it outlives the rows that retention erases.
    cosigner_count = models.PositiveIntegerField(_("co-signers"), default=0, editable=False)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["category", "submitted_at"], name="petition_category_time_idx"),
            # The box around a point (routing.selectors.cases_nearby): a latitude range, then longitude.
            models.Index(fields=["latitude", "longitude"], name="petition_point_idx"),
            # The public list of published petitions, newest first (petitions.selectors).
            models.Index(
                fields=["-submitted_at", "-id"],
                condition=Q(consent_publish=True),
                name="petition_published_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="petition_point_complete",
            ),
            models.CheckConstraint(
                condition=Q(is_anonymous=True) | ~Q(submitter_name=""), name="petition_named_unless_anonymous"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} · {self.title}"

    def check_token(self, token: str) -> bool:
        return bool(token) and constant_time_compare(hash_token(token), self.token_hash)

    @property
    def display_name(self) -> str:
        return str(_("Anonymous")) if self.is_anonymous else self.submitter_name

    @property
    def phone_display(self) -> str:
        """``0912 345 678`` for Vietnamese numbers, ``+44 20 ...`` for others (stored as E.164)."""
        try:
            number = phonenumbers.parse(self.phone, None)
        except phonenumbers.NumberParseException:
            return self.phone
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if number.country_code == 84
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(number, style)


class PrivateStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT``, read when used (so a changed setting is honoured)."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def private_storage() -> Storage:
    """Photos are never served from a public URL: views check who asks, then stream them.

    On the file system under ``PRIVATE_MEDIA_ROOT``, or the ``private`` storage of
    ``STORAGES`` when one is configured (S3-compatible object storage, private ACL).
    """
    if "private" in settings.STORAGES:
        return storages["private"]
    return PrivateStorage()


def _attachment_path(instance: Attachment, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "jpg"
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def new_upload_token() -> str:
    return secrets.token_urlsafe(24)


class StagedUpload(models.Model):
    """What a photo and a document share: staged for the uploader's session, then claimed.

    A file is first *staged* (``petition`` empty, tied to the uploader's session by a keyed hash in
    ``session_key``) so that a form with an error elsewhere does not lose it; the service that
    files the petition, the added information, the answer or the response claims it (``petition``,
    and ``event`` when it came after filing) and clears ``session_key``.
    """

    petition = models.ForeignKey(
        Petition,
        verbose_name=_("petition"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="%(class)ss",
    )
    #: The event that brought it after filing (added information, an answer, a response); none: with the petition.
    event = models.ForeignKey(
        "routing.CaseEvent",
        verbose_name=_("added with"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
    )
    upload_token = models.CharField(max_length=40, unique=True, default=new_upload_token, editable=False)
    session_key = models.CharField(max_length=64, blank=True, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        abstract = True


class Attachment(StagedUpload):
    """A photo, re-encoded (no EXIF/GPS) with a thumbnail, stored under a random name."""

    image = models.FileField(_("image"), storage=private_storage, upload_to=_attachment_path, max_length=200)
    thumbnail = models.FileField(
        _("thumbnail"), storage=private_storage, upload_to=_attachment_path, max_length=200
    )
    content_type = models.CharField(_("content type"), max_length=20)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["petition", "created_at"], name="attachment_staged_idx")]

    def __str__(self) -> str:
        return f"{self.width}×{self.height} {self.content_type}"


def _document_path(instance: Document, filename: str) -> str:
    return f"documents/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class DocumentQuerySet(models.QuerySet["Document"]):
    def for_citizen(self) -> DocumentQuerySet:
        """What the citizen may read: theirs (with the petition, or added later) and a published response's.

        A response's documents belong to its internal draft event until a leader approves it.
        """
        return self.filter(models.Q(event__isnull=True) | models.Q(event__is_public=True))


class Document(StagedUpload):
    """A PDF (a scanned letter, a decision, a receipt), checked by ``petitions.pdfs.check_pdf``.

    Served only to the citizen's browser (``DocumentQuerySet.for_citizen``) and to the handling
    unit, always as a download (``Content-Disposition: attachment``), under its original name.
    """

    file = models.FileField(_("file"), storage=private_storage, upload_to=_document_path, max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    pages = models.PositiveSmallIntegerField(_("pages"))

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["petition", "created_at"], name="document_petition_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def response_stage(self) -> str:
        """Whether it came with a response: "draft" (drafted), "published" (approved), or "" (load ``event``)."""
        from routing.models import EventKind

        kind = str(self.event.kind) if self.event_id and self.event else ""
        return {str(EventKind.SUBMIT_RESPONSE): "draft", str(EventKind.APPROVE): "published"}.get(kind, "")


class PhonePurpose(models.TextChoices):
    """What a one-time SMS code proves a phone number for."""

    MY_PETITIONS = "my_petitions", _("See my petitions")
    COSIGN = "cosign", _("Co-sign a petition")


class PhoneChallenge(models.Model):
    """A one-time code sent by SMS to prove a phone number (``petitions.phones``).

    Only an HMAC of the code is stored, keyed with the site's secret and a salt of the challenge's
    own; the code itself is in the SMS only. A challenge is used once: verified (``verified_at``),
    then, for co-signing, consumed (``used_at``). A newer code for the same phone and purpose
    invalidates it (``invalidated_at``).
    """

    phone = models.CharField(_("phone (E.164)"), max_length=16)
    purpose = models.CharField(_("purpose"), max_length=16, choices=PhonePurpose.choices)
    #: The petition to co-sign (purpose ``cosign``); none for "my petitions".
    petition = models.ForeignKey(
        Petition,
        verbose_name=_("petition"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    salt = models.CharField(max_length=32, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    invalidated_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        indexes = [
            models.Index(fields=["phone", "purpose", "created_at"], name="phone_challenge_phone_idx"),
            models.Index(fields=["expires_at"], name="phone_challenge_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class CoSignVia(models.TextChoices):
    COSIGNED = "cosigned", _("Co-signed on the portal")
    MERGED = "merged", _("Carried over from a duplicate")


class CoSigner(models.Model):
    """A citizen who has the same problem as a published petition ("me too"), one per phone number.

    The phone (E.164) is personal data: never shown publicly, never indexed, erased by retention
    with the petition's. ``Petition.cosigner_count`` keeps the number for lists.
    """

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="cosigners"
    )
    phone = models.CharField(_("phone (E.164)"), max_length=16)
    notify = models.BooleanField(_("wants an SMS when the response is published"), default=False)
    language = models.CharField(_("language"), max_length=8, default="vi")
    via = models.CharField(_("how"), max_length=16, choices=CoSignVia.choices, default=CoSignVia.COSIGNED)
    created_at = models.DateTimeField(_("co-signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("co-signer")
        verbose_name_plural = _("co-signers")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "phone"], name="cosigner_one_per_phone"),
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} · {self.created_at:%Y-%m-%d}"
