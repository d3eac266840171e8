"""Settings for the petition portal: one module, driven by the environment.

With no variables set this is the embedded default: SQLite file, in-memory
channel layer, local-memory cache, database search and in-process jobs.
``DATABASE_URL``, ``REDIS_URL`` and ``ELASTICSEARCH_URL`` (or ``OPENSEARCH_URL``)
switch to the production services. ``DJANGO_DEBUG=0`` is production mode and refuses to
start without a real secret key and allowed hosts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import ImproperEnvironment, env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DJANGO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", True)
#: Production mode as configured (the test runner turns DEBUG off, this stays as the environment says).
PRODUCTION_MODE = not DEBUG

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

if not DEBUG:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperEnvironment(
            "Production mode (DJANGO_DEBUG=0) needs DJANGO_SECRET_KEY: a random value of 50+ characters"
        )
    if not ALLOWED_HOSTS:
        raise ImproperEnvironment("Production mode (DJANGO_DEBUG=0) needs DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_fsm",
    "django_ratelimit",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "routing",
    "petitions",
    "notifications",
    "search",
    "alerts",
    "portal",
    "backoffice",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "corsheaders",
    "django_guid",
    "django_prometheus",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before the host check and the HTTPS redirect (probes come from inside).
    "config.health.HealthMiddleware",
    # A request id (X-Request-ID, kept from the proxy when valid) on every log line of the request.
    "django_guid.middleware.guid_middleware",
    # CORS for the public APIs (/api/, /open311/), before anything that may answer (preflights included).
    "corsheaders.middleware.CorsMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # /api/ takes its language from Accept-Language (the pages take it from the URL prefix).
    "api.middleware.ApiLanguageMiddleware",
    # While the database is unreachable: 503 at once instead of each request waiting for the pool;
    # after the middlewares above (none reads the database before the view), so that the 503 has
    # its request id, CORS and security headers and the request's language.
    "config.unavailable.DatabaseUnavailableMiddleware",
    # Links to the site (SMS, Open311 discovery) name the address the request came to, unless
    # PUBLIC_BASE_URL is set (config.public_url).
    "config.public_url.PublicBaseUrlMiddleware",
    # Bodies over REQUEST_BODY_MAX_BYTES, and bodies Django will not parse: 413/400 in the
    # interface's format, before anything reads request.POST (config.bodies).
    "config.bodies.RequestBodyMiddleware",
    # NUL characters in the path, query or form: a 400 before PostgreSQL would make it a 500.
    "config.nul.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified when this session entered a two-factor code.
    "django_otp.middleware.OTPMiddleware",
    # A signed-in officer's /office/ addresses open in the language they chose (backoffice.language).
    "backoffice.language.OfficeLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it turns lockouts raised by sign-in into a response.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
    # PostgreSQL: Django 5.2's connection pool (psycopg-pool), one per process. Without it every
    # request and every in-process drain opened a connection (a new PostgreSQL backend): 9 ms of
    # the database's CPU per petition (docs/performance.md, "Intake"). CONN_MAX_AGE is no answer
    # under daphne, whose sync views run on threads that come and go, each with a connection.
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", True):
        if DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperEnvironment("DB_CONN_MAX_AGE needs DB_POOL=0: the pool keeps the connections")
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            # Opened at start, kept when idle: a burst does not wait for new backends.
            "min_size": env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
            # daphne runs each sync request on a thread of its own, plus the in-process jobs' thread:
            # this many requests touch the database at once; the next waits up to DB_POOL_TIMEOUT.
            "max_size": env_int("DB_POOL_MAX_SIZE", 20, minimum=1),
            # 4 s: a request in flight when the database goes away gets its 503 within 5 s (bench/drills.py).
            "timeout": env_int("DB_POOL_TIMEOUT", 4, minimum=1),
            # Connections older than this are replaced (PostgreSQL backends grow with their caches).
            "max_lifetime": env_int("DB_POOL_MAX_LIFETIME", 1800, minimum=60),
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE avoids "database is locked" on lock upgrades; WAL lets
                # readers run while a writer commits.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and channel layer --------------------------------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "petitions"),
            # Fail fast when Redis is unreachable: the cache is never the only copy of anything.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times out every read after 5 s by default, the same 5 s the layer's
                # blocking BZPOPMIN waits on the server: the race closed live sockets (1-4 in
                # every 1,000-socket bench run; channels_redis issue #422). No client-side read
                # timeout, as before redis-py 8; the server ends each blocking read itself.
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "socket_keepalive": True}],
                "prefix": env_str("CHANNEL_PREFIX", "petitions"),
                # One channel per process hears every live group its sockets watch
                # (notifications.fanout): room for a sweep batch's burst, not the default 100.
                "capacity": 1000,
            },
        }
    }
    # Django's own Redis cache increments atomically; django-ratelimit only knows django-redis by name.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # The embedded default is one process, so a local-memory cache is shared by every request.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "portal.views.rate_limited"
# If the cache (Redis) is down, let citizens through rather than refuse every submission.
RATELIMIT_FAIL_OPEN = True
# Behind a proxy, name the header that carries the client address (e.g. HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY") or None
#: Rates for the public portal ("count/period": s, m, h, d). Keyed by client address and by phone/code.
#: A petition an officer enters more than this many days after the unit received it needs a reason.
LATE_ENTRY_DAYS = env_int("LATE_ENTRY_DAYS", 3, minimum=0)
PORTAL_RATES = {
    "submit_ip": env_str("RATE_SUBMIT_IP", "20/h"),
    "submit_phone": env_str("RATE_SUBMIT_PHONE", "6/h"),
    "track_ip": env_str("RATE_TRACK_IP", "30/h"),
    "track_code": env_str("RATE_TRACK_CODE", "8/h"),
    "feedback_ip": env_str("RATE_FEEDBACK_IP", "20/h"),
    # Information a citizen adds to one petition (whatever the address): a fact or a photo, not a chat.
    "add_info_code": env_str("RATE_ADD_INFO_CODE", "10/d"),
    "upload_ip": env_str("RATE_UPLOAD_IP", "60/h"),
    "suggest_ip": env_str("RATE_SUGGEST_IP", "300/h"),
    # One-time SMS codes (petitions.phones): codes sent, and codes tried, per phone and per address.
    "code_send_phone": env_str("RATE_CODE_SEND_PHONE", "5/h"),
    "code_send_ip": env_str("RATE_CODE_SEND_IP", "20/h"),
    "code_verify_phone": env_str("RATE_CODE_VERIFY_PHONE", "15/h"),
    "code_verify_ip": env_str("RATE_CODE_VERIFY_IP", "60/h"),
    # ... and per address and day (many citizens may share one carrier-grade NAT address).
    "code_send_ip_day": env_str("RATE_CODE_SEND_IP_DAY", "100/d"),
    "code_verify_ip_day": env_str("RATE_CODE_VERIFY_IP_DAY", "300/d"),
    # Open311 calls without an API key (calls with one count against their partner's own rate).
    "open311_ip": env_str("RATE_OPEN311_IP", "300/h"),
}
# Caps on one-time SMS codes over the last 24 hours, counted in the database (petitions.phones), so
# they hold when the cache is down and the rates above fail open: codes sent to one phone number
# (both purposes), wrong codes typed for one number, and codes the site sends in all (the SMS bill).
CODE_SENDS_PER_PHONE_DAY = env_int("CODE_SENDS_PER_PHONE_DAY", 10, minimum=1)
CODE_TRIES_PER_PHONE_DAY = env_int("CODE_TRIES_PER_PHONE_DAY", 20, minimum=1)
CODE_SENDS_PER_DAY = env_int("CODE_SENDS_PER_DAY", 5000, minimum=1)
#: Who Open311 partners write to (for an API key, or help), shown in /open311/discovery.json.
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "")
#: A submission faster than this after the form was shown is a bot (seconds).
PORTAL_MIN_FORM_SECONDS = env_int("PORTAL_MIN_FORM_SECONDS", 3, minimum=0)

# --- JSON API (api/) ---------------------------------------------------------
# Public endpoints reuse PORTAL_RATES; staff tokens have a rate of their own per user.
API_RATES = {
    "staff_user": env_str("RATE_API_STAFF", "1200/h"),
}
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 25, minimum=1)
# Browsers and PWAs may call the JSON API and Open311 from any origin. No credentials: both
# authenticate by header (staff token, partner key, tracking token), never by cookie, so a foreign
# page gains nothing from a visitor's session. The site's pages send no CORS headers.
CORS_URLS_REGEX = r"^/(api|open311)/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-api-key",
    "x-request-id",
    "x-tracking-token",
]
CORS_EXPOSE_HEADERS = ["Content-Language", "Retry-After", "X-Request-ID", "WWW-Authenticate"]
CORS_PREFLIGHT_MAX_AGE = 86400
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.StaffTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.IsActiveStaff"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.StaffUserThrottle"],
    # JSON only: no browsable API (its pages would need inline scripts the CSP refuses).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Petition portal API",
    # The description (what a partner needs to know) and `servers` are set by api.schema.finish.
    "DESCRIPTION": "",
    # 3.1: a nullable reference is `oneOf: [$ref, {type: null}]`, which strict validators accept.
    "OAS_VERSION": "3.1.0",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "routing.models.CaseState",
        "LevelEnum": "routing.models.Level",
        "EventKindEnum": "routing.models.EventKind",
        "ErrorCodeEnum": "api.errors.ERROR_CODE_CHOICES",
    },
    # Swagger UI from our own static files (drf-spectacular-sidecar): the CSP allows no third party.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "displayOperationId": False},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.finish"],
}

# --- Search ---------------------------------------------------------------
# The search engine: Elasticsearch 8 (ELASTICSEARCH_URL) or OpenSearch 2 (OPENSEARCH_URL), one of
# them at most. Without either, search and monitoring run in the database.
ELASTICSEARCH_URL = env_url("ELASTICSEARCH_URL", schemes=("http", "https"))
OPENSEARCH_URL = env_url("OPENSEARCH_URL", schemes=("http", "https"))
if ELASTICSEARCH_URL and OPENSEARCH_URL:
    raise ImproperEnvironment(
        "Set ELASTICSEARCH_URL or OPENSEARCH_URL, not both: the portal uses one search engine"
    )
SEARCH_URL = ELASTICSEARCH_URL or OPENSEARCH_URL
SEARCH_ENGINE = "opensearch" if OPENSEARCH_URL else "elasticsearch"
SEARCH_BACKEND = "engine" if SEARCH_URL else "database"
SEARCH_INDEX_ALIAS = env_str("SEARCH_INDEX_ALIAS", "cases")

# --- Background jobs ------------------------------------------------------
# "inprocess" runs jobs right after commit in the web process (embedded default).
JOBS_BACKEND = env_str("JOBS_BACKEND", "inprocess")
# In-process only: after a drain leaves rows waiting (gateway or search down), run it again when due.
JOBS_INPROCESS_CATCH_UP = env_bool("JOBS_INPROCESS_CATCH_UP", True)
# In-process only: run jobs on a background thread of the process, not in the request that
# queued them (inline, a slow SMS gateway or Elasticsearch holds the citizen's answer).
JOBS_INPROCESS_THREAD = env_bool("JOBS_INPROCESS_THREAD", True)
if JOBS_BACKEND not in {"inprocess", "celery"}:
    raise ImproperEnvironment(f"JOBS_BACKEND must be inprocess or celery; got {JOBS_BACKEND!r}")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a job of a worker that died is run again (jobs are idempotent)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues a job must not hang when the broker is down: the rows wait in the database.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
#: Catch-up runs: work queued while the broker or the worker was down is done here.
# The drains run often on intervals; the rest at fixed times (crontab), so that a restarted
# scheduler does not postpone them by a whole interval (a daily job would never run with daily deploys).
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_BEAT_SCHEDULE = {
    "drain-notifications": {"task": "notifications.drain", "schedule": 30.0},
    "drain-search-index": {"task": "search.drain", "schedule": 30.0},
    "sweep-deadlines": {"task": "routing.sweep", "schedule": crontab(minute="*/5")},
    "purge-staged-photos": {"task": "petitions.purge_staged", "schedule": crontab(minute=15)},
    "anonymise-old-petitions": {"task": "petitions.retention", "schedule": crontab(hour=2, minute=30)},
    "housekeeping": {"task": "housekeeping", "schedule": crontab(hour=3, minute=0)},
    "detect-alerts": {"task": "alerts.detect", "schedule": crontab(minute=7)},
    # The leader pages' daily rollups: days that ended, and past days touched since (routing.rollups).
    "roll-up-leader-figures": {"task": "routing.rollups", "schedule": crontab(minute="*/10")},
}
# Emerging-issue alerts (alerts.detection; docs/architecture.md, "Emerging-issue alerts"): a count of
# the last 24 or 72 hours against the same hours 1..8 weeks before is a spike when it reaches
# ALERTS_MIN_COUNT and its p-value is at most ALERTS_FAMILY_ALPHA / (cells tested in the run).
ALERTS_MIN_COUNT = env_int("ALERTS_MIN_COUNT", 5, minimum=1)
ALERTS_FAMILY_ALPHA = float(env_str("ALERTS_FAMILY_ALPHA", "0.001"))
if not 0 < ALERTS_FAMILY_ALPHA < 1:
    raise ImproperEnvironment(f"ALERTS_FAMILY_ALPHA must be between 0 and 1; got {ALERTS_FAMILY_ALPHA}")
ALERTS_WINDOWS_HOURS = (24, 72)
ALERTS_BASELINE_WEEKS = 8
# Petitions whose case ended this many days ago lose their citizen's personal data (petitions.retention).
RETENTION_DAYS = env_int("RETENTION_DAYS", 5 * 365, minimum=30)

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "backoffice:backoffice-login"
LOGIN_REDIRECT_URL = "backoffice:backoffice-inbox"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-in for locked-out usernames/addresses.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed-login throttling (backoffice.lockout): 5 failures for one username from one address lock
# that pair for 15 minutes; failures for one username from 5 addresses make new addresses wait 1 minute,
# doubling with each further address, at most 15 minutes. `axes_reset_username` clears both.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_USERNAME_FAILURE_LIMIT = env_int("AXES_USERNAME_FAILURE_LIMIT", 5, minimum=1)
AXES_USERNAME_COOLOFF_BASE = dt.timedelta(seconds=env_int("AXES_USERNAME_COOLOFF_SECONDS", 60, minimum=1))
#: Sign-in logs (addresses, user agents) are deleted after this many days (config.housekeeping).
AXES_ACCESS_LOG_DAYS = env_int("AXES_ACCESS_LOG_DAYS", 90, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "backoffice.lockout.StaffSignInHandler"
AXES_RESET_ON_SUCCESS = True
# A try refused by a lock does not restart it: else one address trying every 14 minutes would
# keep a username locked for ever (backoffice.lockout).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "backoffice.lockout.lockout_response"
AXES_VERBOSE = False
# Two-factor sign-in (TOTP) for leaders and administrators: the name authenticator apps show.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Cổng phản ánh, kiến nghị")
# The admin never shows a device's secret or QR code, not even to superusers.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Request bodies (config.bodies) ----------------------------------------
#: The largest body accepted, anywhere: the submit form's five photos of 10 MB (petitions.services.
#: MAX_ATTACHMENTS × petitions.images.MAX_UPLOAD_BYTES), its fields (DATA_UPLOAD_MAX_MEMORY_SIZE,
#: 2.5 MB) and the multipart framing. Over it: 413 before the body is read. A proxy in front should
#: allow as much (docker/nginx.conf).
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 53 * 1024 * 1024, minimum=1024 * 1024)
#: Uploaded files over this go to a temporary file, not memory (Django's default is 2.5 MB per file).
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024, minimum=0)
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR") or None

# --- Static and media -----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS: list[Any] = [BASE_DIR / "static"]
# Front-end packages come pinned from the npm registry (package-lock.json; `npm ci` in the Makefile
# and the Dockerfile); pages that use them still show their numbers as tables without them.
if (BASE_DIR / "node_modules" / "chart.js" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"))
if (BASE_DIR / "node_modules" / "leaflet" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
# Citizens' photos: outside MEDIA_ROOT, never served by a static route; views authorise each request.
PRIVATE_MEDIA_ROOT = Path(env_str("DJANGO_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: hashed file names, so the proxy may cache static files for good.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
    },
}
# Uploaded files on S3-compatible object storage (django-storages) instead of the file system:
# citizens' photos under "private/" (never public: views stream them after checking who asks).
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
if MEDIA_S3_BUCKET:
    _S3_OPTIONS = {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL") or None,
        "region_name": env_str("MEDIA_S3_REGION") or None,
        "access_key": env_str("MEDIA_S3_ACCESS_KEY") or None,
        "secret_key": env_str("MEDIA_S3_SECRET_KEY") or None,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_S3_OPTIONS, "location": "media"},
    }
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_S3_OPTIONS, "location": "private"},
    }

# --- Security -------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Only the site's own scripts, styles and images; no inline code, no third parties.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Maps -----------------------------------------------------------------
# Leaflet draws points and areas without tiles; a tile server adds the background map. None in the
# embedded default and the tests (nothing is fetched from the network), OpenStreetMap's in
# production unless told otherwise (MAP_TILE_URL="" turns tiles off; production should name the
# organisation's own tile server: OpenStreetMap's tiles are for light use only).
_OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
_OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
MAP_TILE_URL = env_str("MAP_TILE_URL", _OSM_TILES if PRODUCTION_MODE else "").strip()
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION", _OSM_ATTRIBUTION if MAP_TILE_URL == _OSM_TILES else ""
).strip()
if MAP_TILE_URL:
    _tiles = urlsplit(MAP_TILE_URL.replace("{s}.", "s."))
    if _tiles.scheme not in ("https", "http") or not _tiles.hostname or "{z}" not in MAP_TILE_URL:
        raise ImproperEnvironment(
            "MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y}, e.g. " + _OSM_TILES
        )
    # The tiles are images from that host ({s} subdomains: any subdomain of it).
    _tile_host = f"{_tiles.scheme}://{_tiles.netloc}"
    if "{s}." in MAP_TILE_URL:
        _tile_host = _tile_host.replace("://s.", "://*.", 1)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(_tile_host)

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# --- Notifications --------------------------------------------------------
# In production the transports are chosen on purpose: the console ones would print citizens'
# numbers, links and messages to the log instead of sending them.
if not DEBUG and not (env_str("SMS_BACKEND") and env_str("EMAIL_BACKEND")):
    raise ImproperEnvironment(
        "Production mode (DJANGO_DEBUG=0) needs SMS_BACKEND and EMAIL_BACKEND, e.g. "
        "notifications.transports.sms.HttpGatewaySmsBackend and django.core.mail.backends.smtp.EmailBackend"
    )
SMS_BACKEND = env_str("SMS_BACKEND", "notifications.transports.sms.ConsoleSmsBackend")
# notifications.transports.sms.HttpGatewaySmsBackend posts here with the key as a bearer token.
SMS_GATEWAY_URL = env_url("SMS_GATEWAY_URL", schemes=("http", "https"))
if SMS_BACKEND.endswith("HttpGatewaySmsBackend") and not SMS_GATEWAY_URL:
    raise ImproperEnvironment("SMS_BACKEND is the HTTP gateway: set SMS_GATEWAY_URL (and SMS_GATEWAY_KEY)")
SMS_GATEWAY_KEY = env_str("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10, minimum=1)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", '"Cổng phản ánh, kiến nghị" <no-reply@localhost>')

# --- Domain ---------------------------------------------------------------
# Public base URL used in tracking links sent by SMS and email.
# Unset (the embedded default only), links take the address the request came to, else this
# machine at PORT (`make run PORT=8101` passes it on): config.public_url.
PUBLIC_BASE_URL = env_url("PUBLIC_BASE_URL", schemes=("http", "https"))
PORT = env_int("PORT", 8000, minimum=1)
if not DEBUG and not env_str("PUBLIC_BASE_URL"):
    raise ImproperEnvironment(
        "Production mode (DJANGO_DEBUG=0) needs PUBLIC_BASE_URL, the address in the links sent to citizens"
    )
PETITION_CODE_PREFIX = "PA"

# /readyz reports the jobs as degraded when outbox rows have been due this long (no worker draining).
READY_BACKLOG_SECONDS = env_int("READY_BACKLOG_SECONDS", 300, minimum=30)

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    # Not django-guid's own Access-Control-Expose-Headers (it would replace the list CORS_EXPOSE_HEADERS
    # gives, X-Request-ID included, and expose it on the site's pages too).
    "EXPOSE_HEADER": False,
}

# /metrics (Prometheus): needs "Authorization: Bearer <METRICS_TOKEN>"; without a token, open in debug only.
METRICS_TOKEN = env_str("METRICS_TOKEN")

# One JSON object per line in production (plain text in development), with the request id, and
# without personal data (config.logs.Redact).
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperEnvironment("LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"},
        "redact": {"()": "config.logs.Redact"},
        "one_line_client_errors": {"()": "config.logs.OneLineClientErrors"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "config.logs.Json",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "one_line_client_errors", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Only the root's handler: Django's default one for "django" (console, in DEBUG) printed every
        # request warning a second time; its mail_admins handler is unused (no ADMINS).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # django-guid says at INFO that each request got an id: noise.
        "django_guid": {"level": "WARNING"},
        # The search clients log every request at INFO, and opensearch-py's trace logger each
        # request's body as a curl command (petition text, officers' search words): warnings only.
        "elastic_transport": {"level": "WARNING"},
        "elasticsearch": {"level": "WARNING"},
        "opensearch": {"level": "WARNING"},
        "opensearchpy.trace": {"level": "WARNING", "propagate": False},
    },
}
