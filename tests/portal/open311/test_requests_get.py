"""GET requests and GET requests/{id}: privacy, status mapping, filters, errors, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from petitions.models import Petition
from routing import services
from routing.models import Case
from tests.conftest import advance
from tests.portal.open311.conftest import BASE, PERSONAL, errors, parse, xml_items

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def _get(client, path, fmt="json", **params):
    return client.get(f"{BASE}/{path}.{fmt}", params)


def _ids(response):
    return [item["service_request_id"] for item in parse(response, "json")]


def _no_personal_data(response):
    body = response.content.decode()
    for value in PERSONAL:
        assert value not in body


def _case(code):
    return Case.objects.select_related("petition").get(petition__tracking_code=code)


def _accepted(code):
    """The request once its unit accepted it: only then published, as on the portal's pages."""
    from tests.conftest import make_staff

    case = _case(code)
    services.case_accept(case_id=case.pk, actor=make_staff(case.unit))
    return code


def test_without_a_key_only_published_requests_are_listed(client, file_request, submit):
    published = _accepted(file_request(**{"attribute[consent_publish]": "true"}))
    private = _accepted(file_request())
    unread = file_request(**{"attribute[consent_publish]": "true"})  # consented, not yet accepted
    web = _accepted(submit(consent_publish=True).petition.tracking_code)
    response = _get(client, "requests")
    assert response.status_code == 200
    assert set(_ids(response)) == {published, web}
    assert private not in _ids(response) and unread not in _ids(response)
    _no_personal_data(response)
    # Asked for by its code, a request nobody has read yet shows its status, not its words.
    [item] = parse(_get(client, f"requests/{unread}"), "json")
    assert item["status"] == "open" and not item.get("description")


def test_a_public_request_shows_its_text_and_place_but_no_personal_data(client, file_request):
    code = _accepted(file_request(**{"attribute[consent_publish]": "true"}))
    [item] = parse(_get(client, "requests"), "json")
    assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == code
    assert item["description"].startswith("Rác thải sinh hoạt")
    # The commune and province only: the street address and map point may be the citizen's home.
    assert item["address"] == "Phường Hoàn Kiếm, Thành phố Hà Nội"
    assert item["lat"] is None and item["long"] is None and item["media_url"] is None
    assert item["agency_responsible"] == "Phường Hoàn Kiếm"
    assert item["requested_datetime"].endswith("+07:00")


def test_a_petition_from_the_web_portal_leads_its_description_with_its_title(client, submit):
    code = _accepted(submit(consent_publish=True).petition.tracking_code)
    [item] = parse(_get(client, f"requests/{code}"), "json")
    assert item["description"] == (
        "Rác thải ùn ứ trên phố Hàng Bông\n\nRác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi."
    )


def test_the_filing_partner_sees_its_own_requests_in_full(client, file_request, api_key):
    code = file_request()
    response = _get(client, "requests", api_key=api_key)
    [item] = parse(response, "json")
    assert item["service_request_id"] == code
    assert item["address"] == "12 Hàng Bông, Phường Hoàn Kiếm, Thành phố Hà Nội"
    assert (item["lat"], item["long"]) == (21.028511, 105.85202)
    assert item["media_url"] == "https://cdn.phoxanh.example/photos/1.jpg"
    assert response["Cache-Control"] == "private, no-store"
    _no_personal_data(response)


def test_another_partners_key_cannot_see_the_details_of_a_request_it_did_not_file(
    client, file_request, other_key
):
    code = file_request()
    assert _get(client, "requests", api_key=other_key).content == b"[]"
    response = _get(client, f"requests/{code}", api_key=other_key)
    assert response.status_code == 200
    [item] = parse(response, "json")
    assert item["status"] == "open" and item["service_code"] == "environment"
    assert item["agency_responsible"] == "Phường Hoàn Kiếm" and item["requested_datetime"]
    for hidden in ("description", "address", "lat", "long", "media_url", "status_notes"):
        assert item[hidden] is None
    _no_personal_data(response)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_single_request_is_answered_in_both_formats(client, file_request, api_key, fmt):
    code = file_request()
    response = _get(client, f"requests/{code}", fmt, api_key=api_key, jurisdiction_id="x")
    assert response.status_code == 200
    if fmt == "json":
        [item] = parse(response, "json")
    else:
        root = parse(response, "xml")
        assert root.tag == "service_requests"
        [item] = xml_items(root)
        assert list(item) == REQUEST_FIELDS
    assert item["service_request_id"] == code
    assert item["status"] == "open"
    assert str(item["lat"]) == "21.028511"


def test_a_request_id_is_found_however_it_is_typed(client, file_request):
    code = file_request()
    compact = code.replace("-", "").lower()
    assert _get(client, f"requests/{compact}").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_request_is_a_404(client, tree, fmt):
    response = _get(client, "requests/PA-26-ZZZZZZ", fmt)
    assert response.status_code == 404
    [(code, description)] = errors(response, fmt)
    assert code == 404 and "PA-26-ZZZZZZ" in description


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("submitted", "open"),
        ("in_progress", "open"),
        ("awaiting_agency", "open"),
        ("pending_approval", "open"),
        ("responded", "closed"),
        ("closed", "closed"),
        ("rejected", "closed"),
        ("duplicate", "closed"),
        ("withdrawn", "closed"),
    ],
)
def test_every_state_maps_to_open_or_closed(client, file_request, api_key, cast, state, status):
    code = file_request()
    advance(_case(code), state, cast)
    [item] = parse(_get(client, f"requests/{code}", api_key=api_key), "json")
    assert item["status"] == status
    assert item["service_notice"]  # the state in words
    if status == "open":
        assert item["expected_datetime"].endswith("+07:00")
    else:
        assert item["expected_datetime"] is None


