"""Demo data: staff accounts and a few hundred petitions driven through the real services.

``build_demo`` gives every role something to look at: a commune officer with a
full inbox at Phường Hoàn Kiếm, leaders with drafts to approve, province and
central staff with escalated cases, citizens' ratings, overdue cases, and
petitions in about ten provinces for the monitoring dashboards.

Every petition is submitted with ``petition_submit`` and every move is made by
the named service of ``routing.services``, so the cases, events and versions
are exactly what the portal itself would write. The services stamp their
changes with the current time; to spread the cases over the last four months
the generator then moves the timestamps back (see ``_Driver`` and
``_backdate``). That is the only place where demo code writes to cases
directly, and it touches clock fields only.

Petition number ``n`` of a seed is identified by the idempotency key
``demo-<seed>-<n>`` and built from its own random generator, so it is the
same whatever the total count: running the command again (with the same or a
larger count) skips the petitions that are already there.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, TypeVar

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from petitions.demo.content import (
    AGENCIES,
    AGENCY_REPLIES,
    CATEGORY_WEIGHTS,
    COMMUNE_ESCALATION_REASONS,
    DEMO_PLACES,
    DEMO_STAFF,
    DEMO_SUPERUSER,
    DUPLICATE_NOTE,
    DUPLICATE_OPENERS,
    EXTENSION_REASONS,
    FAMILY_NAMES,
    FEMALE_GIVEN_NAMES,
    FEMALE_MIDDLE_NAMES,
    FEMALE_SECOND_MIDDLE_NAMES,
    FOLLOW_UP_RESPONSES,
    INTERNAL_NOTES,
    LANE_WORDS,
    LEADER_NOTES,
    MALE_GIVEN_NAMES,
    MALE_MIDDLE_NAMES,
    MOBILE_PREFIXES,
    PETITION_TEMPLATES,
    PROVINCE_ESCALATION_REASONS,
    PUBLIC_NOTES,
    REFER_NOTES,
    REJECTION_REASONS,
    SATISFIED_COMMENTS,
    SEND_BACK_NOTES,
    STAFFED_UNITS,
    SYSTEM_ESCALATION_REASON,
    TRIAGE_NOTES,
    UNSATISFIED_COMMENTS,
    WITHDRAW_REASONS,
    DemoPlace,
)
from petitions.demo.two_way import (
    ADDITIONS,
    ANSWERS,
    CITIZEN_LETTER,
    MEETING_MINUTES,
    QUESTIONS,
    REPLY_LETTER,
    stage_demo_document,
)
from petitions.models import Category, Channel, Petition
from petitions.services import Submission, petition_submit
from routing import services
from routing.actors import CitizenActor, SystemActor
from routing.deadlines import add_working_days, is_working_day, policy_for
from routing.errors import CaseConflict
from routing.geodata import point_near, spread_km
from routing.models import Case, CaseEvent, CaseState, Level, Membership, Role, Unit
from routing.sweep import mark_overdue
from routing.units import CENTRAL_CODE

#: Shared by every demo account, printed by ``manage.py seed_demo``. Demo data only.
DEMO_PASSWORD = "demo-Petitions-2026"  # noqa: S105
DEMO_GROUP = "Demo staff"
#: Models the demo officers and leaders may browse in the Django admin.
DEMO_GROUP_VIEWS = (
    ("routing", "case"),
    ("routing", "caseevent"),
    ("petitions", "petition"),
    ("routing", "unit"),
)
#: How far back the demo petitions go.
DEMO_DAYS = 120

S = CaseState


def demo_key(seed: int, number: int) -> str:
    return f"demo-{seed}-{number}"


def demo_key_prefix(seed: int) -> str:
    return f"demo-{seed}-"


class DemoSetupError(RuntimeError):
    """The database lacks what the demo needs (run ``manage.py load_units`` first)."""


@dataclass
class DemoReport:
    seed: int
    petitions_created: int = 0
    petitions_existing: int = 0
    users_created: int = 0
    #: Cases of this seed per state, whether created by this run or an earlier one.
    states: dict[str, int] = field(default_factory=dict)
    #: Open cases of this seed past their deadline.
    overdue: int = 0
    #: (username, role, unit name) of every demo account.
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


# --- planning: what happens to each petition (pure, from its own random generator) --------

_K = TypeVar("_K")

# Actions of a story step.
ACCEPT, REJECT, DUPLICATE, ESCALATE, REFER, AGENCY_REPLIED = (
    "accept",
    "reject",
    "duplicate",
    "escalate",
    "refer",
    "agency_replied",
)
EXTEND, SUBMIT, APPROVE, SEND_BACK, SATISFIED, UNSATISFIED = (
    "extend",
    "submit_response",
    "approve",
    "send_back",
    "satisfied",
    "unsatisfied",
)
AUTO_CLOSE, WITHDRAW, NOTE = "auto_close", "withdraw", "note"
ASK, ANSWER, ADD_INFO = "ask_citizen", "citizen_answered", "citizen_info"
# Who acts.
OFFICER, LEADER, CITIZEN, SYSTEM = "officer", "leader", "citizen", "system"

FINAL_WEIGHTS = {
    S.CLOSED: 33,
    S.RESPONDED: 7,
    S.IN_PROGRESS: 14,
    S.AWAITING_AGENCY: 6,
    S.PENDING_APPROVAL: 6,
    S.SUBMITTED: 7,
    S.REJECTED: 8,
    S.DUPLICATE: 7,
    S.WITHDRAWN: 5,
}
#: Final states that need no staff at the unit where the case ends.
_UNSTAFFED_FINALS = {S.SUBMITTED, S.WITHDRAWN}
_ORIGINAL_FINALS = {S.SUBMITTED, S.IN_PROGRESS, S.AWAITING_AGENCY, S.PENDING_APPROVAL, S.RESPONDED, S.CLOSED}
_CHAIN_LEVELS = (Level.COMMUNE, Level.PROVINCE, Level.CENTRAL)
_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
#: Hours at which citizens write (index = hour of the day).
_SUBMIT_HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.3, 1, 2, 4, 6, 7, 7, 6, 5, 5, 6, 6, 6, 6, 6, 7, 7, 6, 4, 2)


@dataclass
class _Step:
    action: str
    role: str
    delay: dt.timedelta
    text: str = ""
    public: bool = False
    days: int = 0
    rating: int = 0
    agency: str = ""
    #: Level of the unit the case is at when the step happens (for deadline-bound steps).
    level: str = ""
    #: A generated PDF goes with the step (a citizen's minutes, the unit's reply letter).
    document: bool = False


@dataclass
class _Plan:
    number: int
    key: str
    rng: random.Random
    place: DemoPlace
    category: str
    template: int
    street: str
    lane: int
    fields: dict[str, Any]
    officer_entered: bool
    final: str
    chain: list[str]
    levels: list[str]
    handler: int
    steps: list[_Step]
    #: Open cases: time from the last step to now. Finished cases: age of the petition.
    gap: dt.timedelta
    submit_hour: int
    #: Idempotency key of the petition this one duplicates.
    duplicate_of: str | None = None


def _pick(rng: random.Random, weighted: Iterable[tuple[_K, float]]) -> _K:
    items = list(weighted)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _hours(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(hours=rng.uniform(low, high))


def _fold(text: str) -> str:
    """ASCII letters of a Vietnamese name, for e-mail addresses."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


