"""GET tokens/{token}: the token from a POST resolves to its service_request_id."""

from __future__ import annotations

import pytest

from tests.portal.open311.conftest import BASE, errors, parse, post_request, request_data, xml_items


def test_the_token_returned_by_a_post_resolves_to_the_request(client, tree, api_key):
    [created] = parse(post_request(client, request_data(tree, api_key)), "json")
    response = client.get(f"{BASE}/tokens/{created['token']}.json", {"jurisdiction_id": "x"})
    assert response.status_code == 200
    assert parse(response, "json") == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]


def test_tokens_answer_in_xml(client, tree, api_key):
    [created] = parse(post_request(client, request_data(tree, api_key)), "json")
    root = parse(client.get(f"{BASE}/tokens/{created['token']}.xml"), "xml")
    assert root.tag == "service_requests"
    assert xml_items(root) == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_token_is_a_404(client, tree, fmt):
    response = client.get(f"{BASE}/tokens/PA-26-ZZZZZZ.{fmt}")
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404 and "PA-26-ZZZZZZ" in description
