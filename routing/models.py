"""The organisation (units, memberships), SLA policies and the case lifecycle.

The lifecycle of a case is declared here, once, as django-fsm-2 transitions
with their sources, targets, conditions and permissions. Transition methods
only change the in-memory case; ``routing.services`` runs them under a row
lock, saves, writes the ``CaseEvent`` and schedules side effects.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from config.reference import ReferenceManager
from routing.actors import CitizenActor, SystemActor
from routing.deadlines import add_working_days, policy_for, working_days_between

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class Level(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")


LEVEL_DEPTH = {Level.CENTRAL: 0, Level.PROVINCE: 1, Level.COMMUNE: 2}

#: The register's division types (``Unit.division_type``): how a unit's name begins, and the
#: type as citizens read it. A level is not a type: the commune level holds communes, wards and
#: special zones ("đặc khu"), the province level provinces and centrally governed cities.
DIVISION_TYPES = {
    "xã": ("Xã ", pgettext_lazy("unit type", "commune")),
    "phường": ("Phường ", pgettext_lazy("unit type", "ward")),
    "đặc khu": ("Đặc khu ", pgettext_lazy("unit type", "special zone")),
    "tỉnh": ("Tỉnh ", pgettext_lazy("unit type", "province")),
    "thành phố trung ương": ("Thành phố ", pgettext_lazy("unit type", "centrally governed city")),
}


def division_type_of(name: str, division_type: str = "") -> str:
    """The unit's division type: as the register gave it, else read from how its name begins."""
    if division_type in DIVISION_TYPES:
        return division_type
    for kind, (prefix, _label) in DIVISION_TYPES.items():
        if name.startswith(prefix):
            return kind
    return ""


def name_without_type(name: str, division_type: str = "") -> str:
    """``Thành phố Hà Nội`` → ``Hà Nội``; a name that does not begin with its type is kept whole."""
    kind = division_type_of(name, division_type)
    prefix = DIVISION_TYPES[kind][0] if kind else ""
    return name[len(prefix) :] if prefix and name.startswith(prefix) and len(name) > len(prefix) else name


class Unit(models.Model):
    """One committee of the organisation: central, a province or a commune.

    ``path`` is a materialised path of unit codes (``/TW/P01/W00070/``) so a
    subtree is one indexed prefix query.
    """

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    admin_code = models.PositiveIntegerField(
        _("administrative code"),
        null=True,
        blank=True,
        help_text=_("Province or commune code of the national administrative register."),
    )
    division_type = models.CharField(_("division type"), max_length=40, blank=True)
    path = models.CharField(_("path"), max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # The unit's point (a centre, not a boundary) and area, from the 2025 gazetteer of
    # ``vietnamadminunits`` (routing.geodata); empty for the central unit.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    area_km2 = models.DecimalField(_("area (km²)"), max_digits=10, decimal_places=2, null=True, blank=True)

    # Held in each process (routing.reference.unit_table); writes through it rebuild that copy.
    objects = ReferenceManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="unit_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "parent"], name="unit_level_parent_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "admin_code"],
                condition=Q(admin_code__isnull=False),
                name="unit_unique_admin_code_per_level",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.CENTRAL, parent__isnull=True) | ~Q(level=Level.CENTRAL),
                name="unit_central_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = self.build_path(self.parent, self.code)
        super().save(*args, **kwargs)

    @staticmethod
    def build_path(parent: Unit | None, code: str) -> str:
        return f"{parent.path if parent else '/'}{code}/"

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this unit."""
        return [code for code in self.path.split("/") if code]

    @property
    def type_label(self) -> str:
        """What kind of unit it is ("special zone", "ward", "province"...), in the active language."""
        kind = division_type_of(self.name, self.division_type)
        return str(DIVISION_TYPES[kind][1]) if kind else str(self.get_level_display())

    @property
    def name_with_type(self) -> str:
        """The name, followed by its type when the name does not already say it.

        "Đặc khu Hoàng Sa" in Vietnamese, "Đặc khu Hoàng Sa (special zone)" in English: never the
        level's label, which would call a special zone a commune or ward.
        """
        label = self.type_label
        return self.name if self.name.lower().startswith(label.lower()) else f"{self.name} ({label})"

    def is_within(self, other: Unit) -> bool:
        """True if this unit is ``other`` or below it."""
        return self.path.startswith(other.path)

    def ancestor_at(self, level: str) -> Unit | None:
        depth = LEVEL_DEPTH[Level(level)]
        codes = self.ancestor_codes
        if depth >= len(codes):
            return None
        if codes[depth] == self.code:
            return self
        from routing.reference import unit_table

        return unit_table().by_code.get(codes[depth]) or Unit.objects.get(code=codes[depth])


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


LEADING_ROLES = {Role.LEADER, Role.ADMIN}


class Membership(models.Model):
    """A staff user belongs to exactly one unit with one role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    #: The back office's language this person chose with the language switch; blank: the site's default.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["unit", "role"], name="membership_unit_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"

    @property
    def is_leader(self) -> bool:
        return self.role in LEADING_ROLES