def _full_name(rng: random.Random) -> str:
    family = _pick(rng, FAMILY_NAMES)
    if rng.random() < 0.5:
        middle, given = _pick(rng, MALE_MIDDLE_NAMES), rng.choice(MALE_GIVEN_NAMES)
    else:
        middle, given = _pick(rng, FEMALE_MIDDLE_NAMES), rng.choice(FEMALE_GIVEN_NAMES)
        if middle == "Thị" and rng.random() < 0.25:
            middle = f"Thị {rng.choice(FEMALE_SECOND_MIDDLE_NAMES)}"
    if given in middle.split():
        given = rng.choice([g for g in (*MALE_GIVEN_NAMES, *FEMALE_GIVEN_NAMES) if g not in middle.split()])
    return f"{family} {middle} {given}"


def _phone(rng: random.Random) -> str:
    digits = f"{rng.randrange(10_000_000):07d}"
    return f"0{rng.choice(MOBILE_PREFIXES)}{digits[0]} {digits[1:4]} {digits[4:]}"


def _email(rng: random.Random, name: str) -> str:
    parts = name.split()
    if rng.random() < 0.5:
        local = f"{_fold(parts[-1])}.{_fold(parts[0])}{rng.randint(70, 99)}"
    else:
        local = f"{''.join(_fold(p) for p in parts)}{rng.randint(1, 999)}"
    return f"{local}@example.com"


def _province_phrase(name: str) -> str:
    """ "Thành phố Hà Nội" -> "thành phố Hà Nội", "Thanh Hóa" -> "tỉnh Thanh Hóa"."""
    prefix = "Thành phố "
    return f"thành phố {name[len(prefix) :]}" if name.startswith(prefix) else f"tỉnh {name}"


def _unit_phrase(name: str) -> str:
    """ "Phường Hoàn Kiếm" -> "phường Hoàn Kiếm"."""
    return name[:1].lower() + name[1:]


