"""Settings of ``bench/intake.py``'s server: the project's own, plus two bench-only URLs.

``DJANGO_SETTINGS_MODULE=intake_settings`` with ``bench/`` on ``PYTHONPATH``. Everything comes from
``config.settings`` (the same middleware, apps, database and cache settings, driven by the same
environment variables); only the root URLconf changes, to ``intake_urls``: the project's URLs plus
``/bench/hello/`` (a hello-world view behind the full middleware stack) and ``/bench/sql/`` (the
SQL statements this process has run, counted by ``intake_sql``). The project's code is unchanged.
"""

from __future__ import annotations

from django.db.backends.signals import connection_created
from intake_sql import count_statements

from config.settings import *  # noqa: F403 (the project's settings, all of them)

ROOT_URLCONF = "intake_urls"

# Every database connection of the server counts its statements (a wrapper per connection object).
connection_created.connect(count_statements, dispatch_uid="bench-intake-count-sql")