def membership_of(user: Any) -> Membership | None:
    """The membership of a staff user, or None for anyone else (cached on the user object)."""
    if user is None or isinstance(user, CitizenActor | SystemActor) or not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


class SLAPolicy(models.Model):
    """Deadlines for a level, optionally for one category, in Vietnamese working days."""

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    category = models.ForeignKey(
        "petitions.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Leave empty for the level's default policy."),
    )
    triage_days = models.PositiveSmallIntegerField(_("triage (working days)"), default=3)
    resolution_days = models.PositiveSmallIntegerField(_("resolution (working days)"), default=10)
    feedback_days = models.PositiveSmallIntegerField(_("feedback window (calendar days)"), default=7)
    max_extension_days = models.PositiveSmallIntegerField(_("longest extension (working days)"), default=10)
    citizen_reply_days = models.PositiveSmallIntegerField(
        _("citizen's answer to a question (working days)"),
        default=10,
        help_text=_("Then the sweep reminds the citizen once, and the case returns to the officer."),
    )

    # Held in each process (routing.reference.sla_policies); writes through it rebuild that copy.
    objects = ReferenceManager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["level", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "category"],
                condition=Q(category__isnull=False),
                name="sla_unique_level_category",
            ),
            models.UniqueConstraint(
                fields=["level"], condition=Q(category__isnull=True), name="sla_unique_level_default"
            ),
            models.CheckConstraint(
                condition=Q(triage_days__gte=1, resolution_days__gte=1), name="sla_positive_days"
            ),
        ]

    def __str__(self) -> str:
        label = self.category or _("all categories")
        return f"{self.get_level_display()} · {label}"


class CaseState(models.TextChoices):
    SUBMITTED = "submitted", _("Awaiting triage")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_AGENCY = "awaiting_agency", _("Awaiting agency")
    AWAITING_CITIZEN = "awaiting_citizen", _("Awaiting the citizen")
    PENDING_APPROVAL = "pending_approval", _("Pending approval")
    RESPONDED = "responded", _("Responded")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = CaseState
OPEN_STATES = (
    S.SUBMITTED,
    S.IN_PROGRESS,
    S.AWAITING_AGENCY,
    S.AWAITING_CITIZEN,
    S.PENDING_APPROVAL,
    S.RESPONDED,
)
#: States whose deadline belongs to the handling unit (reminders, overdue marks).
CLOCKED_STATES = (S.SUBMITTED, S.IN_PROGRESS, S.AWAITING_AGENCY, S.PENDING_APPROVAL)
FINAL_STATES = (S.CLOSED, S.REJECTED, S.DUPLICATE, S.WITHDRAWN)
#: States the citizen may withdraw from: open, and no response published yet (once there is
#: one, the citizen says whether it resolved the matter instead).
WITHDRAWABLE_STATES = (S.SUBMITTED, S.IN_PROGRESS, S.AWAITING_AGENCY, S.AWAITING_CITIZEN, S.PENDING_APPROVAL)
#: States in which the citizen may add information on their own (while asked, they answer instead).
ADD_INFO_STATES = (S.SUBMITTED, S.IN_PROGRESS, S.AWAITING_AGENCY, S.PENDING_APPROVAL)
#: States in which no petition is shown publicly, whatever its citizen consented to: not yet
#: accepted by a unit (nobody has read it: it may be abusive or name people), not accepted at
#: all, or withdrawn by its citizen. The portal's pages and Open311's public lists share it.
UNPUBLISHED_STATES = (S.SUBMITTED, S.REJECTED, S.WITHDRAWN)


# --- Permissions of transitions -------------------------------------------
# django-fsm-2 calls these with (case, actor). Staff act only on cases at
# their own unit; leaders of units above only read (see selectors).


