"""Settings from the environment: typed helpers that fail loudly, production mode, service switches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config.env import (
    ImproperEnvironment,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
)

REPO = Path(__file__).resolve().parents[2]
SECRET_60 = "k3Jq9vX2mP7wL4tR8yB1nC6hF0sD5gA2zE7uI9oK4lM3xV8bN1qW6eT0rY5u"
#: What production needs besides the key and hosts: where links point and how messages leave.
PRODUCTION = {
    "PUBLIC_BASE_URL": "https://petitions.example.vn",
    "SMS_BACKEND": "notifications.transports.sms.HttpGatewaySmsBackend",
    "SMS_GATEWAY_URL": "https://sms.example.vn/send",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}
_SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "ELASTICSEARCH_URL",
    "OPENSEARCH_URL",
    "JOBS_BACKEND",
    "DB_CONN_MAX_AGE",
    "DB_POOL",
    "DB_POOL_MAX_SIZE",
    "SESSION_COOKIE_AGE",
)

PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(settings.DATABASES["default"].get("NAME")),
    "DB_HOST": settings.DATABASES["default"].get("HOST", ""),
    "DB_POOL": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
    "CONN_MAX_AGE": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"].get("LOCATION", ""),
    "CHANNELS": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "CHANNEL_HOSTS": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts", []),
    "SEARCH_BACKEND": settings.SEARCH_BACKEND,
    "SEARCH_ENGINE": settings.SEARCH_ENGINE,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
}))
"""


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in _SERVICE_VARIABLES
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["DJANGO_VAR_DIR"] = str(tmp_path / "var")
    env.update(overrides)
    return env


def _python(tmp_path: Path, args: list[str], **overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=_env(tmp_path, **overrides),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings(tmp_path: Path, **overrides: str) -> dict[str, Any]:
    done = _python(tmp_path, ["-c", PRINT_SETTINGS], **overrides)
    assert done.returncode == 0, done.stderr
    values: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


# --- the typed helpers ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "yes please", "enabled"])
def test_env_bool_refuses_values_it_cannot_read(monkeypatch, raw):
    monkeypatch.setenv("X_FLAG", raw)
    with pytest.raises(ImproperEnvironment, match="X_FLAG"):
        env_bool("X_FLAG", False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", not expected) is expected


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_uses_the_default_when_unset_or_empty(monkeypatch, default):
    monkeypatch.delenv("X_FLAG", raising=False)
    assert env_bool("X_FLAG", default) is default
    monkeypatch.setenv("X_FLAG", "")
    assert env_bool("X_FLAG", default) is default


def test_improper_environment_is_a_value_error():
    assert issubclass(ImproperEnvironment, ValueError)


@pytest.mark.parametrize("raw", ["ten", "1.5", "10s", "0x10"])
def test_env_int_refuses_non_integers(monkeypatch, raw):
    monkeypatch.setenv("X_COUNT", raw)
    with pytest.raises(ImproperEnvironment, match="X_COUNT"):
        env_int("X_COUNT", 3)


def test_env_int_reads_integers_and_defaults(monkeypatch):
    monkeypatch.setenv("X_COUNT", "42")
    assert env_int("X_COUNT", 3) == 42
    monkeypatch.setenv("X_COUNT", "")
    assert env_int("X_COUNT", 3) == 3
    monkeypatch.delenv("X_COUNT")
    assert env_int("X_COUNT", 3) == 3


def test_env_int_enforces_the_minimum(monkeypatch):
    monkeypatch.setenv("X_COUNT", "299")
    with pytest.raises(ImproperEnvironment, match="at least 300"):
        env_int("X_COUNT", 3600, minimum=300)
    monkeypatch.setenv("X_COUNT", "300")
    assert env_int("X_COUNT", 3600, minimum=300) == 300


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://db.example/petitions",
        "http://db.example/petitions",
        "db.example:5432/petitions",
        "postgres:/x",
    ],
)
def test_env_url_refuses_a_wrong_scheme(monkeypatch, raw):
    monkeypatch.setenv("X_URL", raw)
    with pytest.raises(ImproperEnvironment, match="X_URL"):
        env_url("X_URL", schemes=("postgres", "postgresql"))


