"""POST requests: filing a petition with a partner's key, its validation errors and its safeguards."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from notifications.models import Notification
from petitions.models import Channel, Partner, PartnerKey, Petition
from routing.models import CaseState
from tests.portal.open311.conftest import (
    BASE,
    errors,
    make_key,
    parse,
    post_request,
    request_data,
    xml_items,
)


def test_a_partner_files_a_request_that_becomes_a_routed_petition(client, tree, partner, api_key):
    response = post_request(client, request_data(tree, api_key))
    assert response.status_code == 201
    [item] = parse(response, "json")
    assert list(item) == ["service_request_id", "token", "service_notice", "account_id"]
    assert item["account_id"] is None
    assert "Phường Hoàn Kiếm" in item["service_notice"]

    petition = Petition.objects.select_related("case__unit").get()
    assert item["service_request_id"] == petition.tracking_code
    assert petition.channel == Channel.OPEN311 and petition.partner == partner
    assert petition.submitter_name == "Nguyễn Văn An"  # family name first
    assert petition.phone == "+84912345678" and petition.email == "an.nguyen@example.com"
    assert petition.commune == tree.hoan_kiem and petition.province == tree.hanoi
    assert petition.address == "12 Hàng Bông"
    assert (petition.latitude, petition.longitude) == (Decimal("21.028511"), Decimal("105.852020"))
    assert petition.media_url == "https://cdn.phoxanh.example/photos/1.jpg"
    assert petition.title == "Rác thải sinh hoạt không được thu gom ba ngày nay trên phố Hàng Bông."
    assert petition.consent_publish is False
    assert petition.case.unit == tree.hoan_kiem and petition.case.state == CaseState.SUBMITTED


def test_the_citizen_gets_the_usual_receipt_and_the_partner_never_the_private_link(client, tree, api_key):
    response = post_request(client, request_data(tree, api_key))
    petition = Petition.objects.get()
    receipt = Notification.objects.filter(petition_id=petition.pk).first()
    assert receipt is not None  # the citizen's SMS receipt with the private link
    body = response.content.decode()
    assert "/t/" not in body
    token = parse(response, "json")[0]["token"]
    assert not petition.check_token(token)


def test_filing_in_xml_answers_in_xml(client, tree, api_key):
    response = post_request(client, request_data(tree, api_key), fmt="xml")
    assert response.status_code == 201
    root = parse(response, "xml")
    assert root.tag == "service_requests"
    [item] = xml_items(root)
    assert item["service_request_id"] == Petition.objects.get().tracking_code
    assert item["account_id"] == ""


def test_an_address_string_alone_is_a_location_and_attributes_are_optional(client, tree, api_key):
    data = request_data(
        tree,
        api_key,
        lat=None,
        long=None,
        **{"attribute[province]": None, "attribute[title]": "Rác ùn ứ", "attribute[consent_publish]": "true"},
    )
    assert post_request(client, data).status_code == 201
    petition = Petition.objects.get()
    assert petition.latitude is None and petition.address == "12 Hàng Bông"
    assert petition.title == "Rác ùn ứ" and petition.consent_publish is True


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_consent_that_is_neither_true_nor_false_is_refused(client, tree, api_key, fmt):
    response = post_request(
        client, request_data(tree, api_key, **{"attribute[consent_publish]": "maybe"}), fmt=fmt
    )
    assert response.status_code == 400
    assert any(text.startswith("attribute[consent_publish]:") for _code, text in errors(response, fmt))
    assert not Petition.objects.exists()
    assert (
        post_request(client, request_data(tree, api_key, **{"attribute[consent_publish]": "No"})).status_code
        == 201
    )
    assert Petition.objects.get().consent_publish is False


def test_a_request_without_a_name_is_anonymous_where_the_category_allows_it(client, tree, api_key):
    data = request_data(tree, api_key, first_name=None, last_name=None)
    assert post_request(client, data).status_code == 201
    assert Petition.objects.get().is_anonymous is True
    response = post_request(client, {**data, "service_code": "land-housing"})
    assert response.status_code == 400
    assert any(text.startswith("first_name:") for _code, text in errors(response, "json"))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_filing_without_an_api_key_is_a_403_as_georeport_v2_says(client, tree, fmt):
    response = post_request(client, request_data(tree, "", api_key=None), fmt=fmt)
    assert response.status_code == 403
    [(code, description)] = errors(response, fmt)
    assert code == 403 and "api_key" in description
    assert not Petition.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_key_is_a_403(client, tree, api_key, fmt):
    response = post_request(client, request_data(tree, api_key + "x"), fmt=fmt)
    assert response.status_code == 403
    assert errors(response, fmt)[0][0] == 403
    assert not Petition.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_revoked_key_or_an_inactive_partner_is_a_403(client, tree, partner, api_key, fmt):
    PartnerKey.objects.update(is_active=False)
    assert post_request(client, request_data(tree, api_key), fmt=fmt).status_code == 403
    PartnerKey.objects.update(is_active=True)
    Partner.objects.update(is_active=False)
    response = post_request(client, request_data(tree, api_key), fmt=fmt)
    assert response.status_code == 403
    assert errors(response, fmt)[0][0] == 403
    assert not Petition.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_code_is_a_404_as_the_specification_says(client, tree, api_key, fmt):
    response = post_request(client, request_data(tree, api_key, service_code="potholes"), fmt=fmt)
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404 and "potholes" in description


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_service_code_is_a_400(client, tree, api_key, fmt):
    response = post_request(client, request_data(tree, api_key, service_code=None), fmt=fmt)
    assert response.status_code == 400
    assert "service_code" in errors(response, fmt)[0][1]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_commune_is_a_400_naming_the_attribute(client, tree, api_key, fmt):
    response = post_request(client, request_data(tree, api_key, **{"attribute[commune]": None}), fmt=fmt)
    assert response.status_code == 400
    descriptions = [text for _code, text in errors(response, fmt)]
    assert any(text.startswith("attribute[commune]: ") for text in descriptions)
    assert not Petition.objects.exists()


def test_units_may_be_given_by_their_national_register_codes_but_never_by_database_ids(client, tree, api_key):
    data = request_data(tree, api_key, **{"attribute[commune]": "00070", "attribute[province]": "01"})
    assert post_request(client, data).status_code == 201
    assert Petition.objects.get().commune == tree.hoan_kiem
    by_id = request_data(
        tree, api_key, **{"attribute[commune]": str(tree.cua_nam.pk), "attribute[province]": None}
    )
    response = post_request(client, by_id)
    assert response.status_code == 400
    assert errors(response, "json")[0][1].startswith("attribute[commune]: ")


def test_a_commune_outside_the_given_province_is_a_400(client, tree, api_key):
    data = request_data(tree, api_key, **{"attribute[province]": tree.hcm.code})
    response = post_request(client, data)
    assert response.status_code == 400
    assert errors(response, "json")[0][1].startswith("attribute[commune]: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_description_over_4000_characters_is_a_400(client, tree, api_key, fmt):
    response = post_request(client, request_data(tree, api_key, description="ngập " * 801), fmt=fmt)
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400 and description.startswith("description: ") and "4000" in description
    assert not Petition.objects.exists()


def test_a_request_without_any_location_is_a_400(client, tree, api_key):
    response = post_request(client, request_data(tree, api_key, lat=None, long=None, address_string=None))
    assert response.status_code == 400
    assert "address_string" in errors(response, "json")[0][1]


def test_every_invalid_field_is_reported_with_its_parameter_name(client, tree, api_key):
    data = request_data(
        tree, api_key, phone="12", email="not-an-email", lat="48.85", media_url="javascript:x"
    )
    response = post_request(client, data)
    assert response.status_code == 400
    parameters = {text.split(":")[0] for _code, text in errors(response, "json")}
    assert parameters == {"phone", "email", "lat", "media_url"}
    assert not Petition.objects.exists()


def test_validation_messages_follow_the_callers_language(client, tree, api_key):
    data = request_data(tree, api_key, phone="12")
    english = errors(post_request(client, {**data, "locale": "en"}), "json")
    assert english == [(400, "phone: Enter a valid phone number, for example 0912 345 678.")]
    vietnamese = errors(post_request(client, data, **{"Accept-Language": "vi"}), "json")
    assert vietnamese[0][1].startswith("phone: ") and vietnamese != english


def test_a_retry_with_the_same_idempotency_key_files_once(client, tree, api_key):
    data = request_data(tree, api_key)
    first = post_request(client, data, **{"Idempotency-Key": "req-42"})
    again = post_request(client, data, **{"Idempotency-Key": "req-42"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert parse(first, "json")[0]["service_request_id"] == parse(again, "json")[0]["service_request_id"]
    assert Petition.objects.count() == 1
    # Without the header every POST is a new request.
    assert post_request(client, data).status_code == 201
    assert Petition.objects.count() == 2


def test_partners_idempotency_keys_never_collide(client, tree, api_key, other_key):
    data = request_data(tree, api_key)
    assert post_request(client, data, **{"Idempotency-Key": "1"}).status_code == 201
    assert post_request(client, {**data, "api_key": other_key}, **{"Idempotency-Key": "1"}).status_code == 201
    assert Petition.objects.count() == 2


def test_reusing_an_idempotency_key_for_other_content_is_a_400(client, tree, api_key):
    post_request(client, request_data(tree, api_key), **{"Idempotency-Key": "k"})
    response = post_request(
        client, request_data(tree, api_key, phone="0987 654 321"), **{"Idempotency-Key": "k"}
    )
    assert response.status_code == 400
    assert errors(response, "json")[0][1].startswith("Idempotency-Key: ")
    # 80 characters, as in the JSON API; longer is refused.
    assert (
        post_request(client, request_data(tree, api_key), **{"Idempotency-Key": "k" * 80}).status_code == 201
    )
    too_long = post_request(client, request_data(tree, api_key), **{"Idempotency-Key": "k" * 81})
    assert too_long.status_code == 400
    assert errors(too_long, "json")[0][1].startswith("Idempotency-Key: ")


def test_an_api_client_cannot_take_a_partners_open311_idempotency_key(client, tree, partner, api_key):
    """``open311-<partner>-x`` was the stored form of partner's Open311 key ``x``: an API client blocked it."""
    from rest_framework.test import APIClient

    from tests.api.test_public_api import VALID

    squatter = APIClient().post(
        "/api/v1/petitions/", VALID, format="json", HTTP_IDEMPOTENCY_KEY=f"open311-{partner.pk}-x"
    )
    assert squatter.status_code == 201
    response = post_request(client, request_data(tree, api_key), **{"Idempotency-Key": "x"})
    assert response.status_code == 201, response.content
    assert Petition.objects.count() == 2
    # The retries of each still find their own petition.
    again = post_request(client, request_data(tree, api_key), **{"Idempotency-Key": "x"})
    assert again.status_code == 200
    assert parse(again, "json")[0]["service_request_id"] == parse(response, "json")[0]["service_request_id"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_partner_over_its_rate_is_refused_with_a_429(client, tree, partner, api_key, fmt):
    partner.rate_limit = "2/h"
    partner.save()
    for _ in range(2):
        assert post_request(client, request_data(tree, api_key), fmt=fmt).status_code == 201
    response = post_request(client, request_data(tree, api_key), fmt=fmt)
    assert response.status_code == 429
    assert errors(response, fmt)[0][0] == 429
    assert int(response["Retry-After"]) >= 1
    assert Petition.objects.count() == 2


def test_each_key_has_its_own_allowance(client, tree, partner, api_key):
    partner.rate_limit = "1/h"
    partner.save()
    second_key = make_key(partner, "web")
    assert post_request(client, request_data(tree, api_key)).status_code == 201
    assert post_request(client, request_data(tree, api_key)).status_code == 429
    assert post_request(client, request_data(tree, second_key)).status_code == 201


def test_using_a_key_records_when_it_was_last_used(client, tree, api_key):
    assert PartnerKey.objects.get().last_used_at is None
    post_request(client, request_data(tree, api_key))
    assert PartnerKey.objects.get().last_used_at is not None


def test_posting_needs_no_csrf_token(tree, api_key):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_request(strict, request_data(tree, api_key)).status_code == 201


# --- a body that is not form-encoded ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_json_body_is_refused_as_not_form_encoded_rather_than_as_missing_a_key(client, tree, api_key, fmt):
    response = client.post(
        f"{BASE}/requests.{fmt}", json.dumps(request_data(tree, api_key)), content_type="application/json"
    )
    assert response.status_code == 415
    [(code, description)] = errors(response, fmt)
    assert code == 415
    assert "application/x-www-form-urlencoded" in description and "api_key" not in description
    assert not Petition.objects.exists()


def test_a_body_of_another_type_is_refused_too(client, tree, api_key):
    response = client.generic(
        "POST", f"{BASE}/requests.json", urlencode(request_data(tree, api_key)), content_type="text/plain"
    )
    assert response.status_code == 415
    assert not Petition.objects.exists()


def test_a_multipart_body_is_form_encoded_too(client, tree, api_key):
    response = client.post(f"{BASE}/requests.json", request_data(tree, api_key))  # multipart/form-data
    assert response.status_code == 201
    assert Petition.objects.count() == 1


# --- the citizen's language is not the caller's ------------------------------------------------------


def _sms(petition: Petition) -> Notification:
    return Notification.objects.get(petition_id=petition.pk, channel="sms")


@pytest.mark.parametrize(
    ("query", "headers"), [("?locale=en", {}), ("", {"Accept-Language": "en"}), ("?locale=en_US", {})]
)
def test_a_caller_reading_english_files_for_a_citizen_texted_in_vietnamese(
    client, tree, api_key, query, headers
):
    response = client.post(
        f"{BASE}/requests.json{query}",
        urlencode(request_data(tree, api_key)),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert response.status_code == 201
    # The answer is in the caller's language ...
    assert response["Content-Language"] == "en"
    assert parse(response, "json")[0]["service_notice"].startswith("Received.")
    # ... the citizen's messages in Vietnamese.
    petition = Petition.objects.get()
    assert petition.language == "vi"
    sms = _sms(petition)
    assert sms.language == "vi" and "your petition was received" not in sms.body


def test_a_locale_sent_in_the_body_does_not_choose_the_citizens_language_either(client, tree, api_key):
    assert post_request(client, request_data(tree, api_key, locale="en")).status_code == 201
    assert Petition.objects.get().language == "vi"


def test_the_citizens_language_is_chosen_with_the_language_attribute(client, tree, api_key):
    data = request_data(tree, api_key, **{"attribute[language]": "en"})
    response = post_request(client, data, **{"Accept-Language": "vi"})
    assert response.status_code == 201
    assert response["Content-Language"] == "vi"
    petition = Petition.objects.get()
    assert petition.language == "en"
    assert "your petition was received" in _sms(petition).body


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_citizen_language_is_a_400_naming_the_attribute(client, tree, api_key, fmt):
    data = request_data(tree, api_key, **{"attribute[language]": "fr"})
    response = post_request(client, data, fmt=fmt)
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400 and description.startswith("attribute[language]: ")
    assert not Petition.objects.exists()


# --- the per-phone limit -------------------------------------------------------------------------------


def test_a_phone_gets_at_most_the_portals_hourly_number_of_requests(client, tree, api_key, settings):
    assert settings.PORTAL_RATES["submit_phone"] == "6/h"  # the default the portal and the API apply
    statuses = [post_request(client, request_data(tree, api_key)).status_code for _ in range(8)]
    assert statuses == [201] * 6 + [429] * 2
    assert Petition.objects.count() == 6
    assert Notification.objects.filter(channel="sms").count() == 6


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_over_the_phone_limit_is_a_429_with_retry_after(client, tree, api_key, settings, fmt):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "2/h"}
    for _ in range(2):
        assert post_request(client, request_data(tree, api_key), fmt=fmt).status_code == 201
    # The same number written another way is the same phone.
    response = post_request(client, request_data(tree, api_key, phone="+84 912 345 678"), fmt=fmt)
    assert response.status_code == 429
    [(code, description)] = errors(response, fmt)
    assert code == 429 and description.startswith("phone: ")
    assert int(response["Retry-After"]) >= 1
    assert Petition.objects.count() == 2
    # Another phone, through the same key, still gets through.
    assert post_request(client, request_data(tree, api_key, phone="0987 654 321"), fmt=fmt).status_code == 201


def test_the_phone_limit_counts_across_partners(client, tree, api_key, other_key, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "1/h"}
    assert post_request(client, request_data(tree, api_key)).status_code == 201
    assert post_request(client, request_data(tree, other_key)).status_code == 429


def test_an_idempotent_retry_is_answered_even_over_the_phone_limit(client, tree, api_key, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "1/h"}
    data = request_data(tree, api_key)
    first = post_request(client, data, **{"Idempotency-Key": "req-7"})
    assert first.status_code == 201
    assert post_request(client, data).status_code == 429  # a new request for this phone
    for _ in range(3):
        again = post_request(client, data, **{"Idempotency-Key": "req-7"})
        assert again.status_code == 200
        assert parse(again, "json") == parse(first, "json")
    assert Petition.objects.count() == 1
    assert Notification.objects.filter(channel="sms").count() == 1


def test_an_invalid_phone_is_a_400_not_a_429(client, tree, api_key, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "submit_phone": "1/h"}
    for _ in range(3):
        response = post_request(client, request_data(tree, api_key, phone="12"))
        assert response.status_code == 400
        assert errors(response, "json")[0][1].startswith("phone: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_parameter_sent_twice_is_refused_not_cut_to_its_last_value(client, tree, api_key, fmt):
    """Two media_url kept only the last one: the partner's first photo was lost unseen."""
    data = request_data(tree, api_key)
    data["media_url"] = [
        "https://cdn.phoxanh.example/photos/1.jpg",
        "https://cdn.phoxanh.example/photos/2.jpg",
    ]
    response = post_request(client, data, fmt=fmt, **{"Accept-Language": "en"})
    assert response.status_code == 400
    assert errors(response, fmt) == [(400, "media_url: send one value, not 2.")]
    assert not Petition.objects.exists()
    # Repeated values of one attribute are a list, as GeoReport v2 allows for multi-value attributes.
    listed = request_data(tree, api_key, **{"attribute[consent_publish]": ["true"]})
    assert post_request(client, listed, fmt=fmt).status_code == 201