def test_status_notes_carry_the_published_response_or_the_rejection_reason(
    client, file_request, api_key, cast
):
    answered = file_request()
    advance(_case(answered), "responded", cast)
    rejected = file_request()
    services.case_reject(case_id=_case(rejected).pk, actor=cast.officer, reason="Ngoài phạm vi.")
    drafted = file_request()
    advance(_case(drafted), "pending_approval", cast)  # a draft is internal
    services.case_add_note(
        case_id=_case(drafted).pk, actor=cast.officer, text="Ghi chú nội bộ.", is_public=False
    )
    notes = {
        item["service_request_id"]: item["status_notes"]
        for item in parse(_get(client, "requests", api_key=api_key), "json")
    }
    assert notes == {answered: "Đã xử lý xong.", rejected: "Ngoài phạm vi.", drafted: None}


def test_a_withdrawn_petition_is_no_longer_listed_publicly(client, file_request, cast):
    code = file_request(**{"attribute[consent_publish]": "true"})
    advance(_case(code), "withdrawn", cast)
    assert _get(client, "requests").content == b"[]"
    [item] = parse(_get(client, f"requests/{code}"), "json")
    assert item["status"] == "closed" and item["description"] is None


def test_filters_by_status_service_and_ids(client, file_request, api_key, cast):
    open_code = file_request()
    closed_code = file_request(service_code="transport")
    advance(_case(closed_code), "rejected", cast)
    assert _ids(_get(client, "requests", api_key=api_key, status="open")) == [open_code]
    assert _ids(_get(client, "requests", api_key=api_key, status="closed")) == [closed_code]
    assert set(_ids(_get(client, "requests", api_key=api_key, status="open,closed"))) == {
        open_code,
        closed_code,
    }
    repeated = client.get(f"{BASE}/requests.json", {"api_key": api_key, "status": ["open", "closed"]})
    assert set(_ids(repeated)) == {open_code, closed_code}
    assert _ids(_get(client, "requests", api_key=api_key, service_code="transport")) == [closed_code]
    both = _get(
        client, "requests", api_key=api_key, service_request_id=f"{open_code}, {closed_code}", status="open"
    )
    assert set(_ids(both)) == {open_code, closed_code}  # ids override the other filters


def test_the_default_window_is_the_last_90_days(client, file_request, api_key):
    old = file_request()
    recent = file_request()
    Petition.objects.filter(tracking_code=old).update(submitted_at=timezone.now() - dt.timedelta(days=91))
    Case.objects.filter(petition__tracking_code=old).update(
        submitted_at=timezone.now() - dt.timedelta(days=91)
    )
    assert _ids(_get(client, "requests", api_key=api_key)) == [recent]
    start = (timezone.now() - dt.timedelta(days=100)).date().isoformat()
    assert _ids(_get(client, "requests", api_key=api_key, start_date=start)) == [old]
    # An old request is still found by its id.
    assert _ids(_get(client, "requests", api_key=api_key, service_request_id=old)) == [old]


def test_dates_with_offsets_or_utc_are_understood(client, file_request, api_key):
    code = file_request()
    now = timezone.now()
    start = (now - dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = timezone.localtime(now + dt.timedelta(hours=1)).isoformat(timespec="seconds")
    assert _ids(_get(client, "requests", api_key=api_key, start_date=start, end_date=end)) == [code]
    # "+07:00" sent without URL-encoding arrives as a space.
    assert _ids(
        _get(client, "requests", api_key=api_key, start_date=start, end_date=end.replace("+", " "))
    ) == [code]
    later = (now + dt.timedelta(hours=2)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(_get(client, "requests", api_key=api_key, start_date=later)) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z", "locale": "en"},
            "90 days",
        ),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "potholes"}, "potholes"),
    ],
)
def test_bad_filters_are_a_400(client, tree, fmt, params, expected):
    response = _get(client, "requests", fmt, **params)
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400 and expected in description


def test_a_list_in_xml_is_well_formed_and_strips_characters_xml_cannot_carry(client, file_request, api_key):
    code = file_request(description='Đèn đường hỏng\x07 & <tối> cả tuần "nay".')
    root = parse(_get(client, "requests", "xml", api_key=api_key), "xml")
    [item] = xml_items(root)
    assert item["service_request_id"] == code
    assert item["description"] == 'Đèn đường hỏng & <tối> cả tuần "nay".'
    assert item["lat"] == "21.028511" and item["address_id"] == "" and item["zipcode"] == ""


def test_listing_requests_takes_the_same_number_of_queries_for_any_number_of_requests(
    client, file_request, api_key, cast
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = _get(client, "requests", api_key=api_key)
            assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        file_request()
    few = count()
    for state in ("rejected", "responded", "in_progress"):
        advance(_case(file_request()), state, cast)
    assert len(parse(_get(client, "requests", api_key=api_key), "json")) == 5
    assert count() == few


def test_anonymous_readers_are_rate_limited_per_address(client, tree, settings):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "open311_ip": "2/h"}
    assert _get(client, "requests").status_code == 200
    assert _get(client, "services").status_code == 200
    response = _get(client, "requests", "xml")
    assert response.status_code == 429
    assert errors(response, "xml")[0][0] == 429
    # Another address still gets through.
    assert client.get(f"{BASE}/requests.json", REMOTE_ADDR="10.0.0.9").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_reading_with_a_wrong_key_is_a_403(client, tree, api_key, fmt):
    response = _get(client, "requests", fmt, api_key="nope")
    assert response.status_code == 403
    assert errors(response, fmt)[0][0] == 403
