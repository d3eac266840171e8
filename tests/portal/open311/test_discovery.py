"""The GeoReport discovery document, in JSON and XML."""

from __future__ import annotations

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
