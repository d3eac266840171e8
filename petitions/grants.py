"""Which petitions a browser may follow: grants kept in its session.

A browser earns a grant by filing the petition, by giving its code and phone
number, by opening the secret link, or by opening it from "My petitions" after
proving the phone number with an SMS code; the tracking page, its photos, its
snapshot and its live-update socket all ask here. A grant from "My petitions"
ends with the proof (``until``): the next person at a shared computer finds
nothing in the browser's history.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

TRACKED_SESSION_KEY = "portal.tracked"
MAX_TRACKED = 20


def _entries(session: Any) -> list[Any]:
    """The stored grants: a petition id (for the session's life), or ``[id, until]`` (seconds since the epoch)."""
    tracked = session.get(TRACKED_SESSION_KEY, [])
    return tracked if isinstance(tracked, list) else []


def _entry_id(entry: Any) -> int | None:
    if isinstance(entry, int) and not isinstance(entry, bool):
        return entry
    if isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, int) for part in entry):
        return int(entry[0])
    return None


def _live(entry: Any, now: float) -> bool:
    return not isinstance(entry, list) or entry[1] > now


def grant(session: Any, petition_id: int, *, until: int | None = None) -> None:
    """Remember that this session may follow the petition (most recent first, a bounded list).

    With ``until`` (seconds since the epoch) the grant ends then, unless the session already held
    the petition for good (it filed it, or opened its secret link).
    """
    entries = _entries(session)
    lasting = any(entry == petition_id for entry in entries)
    kept = [entry for entry in entries if _entry_id(entry) not in (None, petition_id)]
    new: Any = petition_id if until is None or lasting else [petition_id, int(until)]
    session[TRACKED_SESSION_KEY] = [new, *kept][:MAX_TRACKED]


def granted_ids(session: Any) -> list[int]:
    """Primary keys of the petitions this session may follow now."""
    now = time.time()
    ids = [_entry_id(entry) for entry in _entries(session) if _live(entry, now)]
    return [pk for pk in ids if pk is not None]


def revoke(session: Any, petition_ids: Iterable[int]) -> None:
    """Forget that this session may follow these petitions (signing out of "My petitions")."""
    gone = set(petition_ids)
    session[TRACKED_SESSION_KEY] = [entry for entry in _entries(session) if _entry_id(entry) not in gone]