def test_env_url_accepts_listed_schemes_and_unset(monkeypatch):
    monkeypatch.setenv("X_URL", " POSTGRES://u@h:5432/db ")
    assert env_url("X_URL", schemes=("postgres",)) == "POSTGRES://u@h:5432/db"
    monkeypatch.setenv("X_URL", "redis://cache:6379/0")
    assert env_url("X_URL", schemes=("redis", "rediss")) == "redis://cache:6379/0"
    monkeypatch.delenv("X_URL")
    assert env_url("X_URL", schemes=("redis",)) == ""


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example.vn, ,b.example.vn ,")
    assert env_list("X_HOSTS") == ["a.example.vn", "b.example.vn"]
    monkeypatch.setenv("X_HOSTS", "  ")
    assert env_list("X_HOSTS", ["fallback"]) == ["fallback"]
    monkeypatch.delenv("X_HOSTS")
    assert env_list("X_HOSTS") == []


def test_env_str_default(monkeypatch):
    monkeypatch.delenv("X_TEXT", raising=False)
    assert env_str("X_TEXT", "d") == "d"
    monkeypatch.setenv("X_TEXT", "value")
    assert env_str("X_TEXT", "d") == "value"


# --- production mode ---------------------------------------------------------------------------


def test_production_without_secret_key_refuses_to_start(tmp_path):
    done = _python(tmp_path, ["-c", "import django; django.setup()"], DJANGO_DEBUG="0")
    assert done.returncode != 0
    assert "ImproperEnvironment" in done.stderr
    assert "DJANGO_SECRET_KEY" in done.stderr


