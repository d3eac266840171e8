"""Which petitions a browser may follow: grants kept in its session.

A browser earns a grant by filing the petition, by giving its code and phone
number, by opening the secret link, or by opening it from "My petitions" after
proving the phone number with an SMS code; the tracking page, its photos, its
snapshot and its live-update socket all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TRACKED_SESSION_KEY = "portal.tracked"
MAX_TRACKED = 20


def grant(session: Any, petition_id: int) -> None:
    """Remember that this session may follow the petition (most recent first, a bounded list)."""
    tracked = [pk for pk in session.get(TRACKED_SESSION_KEY, []) if pk != petition_id]
    session[TRACKED_SESSION_KEY] = [petition_id, *tracked][:MAX_TRACKED]


def granted_ids(session: Any) -> list[int]:
    """Primary keys of the petitions this session may follow."""
    tracked = session.get(TRACKED_SESSION_KEY, [])
    return [pk for pk in tracked if isinstance(pk, int)] if isinstance(tracked, list) else []


def revoke(session: Any, petition_ids: Iterable[int]) -> None:
    """Forget that this session may follow these petitions (signing out of "My petitions")."""
    gone = set(petition_ids)
    session[TRACKED_SESSION_KEY] = [pk for pk in granted_ids(session) if pk not in gone]
