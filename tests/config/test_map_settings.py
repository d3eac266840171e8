"""MAP_TILE_URL: no tiles in the embedded default, OpenStreetMap's in production, the CSP allowing the tile host."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.config.test_settings import PRODUCTION, SECRET_60, _python

PRINT = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "url": settings.MAP_TILE_URL,
    "attribution": settings.MAP_TILE_ATTRIBUTION,
    "img_src": [str(source) for source in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]],
}))
"""
PRODUCTION_ENV = {
    **PRODUCTION,
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": SECRET_60,
    "DJANGO_ALLOWED_HOSTS": "petitions.example.vn",
}


def _maps(tmp_path: Path, **env: str) -> dict[str, Any]:
    done = _python(tmp_path, ["-c", PRINT], MAP_TILE_URL=env.pop("MAP_TILE_URL", ""), **env)
    assert done.returncode == 0, done.stderr
    values: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


def test_the_embedded_default_fetches_no_tiles(tmp_path, settings, monkeypatch):
    assert settings.MAP_TILE_URL == ""  # the tests themselves draw maps without tiles
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    done = _python(tmp_path, ["-c", PRINT])
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values["url"] == ""
    assert values["img_src"] == ["'self'", "data:"]


def test_production_uses_openstreetmap_with_its_attribution_and_allows_its_host(tmp_path, monkeypatch):
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    monkeypatch.delenv("MAP_TILE_ATTRIBUTION", raising=False)
    done = _python(tmp_path, ["-c", PRINT], **PRODUCTION_ENV)
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout.strip().splitlines()[-1])
    assert values["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in values["attribution"]
    assert "https://tile.openstreetmap.org" in values["img_src"]


def test_production_can_turn_tiles_off(tmp_path):
    values = _maps(tmp_path, **PRODUCTION_ENV)
    assert values["url"] == ""
    assert values["img_src"] == ["'self'", "data:"]


def test_a_tile_server_with_subdomains_is_allowed_by_the_csp(tmp_path):
    values = _maps(
        tmp_path,
        MAP_TILE_URL="https://{s}.tiles.example.vn/{z}/{x}/{y}.png",
        MAP_TILE_ATTRIBUTION="© Example",
    )
    assert values["attribution"] == "© Example"
    assert "https://*.tiles.example.vn" in values["img_src"]


@pytest.mark.parametrize(
    "url", ["ftp://tiles.example.vn/{z}/{x}/{y}.png", "https://tiles.example.vn/tile.png"]
)
def test_a_tile_url_that_is_not_a_tile_template_stops_the_start(tmp_path, url):
    done = _python(tmp_path, ["-c", "import django; django.setup()"], MAP_TILE_URL=url)
    assert done.returncode != 0
    assert "MAP_TILE_URL" in done.stderr
