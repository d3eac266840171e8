"""The GeoReport discovery document, in JSON and XML."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.open311 import views
from tests.portal.open311.conftest import parse


def test_discovery_json_describes_the_v2_endpoint(client, db, settings):
    settings.PUBLIC_BASE_URL = "https://phananh.example.vn/"
    settings.OPEN311_CONTACT = "open311@phananh.example.vn"
    response = client.get("/open311/discovery.json")
    assert response.status_code == 200
    document = parse(response, "json")
    assert list(document) == ["changeset", "contact", "key_service", "endpoints"]
    assert document["contact"] == "open311@phananh.example.vn"
    assert "open311@phananh.example.vn" in document["key_service"]
    [endpoint] = document["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "https://phananh.example.vn/open311/v2",
        "changeset": document["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }


def test_discovery_xml_lists_endpoints_and_formats(client, db):
    root = parse(client.get("/open311/discovery.xml"), "xml")
    assert root.tag == "discovery"
    assert root.findtext("changeset")
    endpoint = root.find("endpoints").find("endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.find("formats").findall("format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_without_a_configured_contact_key_service_is_one_clean_sentence_pair(client, db, settings, locale):
    settings.OPEN311_CONTACT = ""
    document = parse(client.get("/open311/discovery.json", {"locale": locale}), "json")
    assert document["contact"]
    assert ".." not in document["key_service"] and ". ." not in document["key_service"]
    assert document["key_service"].endswith(".")


def test_a_contact_ending_with_a_full_stop_gives_no_double_full_stop(client, db, settings):
    settings.OPEN311_CONTACT = "Phòng CNTT, open311@phananh.example.vn."
    document = parse(client.get("/open311/discovery.json"), "json")
    assert document["contact"] == "Phòng CNTT, open311@phananh.example.vn."
    assert "open311@phananh.example.vn" in document["key_service"]
    assert ".." not in document["key_service"]


def test_the_changeset_is_a_fixed_past_date_not_the_time_of_the_call(client, db, monkeypatch):
    first = parse(client.get("/open311/discovery.json"), "json")["changeset"]
    assert first == views.CHANGESET
    changeset = dt.datetime.fromisoformat(first)
    assert changeset.utcoffset() == dt.timedelta(hours=7)
    assert changeset <= timezone.now()
    # A week later, without any change to the endpoint, the changeset is the same.
    later = timezone.now() + dt.timedelta(days=7)
    monkeypatch.setattr(timezone, "now", lambda: later)
    again = parse(client.get("/open311/discovery.xml"), "xml").findtext("changeset")
    assert again == first