class _Planner:
    """Decides, for each petition number, what the citizen writes and what happens next."""

    def __init__(self, *, seed: int, categories: dict[str, Category], units: dict[str, Unit]) -> None:
        self.seed = seed
        self.categories = categories
        self.units = units
        self.unit_names = {code: unit.name for code, unit in units.items()}
        self.plans: list[_Plan] = []
        self.category_weights = [(c, w) for c, w in CATEGORY_WEIGHTS.items() if c in categories]
        self.place_weights = [(p, p.weight) for p in DEMO_PLACES]

    def plan(self, count: int) -> list[_Plan]:
        for number in range(len(self.plans), count):
            self.plans.append(self._plan(number))
        return self.plans[:count]

    def _plan(self, number: int) -> _Plan:
        # One generator per petition, so petition n is the same whatever the total count.
        rng = random.Random(f"{demo_key(self.seed, number)}")
        place = _pick(rng, self.place_weights)
        category = _pick(rng, self.category_weights)
        template = rng.randrange(len(PETITION_TEMPLATES[category]))
        street = rng.choice(place.streets)
        house, lane = rng.randint(1, 180), rng.randint(2, 120)
        final: str = _pick(rng, FINAL_WEIGHTS.items())
        addressed_up = rng.random() < 0.03
        duplicate_of = None
        if final == S.DUPLICATE:
            original = self._original_for(place, rng)
            if original is None:
                final = _pick(rng, ((state, w) for state, w in FINAL_WEIGHTS.items() if state != S.DUPLICATE))
            else:
                duplicate_of = original.key
                category, template, street, lane = (
                    original.category,
                    original.template,
                    original.street,
                    original.lane,
                )
        default_level = self.categories[category].default_level
        target_level = Level.PROVINCE if addressed_up and not default_level and final != S.DUPLICATE else ""
        start = _CHAIN_LEVELS.index(Level(target_level or default_level or Level.COMMUNE))
        chain = [place.commune, place.province, CENTRAL_CODE][start:]
        levels: list[str] = list(_CHAIN_LEVELS[start:])
        values: dict[str, Any] = {
            "street": street,
            "lane": f"{LANE_WORDS.get(place.province, 'ngõ')} {lane} {street.split(' ', 1)[1]}",
            "no": house,
            "commune": _unit_phrase(self.unit_names[place.commune]),
            "province": _province_phrase(self.unit_names[place.province]),
        }

        handler = self._handler(rng, final, chain)
        if handler is None:
            final = S.SUBMITTED if rng.random() < 0.6 else S.WITHDRAWN
            handler = 0
        story = _Story(rng, chain=chain, levels=levels, category=category, template=template, values=values)
        # The two-way steps draw from a generator of their own: the rest of the demo stays as it was.
        story.two_way = random.Random(f"{demo_key(self.seed, number)}-two-way")
        steps = story.build(final=final, handler=handler)
        if final in (S.SUBMITTED, S.IN_PROGRESS, S.PENDING_APPROVAL) and rng.random() < 0.22:
            late_hours: dict[str, tuple[int, int]] = {
                S.SUBMITTED: (96, 216),
                S.IN_PROGRESS: (260, 420),
                S.PENDING_APPROVAL: (150, 300),
            }
            gap = _hours(rng, *late_hours[final])
        elif final in (S.SUBMITTED, S.PENDING_APPROVAL):
            gap = _hours(rng, 0.5, 48)
        elif final == S.IN_PROGRESS:
            gap = _hours(rng, 1, 96)
        elif final == S.AWAITING_AGENCY:
            gap = _hours(rng, 1, 300)
        elif final == S.RESPONDED:
            gap = _hours(rng, 1, 130)
        else:
            total = sum((s.delay for s in steps), dt.timedelta()) + 3 * _HOUR
            span = max(dt.timedelta(days=DEMO_DAYS) - total, _DAY)
            # Finished petitions spread evenly over the period.
            gap = total + span * rng.random()

        fields = self._fields(rng, place, category, template, values, target_level)
        if duplicate_of is not None:
            fields["text"] = rng.choice(DUPLICATE_OPENERS) + fields["text"]
            fields.update(_beside(original, demo_key(self.seed, number)))
        officer_entered = place.commune in STAFFED_UNITS and rng.random() < 0.12
        return _Plan(
            number=number,
            key=demo_key(self.seed, number),
            rng=rng,
            place=place,
            category=category,
            template=template,
            street=street,
            lane=lane,
            fields=fields,
            officer_entered=officer_entered,
            final=final,
            chain=chain,
            levels=levels,
            handler=handler,
            steps=steps,
            gap=gap,
            submit_hour=_pick(rng, enumerate(_SUBMIT_HOUR_WEIGHTS)),
            duplicate_of=duplicate_of,
        )

    def _original_for(self, place: DemoPlace, rng: random.Random) -> _Plan | None:
        """An earlier petition at the same ward that an officer there can still see and merge into."""
        if place.commune not in STAFFED_UNITS:
            return None
        candidates = [
            p
            for p in self.plans[-60:]
            if p.place.commune == place.commune
            and p.chain[0] == place.commune
            and p.handler == 0
            and p.duplicate_of is None
            and p.final in _ORIGINAL_FINALS
            and not any(s.action == ESCALATE for s in p.steps)
        ]
        return rng.choice(candidates) if candidates else None

    @staticmethod
    def _handler(rng: random.Random, final: str, chain: list[str]) -> int | None:
        """Index in ``chain`` of the unit where the case ends, or None if no demo staff can get it there.

        A case leaves a unit without demo staff only by the system's escalation for a missed
        triage deadline, for half of them (the other half stay there, waiting or withdrawn),
        and at most once: twice would be a story of neglect, not a demo.
        """
        roll, neglect = rng.random(), rng.random()
        if chain[0] not in STAFFED_UNITS and final not in _UNSTAFFED_FINALS and neglect < 0.5:
            return None
        wanted = 0 if final == S.DUPLICATE else (2 if roll < 0.03 else 1 if roll < 0.15 else 0)
        wanted = min(wanted, len(chain) - 1)
        for handler in range(wanted, len(chain)):
            if sum(1 for code in chain[:handler] if code not in STAFFED_UNITS) > 1:
                break
            if final in _UNSTAFFED_FINALS or chain[handler] in STAFFED_UNITS:
                return handler
        return 0 if final in _UNSTAFFED_FINALS else None

    def _fields(
        self,
        rng: random.Random,
        place: DemoPlace,
        category: str,
        template_index: int,
        values: dict[str, Any],
        target_level: str,
    ) -> dict[str, Any]:
        template = PETITION_TEMPLATES[category][template_index]
        name = _full_name(rng)
        # Draw every number whatever the category allows, so that later draws do not depend on it.
        anonymous = rng.random() < 0.07 and self.categories[category].allows_anonymous
        email = _email(rng, name) if rng.random() < 0.35 else ""
        where = rng.random()
        if where < 0.1:
            address = ""
        elif "{lane}" in template.text:
            address = f"Số {values['no']} {values['lane']}"
        else:
            address = f"Số {values['no']} {values['street']}"
        latitude = longitude = None
        if rng.random() < 0.65:
            # Anywhere in a disc as large as the ward around its centre (routing.geodata); the
            # two numbers are drawn even when the ward has no point, so later draws stay the same.
            u, v = rng.random(), rng.random()
            commune = self.units[place.commune]
            if commune.latitude is not None and commune.longitude is not None:
                lat, lon = point_near(
                    latitude=commune.latitude,
                    longitude=commune.longitude,
                    radius_km=spread_km(commune.area_km2),
                    u=u,
                    v=v,
                )
                latitude, longitude = str(lat), str(lon)
        return {
            "category": self.categories[category],
            "commune": place.commune,
            "phone": _phone(rng),
            "title": template.title.format(**values),
            "text": template.text.format(**values),
            "submitter_name": "" if anonymous else name,
            "is_anonymous": anonymous,
            "email": email,
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
            "target_level": target_level,
            "consent_publish": rng.random() < 0.6,
        }


#: How far from its original a demo duplicate is reported: the same place, seen from the street.
DUPLICATE_WITHIN_KM = 0.08