def is_unit_staff(case: Any, actor: Any) -> bool:
    membership = membership_of(actor)
    return membership is not None and membership.unit_id == case.unit_id


def is_unit_leader(case: Any, actor: Any) -> bool:
    membership = membership_of(actor)
    return membership is not None and membership.unit_id == case.unit_id and membership.is_leader


def is_unit_staff_or_system(case: Any, actor: Any) -> bool:
    return isinstance(actor, SystemActor) or is_unit_staff(case, actor)


def is_assignee_or_unit_leader(case: Any, actor: Any) -> bool:
    """The officer the case is assigned to, or a leader of its unit."""
    membership = membership_of(actor)
    if membership is None or membership.unit_id != case.unit_id:
        return False
    return membership.is_leader or case.assignee_id == getattr(actor, "pk", None)


def is_the_citizen(case: Any, actor: Any) -> bool:
    return isinstance(actor, CitizenActor) and actor.petition_id == case.petition_id


def is_system(case: Any, actor: Any) -> bool:
    return isinstance(actor, SystemActor)


# --- Conditions --------------------------------------------------------------


def has_parent_unit(case: Any) -> bool:
    return case.unit.parent_id is not None


def is_above_commune(case: Any) -> bool:
    return case.unit.level != Level.COMMUNE


def extension_unused(case: Any) -> bool:
    return not case.extension_used


