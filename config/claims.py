"""Taking a batch of outbox rows for one worker in one statement.

The outboxes' drains claimed their rows with a transaction of four statements (a locking
``SELECT``, an ``UPDATE``, a ``SELECT`` of the rows claimed, and the commit); an empty claim
still cost three. Here it is one::

    WITH claimed AS MATERIALIZED (SELECT id FROM outbox WHERE <due> ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED)
    UPDATE outbox SET status = 'sending', lease_until = …, attempts = attempts + 1
     WHERE id IN (SELECT * FROM claimed) RETURNING *

which PostgreSQL runs as one transaction: two drains at once take different rows (``SKIP
LOCKED``), and a row another drain took meanwhile is re-checked against ``<due>`` under its lock.
SQLite (3.35 or later) runs ``UPDATE … WHERE id IN (<the CTE's SELECT>) RETURNING *``, without the
row locks, which it does not need: its writers are serialised, and it runs the subquery once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def claim_rows(
    due: models.QuerySet[M],
    *,
    order_by: Sequence[str],
    limit: int,
    assignments: dict[str, Any],
    increment: Sequence[str] = (),
) -> list[M]:
    """Set ``assignments`` (and add one to each field of ``increment``) on up to ``limit`` rows of ``due``.

    Returns the rows as changed, in ``order_by`` order.
    """
    if any(name.startswith("-") for name in order_by):
        raise ValueError("claim_rows sorts ascending only")
    model = due.model
    meta = model._meta
    quote = connection.ops.quote_name
    inner_sql, inner_params = due.order_by(*order_by).values_list("pk")[:limit].query.sql_with_params()
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    sets: list[str] = []
    params: list[Any] = []
    for name, value in assignments.items():
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        sets.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    for name in increment:
        field = meta.get_field(name)
        assert isinstance(field, models.Field)
        column = quote(field.column)
        sets.append(f"{column} = {column} + 1")
    assert meta.pk is not None
    returning = ", ".join(quote(field.column) for field in meta.concrete_fields)
    # Names from the model and SQL compiled by the ORM; every value is a parameter.
    picked = f"{inner_sql}{lock}"
    update = f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)}"  # noqa: S608
    if connection.vendor == "postgresql":
        # The rows are picked in a CTE, which runs once. As ``IN (subquery)``, a plan that joins
        # the table to the subquery may run the subquery again for each row it joins, each run
        # skipping the rows just updated and taking the next ones, past the LIMIT (the CI's fresh
        # tables planned it so: 6 rows taken for a batch of 2). SQLite runs the subquery once.
        pk = quote(meta.pk.column)
        sql = f"WITH claimed AS MATERIALIZED ({picked}) {update} WHERE {pk} IN (SELECT * FROM claimed)"  # noqa: S608
        values = [*inner_params, *params]  # in the order of their placeholders
    else:
        sql = f"{update} WHERE {quote(meta.pk.column)} IN ({picked})"
        values = [*params, *inner_params]
    sql += f" RETURNING {returning}"
    rows = list(model._default_manager.raw(sql, values))
    keys = list(order_by)
    rows.sort(key=lambda row: tuple(getattr(row, key) for key in keys))
    return rows
