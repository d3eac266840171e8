"""Who performs a case action.

Staff act as Django users. Citizens (authorised by their secret tracking
token) and the system (the deadline sweep) are not users, so they get small
value objects that the FSM permission checks recognise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitizenActor:
    """The citizen who submitted a petition, proven by its tracking token or code + phone."""

    petition_id: int
    is_authenticated: bool = False
    pk: None = None


@dataclass(frozen=True)
class SystemActor:
    """The portal itself: deadline sweeps and automatic closes."""

    reason: str = "sweep"
    is_authenticated: bool = False
    pk: None = None


SYSTEM = SystemActor()
