"""Reference data held in each process: built once, rebuilt after a change.

Every submission reads its category, its commune (and the commune's province) and the SLA
policy of the unit it is routed to; every form lists the provinces and communes. These rows
change a few times a year (the admin, ``load_units``), so reading them from the database on every
request cost three queries and the sorting of 3,321 names (``docs/performance.md``, "Intake").

A ``ProcessCache`` keeps a value built from such rows. It is rebuilt:

- at once in this process, and after commit everywhere, when one of its models is written through
  the ORM: ``save``/``delete`` (signals), and ``update``/``delete``/``bulk_create``/``bulk_update``
  on a ``ReferenceQuerySet`` (the models' manager), which Django sends no signals for;
- in the other processes, which read a version number from the shared cache (Redis in production)
  at most every ``CHECK_SECONDS``: a change reaches them within that;
- in any case after ``MAX_AGE_SECONDS``, so that a change the ORM did not see (SQL by hand) or a
  version lost with Redis is taken up too.

The values are shared by the threads of the process: treat them as read-only.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

CHECK_SECONDS = 5.0
MAX_AGE_SECONDS = 60.0

_caches: list[ProcessCache[Any]] = []


class ProcessCache(Generic[T]):
    """A value built by ``build`` from the rows of ``models`` (labels such as ``"routing.Unit"``)."""

    def __init__(self, name: str, build: Callable[[], T], *, models: Iterable[str]) -> None:
        self.name = name
        self.build = build
        self.models = frozenset(models)
        self._key = f"reference:{name}:version"
        self._lock = threading.Lock()
        # (shared version, value, built at, checked at); replaced whole, never changed in place.
        self._entry: tuple[Any, T, float, float] | None = None
        _caches.append(self)
        # Each model's own receivers, by its label (Django connects them once the model is loaded):
        # a receiver for every sender would make every other model's ``delete()`` read its rows
        # first and delete them by id, losing the conditions of the query (the search outbox's
        # "only if not requested again meanwhile", bench/soak.py).
        for label in self.models:
            for signal, kind in ((post_save, "post_save"), (post_delete, "post_delete")):
                signal.connect(
                    _on_write, sender=label, weak=False, dispatch_uid=f"config.reference.{kind}.{label}"
                )

    def get(self) -> T:
        entry, now = self._entry, time.monotonic()
        if entry is not None and now - entry[3] < CHECK_SECONDS:
            return entry[1]
        with self._lock:
            entry, now = self._entry, time.monotonic()
            if entry is not None and now - entry[3] < CHECK_SECONDS:
                return entry[1]
            version = cache.get(self._key)
            if entry is None or entry[0] != version or now - entry[2] >= MAX_AGE_SECONDS:
                self._entry = (version, self.build(), now, now)
            else:
                self._entry = (entry[0], entry[1], entry[2], now)
            return self._entry[1]

    def version(self) -> str:
        """Names the value ``get`` returns: equal in every process holding the same rows.

        The shared version (a change's), or ``"0"`` before any change: a key for what is built from
        the value (a page's cached fragment).
        """
        self.get()
        entry = self._entry
        return str(entry[0]) if entry is not None and entry[0] is not None else "0"

    def clear(self) -> None:
        """Forget the value here; the next ``get`` builds it again."""
        self._entry = None

    def changed(self) -> None:
        """Rows of its models changed: rebuild here now, and everywhere once the change is committed."""
        self.clear()

        def announce() -> None:
            self.clear()
            cache.set(self._key, uuid.uuid4().hex, None)

        transaction.on_commit(announce)


def is_id(value: object) -> bool:
    """Whether a reference is a row's id (ASCII digits, few enough for a key) rather than its code."""
    text = str(value)
    return isinstance(value, int) or (text.isascii() and text.isdigit() and len(text) <= 18)


def reference_changed(model: type[models.Model]) -> None:
    label = model._meta.label
    for process_cache in _caches:
        if label in process_cache.models:
            process_cache.changed()


def clear_all() -> None:
    """Forget every value in this process (the tests, between one database state and the next)."""
    for process_cache in _caches:
        process_cache.clear()


def _on_write(sender: type[models.Model], **kwargs: Any) -> None:
    reference_changed(sender)


class ReferenceQuerySet(models.QuerySet[M]):
    """The manager of reference models: the writes Django sends no signals for tell the caches too."""

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        reference_changed(self.model)
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        reference_changed(self.model)
        return result

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        created = super().bulk_create(objs, *args, **kwargs)
        reference_changed(self.model)
        return created

    def bulk_update(self, objs: Iterable[M], fields: Any, *args: Any, **kwargs: Any) -> int:
        count = super().bulk_update(objs, fields, *args, **kwargs)
        reference_changed(self.model)
        return count


class ReferenceManager(models.Manager[M]):
    """The manager of a reference model (``objects = ReferenceManager()``): its querysets tell the caches."""

    def get_queryset(self) -> ReferenceQuerySet[M]:
        return ReferenceQuerySet(self.model, using=self._db)