class Case(FSMModelMixin, models.Model):
    """A petition's journey through the organisation.

    ``due_at`` is the deadline of the step the case is in (triage, resolution,
    agency reply, or the citizen's feedback window) so that inbox sorting and
    the sweep need one indexed column.
    """

    petition = models.OneToOneField(
        "petitions.Petition", verbose_name=_("petition"), on_delete=models.PROTECT, related_name="case"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("handling unit"), on_delete=models.PROTECT, related_name="cases"
    )
    #: The petition's category, copied when the case opens (a petition's category never changes):
    #: counts per topic, the topic filter and the sweep's deadline policy read it without
    #: joining the petitions, whose texts make them the largest table. Nullable for one release
    #: (migration 0006 runs while the previous release, which does not write it, still serves).
    category = models.ForeignKey(
        "petitions.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    state = FSMField(
        _("state"), max_length=32, choices=CaseState.choices, default=S.SUBMITTED, protected=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    due_at = models.DateTimeField(_("current deadline"), null=True, blank=True)
    triage_due_at = models.DateTimeField(_("triage deadline"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution deadline"), null=True, blank=True)
    agency_due_at = models.DateTimeField(_("agency deadline"), null=True, blank=True)
    feedback_due_at = models.DateTimeField(_("feedback deadline"), null=True, blank=True)
    paused_at = models.DateTimeField(_("resolution clock paused at"), null=True, blank=True)
    citizen_due_at = models.DateTimeField(_("citizen's answer deadline"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    reminded_due_at = models.DateTimeField(
        _("reminder recorded for deadline"), null=True, blank=True, editable=False
    )
    extension_used = models.BooleanField(_("extension used at this unit"), default=False)

    agency_name = models.CharField(_("referred to agency"), max_length=200, blank=True)
    response_text = models.TextField(_("response"), blank=True)
    response_drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("response drafted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    dissatisfaction_count = models.PositiveSmallIntegerField(
        _("times the citizen was dissatisfied"), default=0
    )
    rating = models.PositiveSmallIntegerField(_("citizen rating"), null=True, blank=True)
    citizen_comment = models.TextField(_("citizen comment"), blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["unit", "state", "due_at"], name="case_unit_state_due_idx"),
            models.Index(fields=["state", "due_at"], name="case_state_due_idx"),
            models.Index(fields=["assignee", "state"], name="case_assignee_state_idx"),
            models.Index(fields=["unit", "is_overdue"], name="case_unit_overdue_idx"),
            models.Index(fields=["unit", "category"], name="case_unit_category_idx"),
            models.Index(fields=["submitted_at"], name="case_submitted_idx"),
            # "Open now" on the leader pages, counted from this index alone (no table read):
            # 134,000 open of a million in 25 ms instead of 260.
            models.Index(
                fields=["unit", "category", "state", "is_overdue"],
                name="case_open_counts_idx",
                condition=Q(state__in=OPEN_STATES),
            ),
            models.Index(
                fields=["-responded_at"], name="case_responded_idx", condition=Q(responded_at__isnull=False)
            ),
            # The dashboard's time-to-triage numbers filter on when cases were triaged.
            models.Index(
                fields=["triaged_at"], name="case_triaged_idx", condition=Q(triaged_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="case_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition.tracking_code} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- helpers used by transitions ------------------------------------

    def _policy_for(self, unit: Unit) -> Any:
        return policy_for(unit.level, self.petition.category_id)

    def _start_triage_at(self, unit: Unit, now: dt.datetime) -> None:
        """Move the case to ``unit`` and start a fresh triage clock there."""
        self.unit = unit
        self.assignee = None
        self.extension_used = False
        self.triaged_at = None
        self.triage_due_at = add_working_days(now, self._policy_for(unit).triage_days)
        self.resolution_due_at = None
        self.agency_due_at = None
        self.paused_at = None
        self._set_due(self.triage_due_at)

    def _start_resolution(self, now: dt.datetime) -> None:
        self.resolution_due_at = add_working_days(now, self._policy_for(self.unit).resolution_days)
        self._set_due(self.resolution_due_at)

    def _set_due(self, due_at: dt.datetime | None) -> None:
        self.due_at = due_at
        self.is_overdue = False
        self.overdue_since = None

    def _require_member(self, user: User | None, *, field: str) -> None:
        membership = membership_of(user)
        if membership is None or membership.unit_id != self.unit_id or not user or not user.is_active:
            raise ValidationError({field: _("Choose an active officer of the handling unit.")})

    # --- transitions ------------------------------------------------------

    @transition(field=state, source=S.SUBMITTED, target=S.IN_PROGRESS, permission=is_unit_staff)
    def accept(self, *, assignee: User, actor: Any, now: dt.datetime) -> None:
        self._require_member(assignee, field="assignee")
        membership = membership_of(actor)
        if membership is not None and not membership.is_leader and assignee.pk != actor.pk:
            raise ValidationError({"assignee": _("Officers can only accept a case for themselves.")})
        self.assignee = assignee
        self.triaged_at = now
        self._start_resolution(now)

    @transition(field=state, source=S.SUBMITTED, target=S.REJECTED, permission=is_unit_staff)
    def reject(self, *, reason: str, now: dt.datetime) -> None:
        self.triaged_at = now
        self.closed_at = now
        self._set_due(None)

    @transition(field=state, source=S.SUBMITTED, target=S.DUPLICATE, permission=is_unit_staff)
    def mark_duplicate(self, *, original: Case, now: dt.datetime) -> None:
        if original.pk == self.pk:
            raise ValidationError({"original": _("A case cannot duplicate itself.")})
        if original.state in (S.DUPLICATE, S.REJECTED, S.WITHDRAWN):
            raise ValidationError(
                {"original": _("The original must be a case that is being or was handled.")}
            )
        self.duplicate_of = original
        self.triaged_at = now
        self.closed_at = now
        self._set_due(None)

    @transition(
        field=state,
        source=[S.SUBMITTED, S.IN_PROGRESS],
        target=S.SUBMITTED,
        conditions=[has_parent_unit],
        permission=is_unit_staff_or_system,
    )
    def escalate(self, *, reason: str, now: dt.datetime) -> None:
        assert self.unit.parent is not None
        self._start_triage_at(self.unit.parent, now)

    @transition(field=state, source=S.SUBMITTED, target=S.SUBMITTED, permission=is_unit_leader)
    def transfer(self, *, unit: Unit, reason: str, now: dt.datetime) -> None:
        if unit.pk == self.unit_id or unit.level != self.unit.level or unit.parent_id != self.unit.parent_id:
            raise ValidationError({"unit": _("Choose another unit of the same level under the same parent.")})
        if not unit.is_active:
            raise ValidationError({"unit": _("That unit is not active.")})
        self._start_triage_at(unit, now)

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.SUBMITTED,
        conditions=[is_above_commune],
        permission=is_unit_leader,
    )
    def return_down(self, *, unit: Unit, reason: str, now: dt.datetime) -> None:
        if unit.pk == self.unit_id or not unit.is_within(self.unit):
            raise ValidationError({"unit": _("Choose a unit below this one.")})
        if not unit.is_active:
            raise ValidationError({"unit": _("That unit is not active.")})
        self._start_triage_at(unit, now)

    @transition(field=state, source=S.IN_PROGRESS, target=S.AWAITING_AGENCY, permission=is_unit_staff)
    def refer(self, *, agency: str, due: dt.date, now: dt.datetime) -> None:
        if not agency.strip():
            raise ValidationError({"agency": _("Name the agency.")})
        if due <= timezone.localtime(now).date():
            raise ValidationError({"due": _("The agency's deadline must be a future date.")})
        self.agency_name = agency.strip()
        self.paused_at = now
        self.agency_due_at = timezone.make_aware(dt.datetime.combine(due, dt.time(23, 59, 59)))
        self._set_due(self.agency_due_at)

    @transition(field=state, source=S.AWAITING_AGENCY, target=S.IN_PROGRESS, permission=is_unit_staff)
    def agency_replied(self, *, note: str, now: dt.datetime) -> None:
        # The resolution clock was paused while the agency had the case.
        assert self.resolution_due_at is not None and self.paused_at is not None
        paused = working_days_between(self.paused_at, now)
        self.resolution_due_at = add_working_days(self.resolution_due_at, paused)
        self.paused_at = None
        self.agency_due_at = None
        self._set_due(self.resolution_due_at)

    @transition(
        field=state, source=S.IN_PROGRESS, target=S.AWAITING_CITIZEN, permission=is_assignee_or_unit_leader
    )
    def ask_citizen(self, *, question: str, now: dt.datetime) -> None:
        """A public question to the citizen; the resolution clock pauses until they answer."""
        self.paused_at = now
        self.citizen_due_at = add_working_days(now, self._policy_for(self.unit).citizen_reply_days)
        self._set_due(self.citizen_due_at)

    def _resume_after_citizen(self, now: dt.datetime) -> None:
        # The resolution clock was paused while the citizen had the question (as for an agency).
        assert self.resolution_due_at is not None and self.paused_at is not None
        paused = working_days_between(self.paused_at, now)
        self.resolution_due_at = add_working_days(self.resolution_due_at, paused)
        self.paused_at = None
        self.citizen_due_at = None
        self._set_due(self.resolution_due_at)

    @transition(field=state, source=S.AWAITING_CITIZEN, target=S.IN_PROGRESS, permission=is_the_citizen)
    def citizen_answered(self, *, now: dt.datetime) -> None:
        self._resume_after_citizen(now)

    @transition(field=state, source=S.AWAITING_CITIZEN, target=S.IN_PROGRESS, permission=is_system)
    def citizen_no_answer(self, *, now: dt.datetime) -> None:
        """No answer by the deadline (the sweep): back to the officer, who decides with what they have."""
        self._resume_after_citizen(now)

    @transition(field=state, source=S.IN_PROGRESS, target=S.IN_PROGRESS, permission=is_unit_leader)
    def reassign(self, *, officer: User, now: dt.datetime) -> None:
        self._require_member(officer, field="officer")
        if officer.pk == self.assignee_id:
            raise ValidationError({"officer": _("The case is already assigned to this officer.")})
        self.assignee = officer

    @transition(
        field=state,
        source=[S.IN_PROGRESS, S.AWAITING_AGENCY, S.PENDING_APPROVAL],
        target=None,
        conditions=[extension_unused],
        permission=is_unit_leader,
    )
    def extend(self, *, days: int, reason: str, now: dt.datetime) -> None:
        limit = self._policy_for(self.unit).max_extension_days
        if not 1 <= days <= limit:
            raise ValidationError(
                {"days": _("An extension is 1 to %(limit)s working days.") % {"limit": limit}}
            )
        assert self.resolution_due_at is not None
        self.resolution_due_at = add_working_days(self.resolution_due_at, days)
        self.extension_used = True
        if self.state != S.AWAITING_AGENCY:
            self._set_due(self.resolution_due_at)

    @transition(field=state, source=S.IN_PROGRESS, target=S.PENDING_APPROVAL, permission=is_unit_staff)
    def submit_response(self, *, text: str, actor: User, now: dt.datetime) -> None:
        self.response_text = text
        self.response_drafted_by = actor

    @transition(field=state, source=S.PENDING_APPROVAL, target=S.RESPONDED, permission=is_unit_leader)
    def approve(self, *, now: dt.datetime, text: str | None = None) -> None:
        if text is not None:  # the leader's edit of the draft: what the citizen reads
            self.response_text = text
        self.responded_at = now
        self.feedback_due_at = now + dt.timedelta(days=self._policy_for(self.unit).feedback_days)
        self._set_due(self.feedback_due_at)

    @transition(field=state, source=S.PENDING_APPROVAL, target=S.IN_PROGRESS, permission=is_unit_leader)
    def send_back(self, *, note: str, now: dt.datetime) -> None:
        self._set_due(self.resolution_due_at)

    def feedback_window_open(self, now: dt.datetime | None = None) -> bool:
        """Whether the citizen may still rate the response (the sweep closes the case after the window)."""
        return self.feedback_due_at is None or (now or timezone.now()) < self.feedback_due_at

    def _require_feedback_window(self, now: dt.datetime) -> None:
        # Checked against the transition's ``now`` rather than as a condition (which sees only
        # the case), so that replaying a case's history at past times works as it did then.
        if not self.feedback_window_open(now):
            raise ValidationError(
                {NON_FIELD_ERRORS: _("The time to give feedback on this response has ended.")}
            )

    @transition(field=state, source=S.RESPONDED, target=S.CLOSED, permission=is_the_citizen)
    def citizen_satisfied(self, *, rating: int, comment: str, now: dt.datetime) -> None:
        self._require_feedback_window(now)
        self.rating = rating
        self.citizen_comment = comment
        self.closed_at = now
        self._set_due(None)

    @transition(
        field=state,
        source=S.RESPONDED,
        target=RETURN_VALUE(S.IN_PROGRESS, S.SUBMITTED),
        permission=is_the_citizen,
    )
    def citizen_unsatisfied(self, *, rating: int, comment: str, now: dt.datetime) -> str:
        """The first dissatisfaction reopens the case at its unit; the second escalates it."""
        self._require_feedback_window(now)
        self.rating = rating
        self.citizen_comment = comment
        self.dissatisfaction_count += 1
        self.responded_at = None
        self.feedback_due_at = None
        if self.dissatisfaction_count >= 2 and self.unit.parent is not None:
            self._start_triage_at(self.unit.parent, now)
            return S.SUBMITTED
        self.triaged_at = self.triaged_at or now
        self._start_resolution(now)
        return S.IN_PROGRESS

    @transition(field=state, source=S.RESPONDED, target=S.CLOSED, permission=is_system)
    def auto_close(self, *, now: dt.datetime) -> None:
        if self.feedback_due_at is None or now < self.feedback_due_at:
            raise ValidationError(_("The citizen's feedback window has not elapsed yet."))
        self.closed_at = now
        self._set_due(None)

    @transition(field=state, source=list(WITHDRAWABLE_STATES), target=S.WITHDRAWN, permission=is_the_citizen)
    def withdraw(self, *, reason: str, now: dt.datetime) -> None:
        self.closed_at = now
        self._set_due(None)


class ActorKind(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Petition received")
    ACCEPT = "accept", _("Accepted")
    REJECT = "reject", _("Rejected")
    MARK_DUPLICATE = "mark_duplicate", _("Marked as duplicate")
    ESCALATE = "escalate", _("Escalated")
    TRANSFER = "transfer", _("Transferred")
    RETURN_DOWN = "return_down", _("Returned to a lower unit")
    REFER = "refer", _("Referred to an agency")
    AGENCY_REPLIED = "agency_replied", _("Agency replied")
    REASSIGN = "reassign", _("Reassigned")
    EXTEND = "extend", _("Deadline extended")
    SUBMIT_RESPONSE = "submit_response", _("Response drafted")
    APPROVE = "approve", _("Response published")
    RESPONSE_EDITED = "response_edited", _("Draft edited by the leader")
    CITIZEN_INFO = "citizen_info", _("Information added by the citizen")
    ASK_CITIZEN = "ask_citizen", _("Question to the citizen")
    CITIZEN_ANSWER = "citizen_answered", _("Answer from the citizen")
    CITIZEN_REMINDER = "citizen_reminder", _("Citizen reminded of the question")
    CITIZEN_NO_ANSWER = "citizen_no_answer", _("No answer from the citizen")
    SEND_BACK = "send_back", _("Response sent back")
    CITIZEN_SATISFIED = "citizen_satisfied", _("Citizen satisfied")
    CITIZEN_UNSATISFIED = "citizen_unsatisfied", _("Citizen not satisfied")
    AUTO_CLOSE = "auto_close", _("Closed automatically")
    WITHDRAW = "withdraw", _("Withdrawn by the citizen")
    NOTE = "note", _("Note")
    REMINDER = "reminder", _("Deadline reminder")
    OVERDUE = "overdue", _("Deadline missed")


class AppendOnlyError(RuntimeError):
    pass


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    """Refuses bulk updates and deletes: the event log is append-only."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("case events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("case events are append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("case events are append-only")

    def rewrite_history(self, **kwargs: Any) -> int:
        """Change past events anyway. Only for generated demo data and data-retention anonymisation."""
        return super().update(**kwargs)


class CaseEvent(models.Model):
    """One row per thing that happened to a case. Never updated, never deleted."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
    )
    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    from_state = models.CharField(_("from state"), max_length=32, choices=CaseState.choices, blank=True)
    to_state = models.CharField(_("to state"), max_length=32, choices=CaseState.choices, blank=True)
    from_unit = models.ForeignKey(
        Unit, verbose_name=_("from unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        Unit, verbose_name=_("to unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    is_public = models.BooleanField(_("shown to the citizen"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)
    case_version = models.PositiveIntegerField(_("case version"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseevent_case_time_idx"),
            models.Index(fields=["kind", "created_at"], name="caseevent_kind_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("case events are append-only")


class ResponseTemplate(models.Model):
    """A reusable response text, kept by a unit's leaders, offered when drafting a response."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="response_templates"
    )
    category = models.ForeignKey(
        "petitions.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Leave empty to offer it for every category."),
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["title"]
        indexes = [models.Index(fields=["unit", "category"], name="template_unit_category_idx")]

    def __str__(self) -> str:
        return self.title


#: Buckets of a rollup's duration histogram (``routing.rollups.duration_bucket``): under a minute,
#: then three per doubling from one minute (each 26 % wider than the one before), the last open-ended
#: (from about 447 days).
HISTOGRAM_BUCKETS = 60


class RollupRow(models.Model):
    """The numbers of one group of cases kept by ``routing.rollups`` (never edited by hand).

    ``scope`` is the unit whose pages read the row (the central committee, or a province for its
    subtree); ``dim`` and ``key`` name the group within it: a unit below the scope (or the scope's
    own cases), a topic (the case's category), or, for the public figures, the petition's province
    or category. ``measure`` says which cases the row counts (``routing.rollups.Measure``); the
    histogram columns ``h00``…``h59`` count their durations (NULL for an empty bucket: most rows
    hold a few cases, and a NULL costs nothing in PostgreSQL's row).
    """

    scope = models.ForeignKey(Unit, on_delete=models.CASCADE, db_index=False, related_name="+")
    dim = models.CharField(max_length=1)
    key = models.IntegerField()
    measure = models.CharField(max_length=12)
    count = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)

    class Meta:
        abstract = True

    def histogram(self) -> list[int]:
        return [getattr(self, f"h{k:02d}") or 0 for k in range(HISTOGRAM_BUCKETS)]


class DailyRollup(RollupRow):
    """One local day's numbers of one group of cases. The one index leads with the scope: a page
    reads one scope's days, and a rebuild deletes days scope by scope."""

    day = models.DateField()

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "day", "measure", "dim", "key"], name="rollup_scope_day_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope_id}/{self.dim}{self.key} {self.measure}: {self.count}"


class MonthlyRollup(RollupRow):
    """A whole month's numbers of one group: the sum of its days' rows, kept for the months that
    have ended (``month`` is the first day). A year's page reads 12 of these per group instead of
    365 daily rows."""

    month = models.DateField()

    class Meta:
        verbose_name = _("monthly rollup")
        verbose_name_plural = _("monthly rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "month", "measure", "dim", "key"], name="rollup_scope_month_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.scope_id}/{self.dim}{self.key} {self.measure}: {self.count}"


for _bucket in range(HISTOGRAM_BUCKETS):
    DailyRollup.add_to_class(f"h{_bucket:02d}", models.IntegerField(null=True, blank=True))
    MonthlyRollup.add_to_class(f"h{_bucket:02d}", models.IntegerField(null=True, blank=True))


class RollupState(models.Model):
    """Where the rollups stand (one row): the last day rolled up and the events already read.

    ``through`` is the last local day whose rows are complete (days after it are counted live
    from the cases); ``event_mark`` the highest case event id whose days were rebuilt, every
    event below it having been committed (``routing.rollups.rollups_catch_up``).
    """

    through = models.DateField(null=True, blank=True)
    event_mark = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"rolled up through {self.through}"
