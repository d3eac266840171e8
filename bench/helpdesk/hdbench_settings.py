"""django-helpdesk 2.6.1 for ``bench/intake.py``: its public "submit a ticket" flow, side by side.

Runs in its own virtualenv (``/tmp/helpdesk-venv``, ``requirements.txt``), never the project's, with
``bench/helpdesk`` then ``bench`` on ``PYTHONPATH`` and ``DJANGO_SETTINGS_MODULE=hdbench_settings``; served by the
same server software as the portal (daphne 4.2.3, one process, Django's own ASGI handler:
``hdbench_asgi``). What its install guide asks for, and nothing that would make it slower than it
has to be: PostgreSQL (``HELPDESK_BENCH_DB_*``), ``DEBUG`` off, Django's default middleware, database
sessions, the local-memory email backend (nothing sent), no teams (``pinax_teams`` not installed),
no spam service. ``hdbench_setup.py`` migrates and creates the public queue.
"""

from __future__ import annotations

import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))

SECRET_KEY = os.environ.get("HELPDESK_BENCH_SECRET_KEY", "bench-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hdbench_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("HELPDESK_BENCH_DB_NAME", "helpdesk_bench"),
        "USER": os.environ.get("HELPDESK_BENCH_DB_USER", "postgres"),
        "HOST": os.environ.get("HELPDESK_BENCH_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("HELPDESK_BENCH_DB_PORT", "5432"),
        # Django's default: a new connection per request (what helpdesk's install guide leaves).
        "CONN_MAX_AGE": 0,
    }
}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.org"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

USE_TZ = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("HELPDESK_BENCH_STATIC_ROOT", "/tmp/helpdesk-bench-static")  # noqa: S108 (bench-only)
MEDIA_ROOT = os.environ.get("HELPDESK_BENCH_MEDIA_ROOT", "/tmp/helpdesk-bench-media")  # noqa: S108 (bench-only)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"

HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_PUBLIC_ENABLED = True
HELPDESK_VIEW_A_TICKET_PUBLIC = True
HELPDESK_SUBMIT_A_TICKET_PUBLIC = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# SQL statements counted as on the portal's bench server (bench/intake_sql.py, with bench/ on
# PYTHONPATH after this folder; read at /bench/sql/ from loopback): a Python call per statement.
from django.db.backends.signals import connection_created  # noqa: E402
from intake_sql import count_statements  # noqa: E402

connection_created.connect(count_statements, dispatch_uid="bench-helpdesk-count-sql")
