"""GET services and service definitions: categories as services, attributes, languages, errors."""

from __future__ import annotations

import pytest

from petitions.models import Category
from tests.portal.open311.conftest import BASE, errors, parse, xml_items

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


def test_services_json_lists_active_categories_with_the_specifications_fields(client, tree):
    Category.objects.filter(code="other").update(is_active=False)
    Category.objects.filter(code="environment").update(keywords="rác, ngập, mùi hôi")
    response = client.get(f"{BASE}/services.json", {"jurisdiction_id": "petitions.example.vn"})
    assert response.status_code == 200
    services = parse(response, "json")
    assert isinstance(services, list)
    codes = [service["service_code"] for service in services]
    assert "environment" in codes and "other" not in codes
    environment = services[codes.index("environment")]
    assert list(environment) == SERVICE_FIELDS
    assert environment["service_name"] == "Môi trường, vệ sinh"  # Vietnamese by default
    assert environment["metadata"] is True and environment["type"] == "realtime"
    assert environment["keywords"] == "Môi trường, vệ sinh, Environment and sanitation, rác, ngập, mùi hôi"
    assert environment["group"]
    misconduct = services[codes.index("misconduct")]
    assert misconduct["group"] != environment["group"]  # handled by the province


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_is_described_by_its_categorys_description(client, tree, fmt):
    Category.objects.filter(code="environment").update(description="Rác thải, nước thải, ô nhiễm không khí.")
    Category.objects.filter(code="transport").update(description="")
    response = client.get(f"{BASE}/services.{fmt}")
    if fmt == "json":
        services = {service["service_code"]: service for service in parse(response, "json")}
        assert services["environment"]["description"] == "Rác thải, nước thải, ô nhiễm không khí."
        assert services["transport"]["description"] is None
    else:
        items = {item["service_code"]: item for item in xml_items(parse(response, "xml"), "service")}
        assert items["environment"]["description"] == "Rác thải, nước thải, ô nhiễm không khí."
        assert items["transport"]["description"] == ""


def test_services_xml_is_well_formed_with_one_service_element_each(client, tree):
    response = client.get(f"{BASE}/services.xml")
    root = parse(response, "xml")
    assert root.tag == "services"
    items = xml_items(root, "service")
    assert len(items) == Category.objects.filter(is_active=True).count()
    environment = next(item for item in items if item["service_code"] == "environment")
    assert list(environment) == SERVICE_FIELDS
    assert environment["metadata"] == "true" and environment["type"] == "realtime"


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"locale": "en"}, {}), ({"locale": "en_US"}, {}), ({}, {"Accept-Language": "en-GB,en;q=0.8"})],
)
def test_services_answer_in_english_when_asked(client, tree, query, headers):
    response = client.get(f"{BASE}/services.json", query, headers=headers)
    names = {service["service_code"]: service["service_name"] for service in parse(response, "json")}
    assert names["environment"] == "Environment and sanitation"
    assert response["Content-Language"] == "en"


def test_an_unknown_locale_falls_back_to_vietnamese(client, tree):
    response = client.get(f"{BASE}/services.json", {"locale": "fr"})
    names = {service["service_code"]: service["service_name"] for service in parse(response, "json")}
    assert names["environment"] == "Môi trường, vệ sinh"


def test_service_definition_json_declares_the_commune_and_other_attributes(client, tree):
    response = client.get(f"{BASE}/services/environment.json", {"jurisdiction_id": "x"})
    assert response.status_code == 200
    definition = parse(response, "json")
    assert definition["service_code"] == "environment"
    attributes = {attribute["code"]: attribute for attribute in definition["attributes"]}
    assert list(attributes) == ["commune", "province", "title", "consent_publish", "language"]
    commune = attributes["commune"]
    assert commune["required"] is True and commune["variable"] is True and commune["datatype"] == "string"
    assert "/units/P01/communes.json" in commune["datatype_description"]
    assert [attribute["order"] for attribute in definition["attributes"]] == [1, 2, 3, 4, 5]
    province = attributes["province"]
    assert province["datatype"] == "singlevaluelist" and province["required"] is False
    assert {"key": "P01", "name": "Thành phố Hà Nội"} in province["values"]
    assert [value["key"] for value in attributes["consent_publish"]["values"]] == ["true", "false"]
    language = attributes["language"]
    assert language["datatype"] == "singlevaluelist" and language["required"] is False
    assert [value["key"] for value in language["values"]] == ["vi", "en"]


def test_service_definition_xml_nests_attributes_and_values(client, tree):
    root = parse(client.get(f"{BASE}/services/environment.xml"), "xml")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "environment"
    attributes = root.find("attributes").findall("attribute")
    assert [attribute.findtext("code") for attribute in attributes] == [
        "commune",
        "province",
        "title",
        "consent_publish",
        "language",
    ]
    assert attributes[0].findtext("required") == "true"
    keys = [value.findtext("key") for value in attributes[1].find("values").findall("value")]
    assert "P01" in keys and "P79" in keys


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_or_inactive_service_is_a_404_in_the_specifications_format(client, tree, fmt):
    Category.objects.filter(code="other").update(is_active=False)
    for code in ("no-such-service", "other"):
        response = client.get(f"{BASE}/services/{code}.{fmt}")
        assert response.status_code == 404
        [(status, description)] = errors(response, fmt)
        assert status == 404 and code in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_path_or_format_is_a_404_in_the_specifications_format(client, fmt):
    response = client.get(f"{BASE}/nothing-here.{fmt}")
    assert response.status_code == 404
    assert errors(response, fmt)[0][0] == 404
    assert client.get(f"{BASE}/services.csv").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_method_is_a_405_in_the_specifications_format(client, fmt):
    response = client.delete(f"{BASE}/services.{fmt}")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert errors(response, fmt)[0][0] == 405
