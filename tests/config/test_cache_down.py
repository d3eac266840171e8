"""With Redis unreachable, citizens can still submit and follow petitions (nothing is lost)."""

from __future__ import annotations

from typing import Any

import pytest

from petitions.models import Petition
from portal.forms import sign_started


@pytest.fixture
def redis_down(settings: Any) -> None:
    # A real Redis client against a port where nothing listens.
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def test_the_resilient_cache_misses_and_drops_writes(redis_down):
    from django.core.cache import cache

    cache.set("k", 1)
    assert cache.get("k", "missing") == "missing"
    assert cache.add("k", 1) is False
    with pytest.raises(ValueError):
        cache.incr("k")


def test_a_petition_is_filed_while_redis_is_down(client, tree, category, redis_down):
    data = {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "title": "Cây đổ chắn đường",
        "text": "Một cây lớn đổ chắn ngang đường sau cơn bão, xe không qua được.",
        "submitter_name": "Phạm Thị Mai",
        "phone": "0912 345 678",
        "started": sign_started(),
    }
    response = client.post("/submit/", data)
    assert response.status_code == 302
    assert Petition.objects.count() == 1
    assert client.get("/").status_code == 200
    assert client.get("/statistics/").status_code == 200