def test_production_with_a_short_secret_key_refuses_to_start(tmp_path):
    done = _python(
        tmp_path,
        ["-c", "import django; django.setup()"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="short-key",
        DJANGO_ALLOWED_HOSTS="petitions.example.vn",
    )
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr


def test_production_without_allowed_hosts_refuses_to_start(tmp_path):
    done = _python(
        tmp_path, ["-c", "import django; django.setup()"], DJANGO_DEBUG="0", DJANGO_SECRET_KEY=SECRET_60
    )
    assert done.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in done.stderr
    assert "DJANGO_SECRET_KEY" not in done.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("missing", "said"),
    [
        ("PUBLIC_BASE_URL", "PUBLIC_BASE_URL"),
        ("SMS_BACKEND", "SMS_BACKEND and EMAIL_BACKEND"),
        ("EMAIL_BACKEND", "SMS_BACKEND and EMAIL_BACKEND"),
        ("SMS_GATEWAY_URL", "SMS_GATEWAY_URL"),
    ],
)
def test_production_refuses_to_start_without_where_links_point_and_how_messages_leave(
    tmp_path, missing, said
):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    done = _python(
        tmp_path,
        ["-c", "import django; django.setup()"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_60,
        DJANGO_ALLOWED_HOSTS="petitions.example.vn",
        **env,
    )
    assert done.returncode != 0
    assert said in done.stderr.splitlines()[-1]


def test_a_bad_url_is_named_without_its_password(monkeypatch):
    monkeypatch.setenv("X_URL", "mysql://admin:hunter2-secret@db.example/petitions")
    with pytest.raises(ImproperEnvironment) as refused:
        env_url("X_URL", schemes=("postgres",))
    assert "hunter2" not in str(refused.value) and "X_URL" in str(refused.value)


def test_production_with_key_and_hosts_passes_the_system_check(tmp_path):
    done = _python(
        tmp_path,
        ["manage.py", "check"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_60,
        DJANGO_ALLOWED_HOSTS="petitions.example.vn,www.petitions.example.vn",
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_passes_the_deployment_checklist(tmp_path):
    done = _python(
        tmp_path,
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_60,
        DJANGO_ALLOWED_HOSTS="petitions.example.vn",
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_settings_are_hardened(tmp_path):
    values = _settings(
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_60,
        DJANGO_ALLOWED_HOSTS="petitions.example.vn, www.petitions.example.vn",
        **PRODUCTION,
    )
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["petitions.example.vn", "www.petitions.example.vn"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://db.example/petitions"),
        ("REDIS_URL", "http://cache.example:6379"),
        ("ELASTICSEARCH_URL", "ftp://search.example"),
        ("OPENSEARCH_URL", "ftp://search.example"),
        ("JOBS_BACKEND", "cron"),
        ("SESSION_COOKIE_AGE", "ten"),
    ],
)
def test_a_bad_variable_stops_start_up_and_names_itself(tmp_path, variable, value):
    done = _python(tmp_path, ["-c", "import django; django.setup()"], **{variable: value})
    assert done.returncode != 0
    assert "ImproperEnvironment" in done.stderr
    assert variable in done.stderr.splitlines()[-1]


# --- service switches ------------------------------------------------------------------------


def test_embedded_default_uses_no_services(tmp_path):
    values = _settings(tmp_path)
    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB_NAME"] == str(tmp_path / "var" / "db.sqlite3")
    assert values["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["CHANNELS"] == "channels.layers.InMemoryChannelLayer"
    assert values["SEARCH_BACKEND"] == "database"


def test_redis_url_switches_cache_and_channel_layer_to_redis(tmp_path):
    values = _settings(tmp_path, REDIS_URL="redis://cache.internal:6379/2")
    assert values["CACHE"] == "config.cache.ResilientRedisCache"
    assert values["CACHE_LOCATION"] == "redis://cache.internal:6379/2"
    assert values["CHANNELS"] == "channels_redis.core.RedisChannelLayer"
    assert values["CHANNEL_HOSTS"] == [
        {"address": "redis://cache.internal:6379/2", "socket_timeout": None, "socket_keepalive": True}
    ]


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_database_url_selects_postgresql(tmp_path, scheme):
    values = _settings(tmp_path, DATABASE_URL=f"{scheme}://portal:secret@db.internal:5432/petitions")
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "petitions"
    assert values["DB_HOST"] == "db.internal"


def test_postgresql_uses_a_connection_pool_per_process_by_default(tmp_path):
    values = _settings(tmp_path, DATABASE_URL="postgres://portal:secret@db.internal:5432/petitions")
    assert values["DB_POOL"]["max_size"] == 20
    assert values["DB_POOL"]["min_size"] == 2
    assert values["CONN_MAX_AGE"] == 0
    sized = _settings(tmp_path, DATABASE_URL="postgres://db.internal/petitions", DB_POOL_MAX_SIZE="40")
    assert sized["DB_POOL"]["max_size"] == 40


def test_the_pool_can_be_turned_off_for_an_outside_pooler(tmp_path):
    values = _settings(
        tmp_path, DATABASE_URL="postgres://db.internal/petitions", DB_POOL="0", DB_CONN_MAX_AGE="60"
    )
    assert values["DB_POOL"] is None
    assert values["CONN_MAX_AGE"] == 60


def test_a_kept_connection_and_the_pool_together_stop_start_up(tmp_path):
    done = _python(
        tmp_path,
        ["-c", "import django; django.setup()"],
        DATABASE_URL="postgres://db.internal/petitions",
        DB_CONN_MAX_AGE="60",
    )
    assert done.returncode != 0
    assert "DB_POOL=0" in done.stderr


def test_elasticsearch_url_selects_the_engine_backend_on_elasticsearch(tmp_path):
    values = _settings(tmp_path, ELASTICSEARCH_URL="http://search.internal:9200")
    assert values["SEARCH_BACKEND"] == "engine"
    assert values["SEARCH_ENGINE"] == "elasticsearch"


def test_both_search_urls_stop_start_up(tmp_path):
    done = _python(
        tmp_path,
        ["-c", "import django; django.setup()"],
        ELASTICSEARCH_URL="http://es.internal:9200",
        OPENSEARCH_URL="http://os.internal:9200",
    )
    assert done.returncode != 0
    assert "not both" in done.stderr


def test_opensearch_url_selects_the_engine_backend_on_opensearch(tmp_path):
    values = _settings(tmp_path, OPENSEARCH_URL="http://search.internal:9200")
    assert values["SEARCH_BACKEND"] == "engine"
    assert values["SEARCH_ENGINE"] == "opensearch"


# --- ASGI ------------------------------------------------------------------------------------


def test_asgi_application_imports():
    from channels.routing import ProtocolTypeRouter

    from config.asgi import application

    assert isinstance(application, ProtocolTypeRouter)
    assert "http" in application.application_mapping


def test_asgi_application_imports_in_production_mode(tmp_path):
    code = (
        "from config.asgi import application; "
        "http = application.application_mapping['http']; "
        "print(type(application).__name__, type(http).__name__, type(http.app).__name__)"
    )
    done = _python(
        tmp_path,
        ["-c", code],
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET_60,
        DJANGO_ALLOWED_HOSTS="petitions.example.vn",
        **PRODUCTION,
    )
    assert done.returncode == 0, done.stderr
    # The body cap (config.bodies) around Django's handler, and no static files handler.
    assert done.stdout.split() == ["ProtocolTypeRouter", "RequestBodyLimit", "ASGIHandler"]