def _beside(original: _Plan | None, key: str) -> dict[str, Any]:
    """A duplicate's point, within ``DUPLICATE_WITHIN_KM`` of its original's (when it has one).

    Drawn from a generator of its own, so that every other draw of the petition stays the same.
    The desk's "nearby open cases" then finds the original beside it, as FixMyStreet would.
    """
    if original is None or original.fields.get("latitude") is None:
        return {}
    near = random.Random(f"{key}-beside")
    lat, lon = point_near(
        latitude=Decimal(original.fields["latitude"]),
        longitude=Decimal(original.fields["longitude"]),
        radius_km=DUPLICATE_WITHIN_KM,
        u=near.random(),
        v=near.random(),
    )
    return {"latitude": str(lat), "longitude": str(lon)}


class _Story:
    """The steps that take one case from submission to its final state."""

    def __init__(
        self,
        rng: random.Random,
        *,
        chain: list[str],
        levels: list[str],
        category: str,
        template: int,
        values: dict[str, Any],
    ) -> None:
        self.rng = rng
        self.chain = chain
        self.levels = levels
        self.category = category
        self.values = values
        self.response = PETITION_TEMPLATES[category][template].response.format(**values)
        self.steps: list[_Step] = []
        self.dissatisfied = 0
        self.two_way = random.Random(0)

    def add(self, action: str, role: str, low: float, high: float, **kwargs: Any) -> None:
        self.steps.append(_Step(action, role, _hours(self.rng, low, high), **kwargs))

    def build(self, *, final: str, handler: int) -> list[_Step]:
        for index in range(handler):
            self._escalation(index)
        staffed = self.chain[handler] in STAFFED_UNITS
        rng = self.rng
        if final == S.SUBMITTED:
            if staffed and rng.random() < 0.15:
                self.add(NOTE, OFFICER, 1, 20, text=rng.choice(TRIAGE_NOTES))
        elif final == S.WITHDRAWN:
            if staffed and rng.random() < 0.35:
                self._accept()
            self.add(WITHDRAW, CITIZEN, 1, 240, text=rng.choice(WITHDRAW_REASONS))
        elif final == S.REJECTED:
            self.add(REJECT, OFFICER, 2, 72, text=rng.choice(REJECTION_REASONS))
        elif final == S.DUPLICATE:
            self.add(DUPLICATE, OFFICER, 1, 48)
        else:
            self._work(final, handler)
        return self.steps

    def _escalation(self, index: int) -> None:
        rng = self.rng
        reasons = (
            COMMUNE_ESCALATION_REASONS if self.levels[index] == Level.COMMUNE else PROVINCE_ESCALATION_REASONS
        )
        if self.chain[index] not in STAFFED_UNITS:
            # The sweep's escalation, some hours after the triage deadline (the delay is only an estimate).
            self.steps.append(
                _Step(ESCALATE, SYSTEM, 5 * _DAY, text=SYSTEM_ESCALATION_REASON, level=self.levels[index])
            )
            return
        roll = rng.random()
        if roll < 0.55:
            if rng.random() < 0.4:
                self.add(NOTE, OFFICER, 1, 24, text=rng.choice(INTERNAL_NOTES))
            self.add(ESCALATE, OFFICER, 3, 72, text=rng.choice(reasons))
        elif roll < 0.9 or self.dissatisfied:
            self._accept()
            if rng.random() < 0.5:
                self.add(NOTE, OFFICER, 4, 72, text=rng.choice(INTERNAL_NOTES))
            self.add(ESCALATE, OFFICER, 24, 144, text=rng.choice(reasons))
        else:
            # The citizen was not satisfied twice: the second time escalates the case.
            self._accept()
            self._respond(self.response)
            self._unsatisfied()
            self._respond(rng.choice(FOLLOW_UP_RESPONSES))
            self._unsatisfied()

    def _accept(self) -> None:
        role = LEADER if self.rng.random() < 0.3 else OFFICER
        late = self.rng.random() < 0.15
        self.add(ACCEPT, role, *((60, 120) if late else (2, 60)))

    def _respond(self, text: str, *, final: str = S.RESPONDED) -> None:
        rng = self.rng
        if rng.random() < 0.18:
            # A first draft without the specifics; the leader sends it back.
            self.add(SUBMIT, OFFICER, 24, 192, text=text.split(". ")[0].rstrip(".") + ".")
            self.add(SEND_BACK, LEADER, 2, 48, text=rng.choice(SEND_BACK_NOTES))
            self.add(SUBMIT, OFFICER, 12, 72, text=text)
        else:
            self.add(SUBMIT, OFFICER, 24, 192, text=text)
        # The signed reply letter with some final drafts.
        self.steps[-1].document = self.two_way.random() < 0.25
        if final != S.PENDING_APPROVAL:
            self.add(APPROVE, LEADER, 2, 48)

    def _unsatisfied(self) -> None:
        rating = _pick(self.rng, ((1, 45), (2, 40), (3, 15)))
        self.add(UNSATISFIED, CITIZEN, 4, 120, rating=rating, text=self.rng.choice(UNSATISFIED_COMMENTS))
        self.dissatisfied += 1

    def _work(self, final: str, handler: int) -> None:
        rng = self.rng
        self._accept()
        if rng.random() < 0.45:
            if rng.random() < 0.35:
                self.add(NOTE, OFFICER, 2, 72, text=rng.choice(PUBLIC_NOTES), public=True)
            elif rng.random() < 0.3:
                self.add(NOTE, LEADER, 2, 48, text=rng.choice(LEADER_NOTES))
            else:
                self.add(NOTE, OFFICER, 2, 96, text=rng.choice(INTERNAL_NOTES))
        if final == S.AWAITING_AGENCY:
            if rng.random() < 0.15:
                self._extend()
            self._refer()
            return
        if self._two_way(final):
            return
        if rng.random() < 0.25:
            self._refer()
            agency = self.steps[-1].agency
            self.add(AGENCY_REPLIED, OFFICER, 72, 288, text=rng.choice(AGENCY_REPLIES).format(agency=agency))
        if rng.random() < 0.15:
            self._extend()
        if final == S.IN_PROGRESS:
            roll = rng.random()
            if roll < 0.12:
                self.add(SUBMIT, OFFICER, 24, 192, text=self.response)
                self.add(SEND_BACK, LEADER, 2, 48, text=rng.choice(SEND_BACK_NOTES))
            elif roll < 0.22 and not self.dissatisfied:
                self._respond(self.response)
                self._unsatisfied()
            elif roll < 0.4:
                self.add(NOTE, OFFICER, 2, 72, text=rng.choice(PUBLIC_NOTES), public=True)
            return
        response = rng.choice(FOLLOW_UP_RESPONSES) if self.dissatisfied else self.response
        self._respond(response, final=final)
        if final in (S.PENDING_APPROVAL, S.RESPONDED):
            return
        roll = rng.random()
        if roll > 0.87 and not self.dissatisfied:
            self._unsatisfied()
            self._respond(rng.choice(FOLLOW_UP_RESPONSES))
            roll = rng.random() * 0.87
        if roll < 0.62:
            rating = _pick(rng, ((5, 40), (4, 35), (3, 17), (2, 6), (1, 2)))
            self.add(SATISFIED, CITIZEN, 2, 144, rating=rating, text=rng.choice(SATISFIED_COMMENTS))
        else:
            self.steps.append(_Step(AUTO_CLOSE, SYSTEM, 8 * _DAY, level=self.levels[handler]))

    def _two_way(self, final: str) -> bool:
        """Now and then the citizen adds something, or the unit asks them; True when the case waits for them."""
        extra = self.two_way
        if extra.random() < 0.08:
            self.add(ADD_INFO, CITIZEN, 6, 120, text=extra.choice(ADDITIONS), document=extra.random() < 0.4)
        if extra.random() >= 0.12:
            return False
        self.add(ASK, OFFICER, 4, 72, text=extra.choice(QUESTIONS))
        if final == S.IN_PROGRESS and extra.random() < 0.35:
            return True  # the question is still open
        answer = extra.choice(ANSWERS).format(**self.values)
        self.add(ANSWER, CITIZEN, 3, 96, text=answer, document="biên bản" in answer)
        return False

    def _refer(self) -> None:
        agency = self.rng.choice(AGENCIES[self.category]).format(**self.values)
        note = self.rng.choice(REFER_NOTES).format(agency=agency)
        self.add(REFER, OFFICER, 12, 96, agency=agency, days=self.rng.randint(7, 15), text=note)

    def _extend(self) -> None:
        self.add(
            EXTEND, LEADER, 48, 168, days=self.rng.randint(3, 10), text=self.rng.choice(EXTENSION_REASONS)
        )


