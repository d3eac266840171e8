"""Vietnamese working-day arithmetic and SLA policy lookup.

A working day is Monday to Friday and not a public holiday of Viet Nam (the
``holidays`` package, which includes the lunar New Year). A deadline of N
working days is the end (23:59:59 local time) of the N-th working day after
the day the clock starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import holidays
from django.utils import timezone

if TYPE_CHECKING:
    from petitions.models import Category

_VN_HOLIDAYS = holidays.country_holidays("VN")
END_OF_DAY = dt.time(23, 59, 59)


@lru_cache(maxsize=4096)
def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _VN_HOLIDAYS


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, END_OF_DAY))


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """End of the ``days``-th working day after the local date of ``start``."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = local_date(start)
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return end_of_day(day)


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Working days after the local date of ``start`` up to and including that of ``end``."""
    first, last = local_date(start), local_date(end)
    count = 0
    day = first
    while day < last:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


@dataclass(frozen=True)
class Policy:
    triage_days: int
    resolution_days: int
    feedback_days: int
    max_extension_days: int
    #: Working days a citizen has to answer a question before the case returns to its officer.
    citizen_reply_days: int = 10


DEFAULT_POLICIES = {
    "central": Policy(triage_days=3, resolution_days=20, feedback_days=7, max_extension_days=10),
    "province": Policy(triage_days=3, resolution_days=15, feedback_days=7, max_extension_days=10),
    "commune": Policy(triage_days=3, resolution_days=10, feedback_days=7, max_extension_days=10),
}


def policy_for(level: str, category: Category | int | None) -> Policy:
    """The SLA policy for a level and category: the category's own, else the level's, else the default."""
    from routing.reference import sla_policies

    category_id = category if isinstance(category, int) or category is None else category.pk
    policies = sla_policies()
    row = (policies.get((level, category_id)) if category_id is not None else None) or policies.get(
        (level, None)
    )
    if row is None:
        return DEFAULT_POLICIES[level]
    return Policy(
        triage_days=row.triage_days,
        resolution_days=row.resolution_days,
        feedback_days=row.feedback_days,
        max_extension_days=row.max_extension_days,
        citizen_reply_days=row.citizen_reply_days,
    )