# --- running the plans through the services ------------------------------------------


def _office_time(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    """``moment``, or the next time the offices are open (8:00-17:00 on working days)."""
    local = timezone.localtime(moment)
    day = local.date()
    if is_working_day(day) and 8 <= local.hour < 17:
        return moment
    if not is_working_day(day) or local.hour >= 17:
        day += _DAY
        while not is_working_day(day):
            day += _DAY
    opening = timezone.make_aware(dt.datetime.combine(day, dt.time(8)))
    return opening + dt.timedelta(minutes=rng.randint(0, 150))


class _UnitStaff(NamedTuple):
    officers: list[User]
    leader: User


_SERVICE_ERRORS = (ValidationError, CaseConflict, PermissionDenied)
#: Case fields the demo moves back in time (set by the transitions from their ``now``).
BACKDATED_CASE_FIELDS = (
    "submitted_at",
    "triaged_at",
    "responded_at",
    "closed_at",
    "updated_at",
    "due_at",
    "triage_due_at",
    "resolution_due_at",
    "agency_due_at",
    "feedback_due_at",
    "paused_at",
    "citizen_due_at",
)


class _Driver:
    """Submits the planned petitions and moves their cases through ``routing.services``.

    The services stamp every change with the current time. To backdate a case,
    the driver also runs the same transitions, with the planned times, on an
    unsaved copy of the case (its *shadow*) that never reaches the database
    itself: its clock fields (submission, triage, response, deadlines) are
    computed by the model's own rules, and are copied onto the real rows in bulk
    at the end, together with the events' ``created_at``.
    """

    def __init__(self, *, staff: dict[str, _UnitStaff], report: DemoReport, now: dt.datetime) -> None:
        self.staff = staff
        self.report = report
        self.now = now
        self.shadows: list[Case] = []
        self.event_times: list[tuple[int, dt.datetime]] = []

    # -- one petition --

    def run(self, plan: _Plan) -> None:
        original = None
        start = None
        if plan.duplicate_of is not None:
            original = (
                Case.objects.select_related("petition")
                .filter(petition__idempotency_key=plan.duplicate_of)
                .first()
            )
            if original is not None:
                start = original.submitted_at + _hours(plan.rng, 4, 200)
        times = self._timeline(plan, start=start)
        entered_by = self.staff[plan.place.commune].officers[0] if plan.officer_entered else None
        files: dict[str, Any] = {}
        letter = random.Random(f"{plan.key}-letter").random() < (0.3 if entered_by else 0.04)
        if letter and not Petition.objects.filter(idempotency_key=plan.key).exists():
            key = f"demo-{plan.key}"
            unit = Unit.objects.filter(code=plan.chain[0]).values_list("name", flat=True).first() or ""
            token = stage_demo_document(
                CITIZEN_LETTER, session_key=key, unit=unit, title=plan.fields["title"]
            )
            files = {"document_tokens": [token]}
        try:
            result = petition_submit(
                submission=Submission(**plan.fields, **files),
                session_key=f"demo-{plan.key}",
                channel=Channel.OFFICER if entered_by else Channel.WEB,
                entered_by=entered_by,
                idempotency_key=plan.key,
                notify=False,  # demo citizens get no SMS
                now=times[0],
            )
        except ValidationError as exc:
            self.report.warnings.append(f"{plan.key}: not submitted: {'; '.join(exc.messages)}")
            return
        if not result.created:
            self.report.petitions_existing += 1
            return
        self.report.petitions_created += 1
        shadow = Case.objects.select_related("unit__parent", "petition").get(petition=result.petition)
        done = [times[0]]
        for step, moment in zip(plan.steps, times[1:], strict=True):
            try:
                self._perform(plan, shadow, step, moment, original)
            except _SERVICE_ERRORS as exc:
                message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
                self.report.warnings.append(f"{plan.key}: stopped before {step.action}: {message}")
                break
            shadow.updated_at = moment
            done.append(moment)
        self.shadows.append(shadow)
        event_ids = list(
            CaseEvent.objects.filter(case_id=shadow.pk).order_by("id").values_list("id", flat=True)
        )
        if len(event_ids) != len(done):  # pragma: no cover - one event per service call
            self.report.warnings.append(f"{plan.key}: events not backdated ({len(event_ids)} != {len(done)})")
            return
        self.event_times.extend(zip(event_ids, done, strict=True))

    def _timeline(self, plan: _Plan, *, start: dt.datetime | None) -> list[dt.datetime]:
        """When the petition was submitted and when each step happens; all before now."""
        latest = self.now - 10 * dt.timedelta(minutes=1)
        total = sum((s.delay for s in plan.steps), dt.timedelta())
        if start is not None:
            first = min(start, latest - total)
        elif plan.final in (S.CLOSED, S.REJECTED, S.DUPLICATE, S.WITHDRAWN):
            first = self.now - plan.gap
        else:
            first = self.now - plan.gap - total
        if start is None:
            local = timezone.localtime(first)
            first = local.replace(
                hour=plan.submit_hour, minute=plan.rng.randrange(60), second=plan.rng.randrange(60)
            )
        times: list[dt.datetime] = []
        for attempt in range(6):
            times = self._forward(plan, first, snap=attempt < 5)
            overshoot = times[-1] - latest
            if overshoot <= dt.timedelta():
                return times
            first -= overshoot + _HOUR
        return [min(t, latest) for t in times]

    def _forward(self, plan: _Plan, first: dt.datetime, *, snap: bool) -> list[dt.datetime]:
        rng = plan.rng
        category_id = plan.fields["category"].pk
        moment = _office_time(first, rng) if plan.officer_entered and snap else first
        times = [moment]
        for step in plan.steps:
            if step.action == ESCALATE and step.role == SYSTEM:
                triage = policy_for(step.level, category_id).triage_days
                moment = add_working_days(moment, triage) + _hours(rng, 0.1, 8)
            elif step.action == AUTO_CLOSE:
                moment += policy_for(step.level, category_id).feedback_days * _DAY + _hours(rng, 0.1, 20)
            else:
                moment += step.delay
                if snap and step.role in (OFFICER, LEADER):
                    moment = _office_time(moment, rng)
            times.append(moment)
        return times

    def _officer(self, plan: _Plan, shadow: Case) -> User:
        staff = self.staff[shadow.unit.code]
        assignee = next((o for o in staff.officers if o.pk == shadow.assignee_id), None)
        return assignee or plan.rng.choice(staff.officers)

    def _perform(
        self, plan: _Plan, shadow: Case, step: _Step, now: dt.datetime, original: Case | None
    ) -> None:
        """Run one step through its service, then the same transition on the shadow at ``now``."""
        case_id = shadow.pk
        unit_code = shadow.unit.code
        citizen = CitizenActor(petition_id=shadow.petition_id)
        if step.action == NOTE:
            author = self.staff[unit_code].leader if step.role == LEADER else self._officer(plan, shadow)
            services.case_add_note(case_id=case_id, actor=author, text=step.text, is_public=step.public)
        elif step.action == ACCEPT:
            assignee = plan.rng.choice(self.staff[unit_code].officers)
            accepter = self.staff[unit_code].leader if step.role == LEADER else assignee
            services.case_accept(case_id=case_id, actor=accepter, assignee=assignee)
            shadow.accept(assignee=assignee, actor=accepter, now=now)
        elif step.action == REJECT:
            services.case_reject(case_id=case_id, actor=self._officer(plan, shadow), reason=step.text)
            shadow.reject(reason=step.text, now=now)
        elif step.action == DUPLICATE:
            if original is None:
                raise ValidationError("the original petition is missing")
            note = DUPLICATE_NOTE.format(code=original.petition.tracking_code)
            services.case_mark_duplicate(
                case_id=case_id, actor=self._officer(plan, shadow), original_id=original.pk, note=note
            )
            shadow.mark_duplicate(original=original, now=now)
        elif step.action == ESCALATE:
            escalator: Any = (
                SystemActor(reason="triage_overdue") if step.role == SYSTEM else self._officer(plan, shadow)
            )
            services.case_escalate(case_id=case_id, actor=escalator, reason=step.text)
            shadow.escalate(reason=step.text, now=now)
        elif step.action == REFER:
            planned_due = timezone.localtime(now).date() + dt.timedelta(days=step.days)
            # The service only takes a future date; the shadow keeps the planned one.
            due = max(planned_due, timezone.localdate() + _DAY)
            services.case_refer(
                case_id=case_id,
                actor=self._officer(plan, shadow),
                agency=step.agency,
                due=due,
                note=step.text,
            )
            shadow.refer(agency=step.agency, due=planned_due, now=now)
        elif step.action == AGENCY_REPLIED:
            services.case_agency_replied(case_id=case_id, actor=self._officer(plan, shadow), note=step.text)
            shadow.agency_replied(note=step.text, now=now)
        elif step.action == EXTEND:
            days = min(
                step.days, policy_for(shadow.unit.level, shadow.petition.category_id).max_extension_days
            )
            leader = self.staff[unit_code].leader
            services.case_extend(case_id=case_id, actor=leader, days=days, reason=step.text)
            shadow.extend(days=days, reason=step.text, now=now)
        elif step.action == SUBMIT:
            drafter = self._officer(plan, shadow)
            services.case_submit_response(
                case_id=case_id,
                actor=drafter,
                text=step.text,
                **self._document(plan, shadow, REPLY_LETTER if step.document else None),
            )
            shadow.submit_response(text=step.text, actor=drafter, now=now)
        elif step.action == APPROVE:
            services.case_approve(case_id=case_id, actor=self.staff[unit_code].leader)
            shadow.approve(now=now)
        elif step.action == SEND_BACK:
            services.case_send_back(case_id=case_id, actor=self.staff[unit_code].leader, note=step.text)
            shadow.send_back(note=step.text, now=now)
        elif step.action in (SATISFIED, UNSATISFIED):
            resolved = step.action == SATISFIED
            services.case_citizen_feedback(
                case_id=case_id, actor=citizen, resolved=resolved, rating=step.rating, comment=step.text
            )
            if resolved:
                shadow.citizen_satisfied(rating=step.rating, comment=step.text, now=now)
            else:
                shadow.citizen_unsatisfied(rating=step.rating, comment=step.text, now=now)
        elif step.action == AUTO_CLOSE:
            # The real feedback window started when the services ran, moments ago: close the
            # case at its end (in the future) and let the backdating move it to the planned time.
            window_end = Case.objects.values_list("feedback_due_at", flat=True).get(pk=case_id)
            services.case_auto_close(case_id=case_id, now=max(now, window_end or now))
            shadow.auto_close(now=now)
        elif step.action == ASK:
            services.case_ask_citizen(case_id=case_id, actor=self._officer(plan, shadow), question=step.text)
            shadow.ask_citizen(question=step.text, now=now)
        elif step.action == ANSWER:
            services.case_citizen_answer(
                case_id=case_id,
                actor=citizen,
                text=step.text,
                **self._document(plan, shadow, MEETING_MINUTES if step.document else None),
            )
            shadow.citizen_answered(now=now)
        elif step.action == ADD_INFO:
            services.case_citizen_add_info(
                case_id=case_id,
                actor=citizen,
                text=step.text,
                **self._document(plan, shadow, MEETING_MINUTES if step.document else None),
            )
        elif step.action == WITHDRAW:
            services.case_withdraw(case_id=case_id, actor=citizen, reason=step.text)
            shadow.withdraw(reason=step.text, now=now)
        else:  # pragma: no cover
            raise ValueError(f"unknown demo step {step.action}")

    def _document(self, plan: _Plan, shadow: Case, kind: Any) -> dict[str, Any]:
        """The keywords that give a service one generated document of ``kind`` (none without a kind)."""
        if kind is None:
            return {}
        key = f"demo-{plan.key}"
        token = stage_demo_document(kind, session_key=key, unit=shadow.unit.name, title=shadow.petition.title)
        return {"document_tokens": [token], "session_key": key}

    # -- all of them --

    def backdate(self) -> None:
        """Write the planned times onto the cases and events, in bulk.

        This bypasses the services on purpose and only for clock fields: a demo
        generator may rewrite history, the portal may not. The event log is
        append-only (no ``save()`` of an existing row, no ``update()``), so the
        events go through ``rewrite_history``, its one documented way round.
        """
        if not self.shadows:
            return
        real = dict(Case.objects.filter(pk__in=[s.pk for s in self.shadows]).values_list("pk", "state"))
        diverged = [s.pk for s in self.shadows if real[s.pk] != s.state]
        if diverged:  # pragma: no cover - the shadow runs the very transitions the services ran
            raise RuntimeError(f"demo backdating diverged from the services for cases {diverged[:10]}")
        Case.objects.bulk_update(self.shadows, BACKDATED_CASE_FIELDS, batch_size=200)
        for start in range(0, len(self.event_times), 500):
            batch = self.event_times[start : start + 500]
            moments = models.Case(
                *(models.When(pk=pk, then=models.Value(moment)) for pk, moment in batch),
                output_field=models.DateTimeField(),
            )
            CaseEvent.objects.filter(pk__in=[pk for pk, _ in batch]).rewrite_history(created_at=moments)


# --- accounts ------------------------------------------------------------------------


def _ensure_group() -> Group:
    group, _ = Group.objects.get_or_create(name=DEMO_GROUP)
    permissions = []
    for app_label, model in DEMO_GROUP_VIEWS:
        content_type = ContentType.objects.get_by_natural_key(app_label, model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"view_{model}", defaults={"name": f"Can view {model}"}
        )
        permissions.append(permission)
    group.permissions.add(*permissions)
    return group


DEMO_RESPONSE_TEMPLATES = (
    (
        None,
        "Đã xử lý xong",
        "Kính gửi ông/bà,\n\nỦy ban đã tiếp nhận và kiểm tra nội dung phản ánh. "
        "Vụ việc đã được xử lý xong vào ngày [ngày]: [nêu kết quả].\n\n"
        "Trân trọng cảm ơn ông/bà đã phản ánh.",
    ),
    (
        "environment",
        "Thu gom rác thải",
        "Kính gửi ông/bà,\n\nĐơn vị đã yêu cầu đơn vị thu gom rác thải khắc phục tại [địa điểm] "
        "và tăng tần suất thu gom. Đề nghị ông/bà tiếp tục phản ánh nếu tình trạng tái diễn.",
    ),
    (
        "transport",
        "Sửa chữa hạ tầng giao thông",
        "Kính gửi ông/bà,\n\nĐơn vị đã chuyển nội dung đến [cơ quan] để khảo sát và sửa chữa "
        "[hạng mục]. Dự kiến hoàn thành trước ngày [ngày].",
    ),
)


def _ensure_response_templates(staff: dict[str, _UnitStaff], categories: dict[str, Any]) -> None:
    """A few templates per staffed unit, so "start from a template" can be tried at once."""
    from routing.models import ResponseTemplate
    from routing.services import response_template_save

    for unit_staff in staff.values():
        leader = unit_staff.leader
        existing = set(
            ResponseTemplate.objects.filter(unit__memberships__user=leader).values_list("title", flat=True)
        )
        for code, title, text in DEMO_RESPONSE_TEMPLATES:
            if title in existing or (code and code not in categories):
                continue
            response_template_save(
                actor=leader, title=title, text=text, category=categories.get(code) if code else None
            )


def _ensure_accounts(report: DemoReport) -> dict[str, _UnitStaff]:
    """Create or refresh the demo staff; return officers and leader per unit code."""
    units = {u.code: u for u in Unit.objects.filter(code__in=STAFFED_UNITS)}
    group = _ensure_group()
    # One hash for the shared password: hashing it for every account would cost seconds.
    password = make_password(DEMO_PASSWORD)
    for spec in DEMO_STAFF:
        superuser = spec.username == DEMO_SUPERUSER
        user, created = User.objects.get_or_create(username=spec.username)
        report.users_created += created
        # The full name goes in first_name: get_full_name() then reads in Vietnamese order.
        user.first_name, user.last_name = spec.full_name, ""
        user.email = f"{spec.username}@example.com"
        user.is_active = user.is_staff = True
        user.is_superuser = superuser
        if created or not user.has_usable_password():
            # Only new accounts: setting it again would sign every demo user out on each `make run`.
            user.password = password
        user.save()
        Membership.objects.update_or_create(
            user=user, defaults={"unit": units[spec.unit_code], "role": spec.role}
        )
        if not superuser:
            user.groups.add(group)
        report.accounts.append((spec.username, spec.role, units[spec.unit_code].name))

    users = {
        u.username: u
        for u in User.objects.select_related("membership__unit").filter(
            username__in=[s.username for s in DEMO_STAFF]
        )
    }
    staff: dict[str, _UnitStaff] = {}
    for code in STAFFED_UNITS:
        officers = [users[s.username] for s in DEMO_STAFF if s.unit_code == code and s.role == Role.OFFICER]
        leader = next(users[s.username] for s in DEMO_STAFF if s.unit_code == code and s.role == Role.LEADER)
        staff[code] = _UnitStaff(officers, leader)
    return staff


def _check_units() -> dict[str, Unit]:
    """The units the demo uses, by code; a clear error if the register is not loaded."""
    if not Unit.objects.filter(code=CENTRAL_CODE, level=Level.CENTRAL).exists():
        raise DemoSetupError("The units are not loaded: run `manage.py load_units` first.")
    needed = STAFFED_UNITS | {p.commune for p in DEMO_PLACES} | {p.province for p in DEMO_PLACES}
    units = {u.code: u for u in Unit.objects.filter(code__in=needed, is_active=True).select_related("parent")}
    missing = sorted(needed - units.keys())
    if missing:
        raise DemoSetupError(
            f"Units missing from the register: {', '.join(missing)}. Run `manage.py load_units`."
        )
    for place in DEMO_PLACES:
        if units[place.commune].parent_id != units[place.province].pk:
            raise DemoSetupError(f"{place.commune} is not in {place.province} any more; update DEMO_PLACES.")
    return units


# --- the entry point --------------------------------------------------------------------


def _build_demo(
    *,
    petitions: int = 300,
    seed: int = 2026,
    stdout: _Writer | None = None,
    progress: Callable[[Sequence[Any]], Iterable[Any]] | None = None,
) -> DemoReport:
    """Create the demo accounts and ``petitions`` demo petitions in every state of the lifecycle.

    Idempotent: accounts are updated in place and petitions already created
    for this ``seed`` (by idempotency key) are skipped. Runs in one
    transaction, so a failure leaves nothing half-made. ``progress`` wraps the
    list of planned petitions (a progress bar); ``stdout`` receives warnings.
    """
    units = _check_units()
    categories = {c.code: c for c in Category.objects.filter(is_active=True, code__in=PETITION_TEMPLATES)}
    if not categories:
        raise DemoSetupError("No active petition categories: run `manage.py migrate`.")
    report = DemoReport(seed=seed)
    now = timezone.now()
    with transaction.atomic():
        staff = _ensure_accounts(report)
        _ensure_response_templates(staff, categories)
        plans = _Planner(seed=seed, categories=categories, units=units).plan(petitions)
        driver = _Driver(staff=staff, report=report, now=now)
        for plan in progress(plans) if progress else plans:
            driver.run(plan)
        driver.backdate()
        # The deadlines now lie where the backdated history puts them: flag the missed ones.
        mark_overdue(now=timezone.now())

    demo_cases = Case.objects.filter(petition__idempotency_key__startswith=demo_key_prefix(seed))
    counts = Counter(demo_cases.values_list("state", flat=True))
    report.states = {state: counts[state] for state in CaseState.values if counts[state]}
    report.overdue = demo_cases.filter(is_overdue=True).count()
    if stdout is not None:
        for warning in report.warnings:
            stdout.write(f"warning: {warning}")
    return report


def build_demo(
    *,
    petitions: int = 300,
    seed: int = 2026,
    stdout: _Writer | None = None,
    progress: Callable[[Sequence[Any]], Iterable[Any]] | None = None,
) -> DemoReport:
    """``_build_demo`` with notifications paused: demo citizens and staff are invented people."""
    from notifications.outbox import paused

    with paused():
        return _build_demo(petitions=petitions, seed=seed, stdout=stdout, progress=progress)
