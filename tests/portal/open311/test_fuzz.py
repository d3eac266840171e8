"""Hostile input on Open311: never a server error, errors in the specification's format, no partial record.

Hypothesis starts from a partner's valid request (``request_data``) and replaces a few
parameters with hostile values, adds arbitrary ``attribute[...]`` parameters and an
arbitrary Idempotency-Key; on GET it sends arbitrary dates, statuses, service codes and
request ids. Bodies go on the wire as a client would send them, lone surrogates as
invalid UTF-8.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, Phase, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from notifications.models import Notification
from petitions.models import Attachment, Partner, Petition
from routing.models import Case, CaseEvent
from tests.portal.open311.conftest import BASE, errors, parse, request_data

FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    # No explain phase: it re-runs a failing example many times only to comment on it.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    # The partner, its key and the unit tree are the world the examples call into.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

PAYLOADS = [
    "'; DROP TABLE petitions_petition; --",
    "<script>alert(1)</script>",
    "]]></description><injected/>",
    "&amp;&lt;&#0;",
    "{{ 7*7 }}",
    "\x00",
    "\x01\x0b\x1f\ufffe\uffff",
    "\ud800",
    "\u202e\u200f",
    "e\u0301" * 4,
    "\u0344" * 3,
    "",
    " ",
]

text_values = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(PAYLOADS),
    st.builds(
        lambda char, count: char * count,
        st.sampled_from(["a", "Đ", "\u0344"]),
        st.sampled_from([120, 200, 201, 3_999, 4_000, 4_001, 10_001]),
    ),
)

number_values = st.one_of(
    st.sampled_from(
        [
            "",
            "NaN",
            "nan",
            "-NaN",
            "sNaN",
            "inf",
            "-Infinity",
            "1e999999",
            "1e-999999",
            "21,03",
            "２１.０",
            "²",
            "99999999999999999999999999",
            str(2**63),
            "-1",
            "0",
            "21.028511",
            "105.852020",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True).map(str),
    st.text(max_size=12),
)

unit_values = st.one_of(
    st.sampled_from(["P01", "P79", "W00070", "W00073", "W26743", "TW", "1", "70", "73", "26743", "0"]),
    number_values,
)

PARAMETERS: dict[str, st.SearchStrategy[str]] = {
    "service_code": st.one_of(
        st.sampled_from(["environment", "land-housing", "ENVIRONMENT", "environment\x00", "1"]), text_values
    ),
    "attribute[commune]": unit_values,
    "attribute[province]": unit_values,
    "attribute[title]": text_values,
    "attribute[language]": st.one_of(
        st.sampled_from(["vi", "en", "en_US", "EN-gb", "fr", "-", "_"]), text_values
    ),
    "attribute[consent_publish]": st.sampled_from(["true", "false", "1", "0", "yes", "", "\x00"]),
    "lat": number_values,
    "long": number_values,
    "address_string": text_values,
    "first_name": text_values,
    "last_name": text_values,
    "phone": st.one_of(
        st.sampled_from(["0912 345 678", "+84912345678", "０９１２３４５６７８", "12345", "+", "9" * 200]),
        st.from_regex(r"\A\+?[0-9 ().-]{0,40}\Z"),
        text_values,
    ),
    "email": st.one_of(st.emails().map(str), text_values),
    "description": text_values,
    "media_url": st.one_of(
        st.sampled_from(
            ["javascript:alert(1)", "file:///etc/passwd", "http://[::1", "https://" + "a" * 600, "data:,x"]
        ),
        text_values,
    ),
    "jurisdiction_id": text_values,
    "locale": st.one_of(st.sampled_from(["vi", "en", "en_US", "xx", ""]), text_values),
    "device_id": text_values,
    "account_id": number_values,
}

attribute_names = st.one_of(
    st.from_regex(r"\Aattribute\[[A-Za-z0-9_-]{1,20}\](\[\])?\Z"),
    st.builds(lambda inner: f"attribute[{inner}]", st.text(max_size=20)),
    st.sampled_from(["attribute[]", "attribute[commune", "attribute[[commune]]", "attribute[commune][]"]),
)


def _wire(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _body(pairs: list[tuple[str, str]]) -> str:
    return "&".join(
        f"{quote_from_bytes(_wire(name), safe='')}={quote_from_bytes(_wire(value), safe='')}"
        for name, value in pairs
    )


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Petition, Case, CaseEvent, Notification, Attachment)
    }


def _assert_spec_errors(response: Any, fmt: str) -> None:
    """``[{"code": 400, "description": "..."}]`` or ``<errors><error>...`` with the response's status."""
    found = errors(response, fmt)
    assert found, response.content[:500]
    for code, description in found:
        assert code == response.status_code
        assert isinstance(description, str) and description.strip()


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any, partner: Partner) -> None:
    # Every example comes from one address, one key and a handful of phone numbers.
    settings.PORTAL_RATES = {name: "1000000/h" for name in settings.PORTAL_RATES}
    partner.rate_limit = "1000000/h"
    partner.save(update_fields=["rate_limit"])


def _post_and_check(client: Any, fmt: str, pairs: list[tuple[str, str]], headers: dict[str, str]) -> int:
    before = _counts()
    response = client.post(
        f"{BASE}/requests.{fmt}",
        _body(pairs),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        headers=headers,
    )
    assert response.status_code < 500, response.content[:2000]
    after = _counts()
    new = {name: after[name] - before[name] for name in after}
    if response.status_code == 201:
        [item] = parse(response, "json") if fmt == "json" else parse(response, "xml").findall("request")
        code = item["service_request_id"] if fmt == "json" else item.findtext("service_request_id")
        petition = Petition.objects.select_related("case").get(tracking_code=code)
        assert petition.case.state == "submitted"
        assert (new["Petition"], new["Case"], new["CaseEvent"], new["Attachment"]) == (1, 1, 1, 0), new
    elif response.status_code == 200:
        # An idempotent retry answered with the petition filed the first time: nothing new.
        parse(response, fmt)
        assert after == before, new
    else:
        assert response.status_code in (400, 403, 404, 429), response.status_code
        _assert_spec_errors(response, fmt)
        assert after == before, new
    return int(response.status_code)


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["json", "xml"]))
def test_hostile_post_parameters_never_fail_and_never_leave_a_partial_record(
    client, tree, category, api_key, data, fmt
):
    form: dict[str, str] = request_data(tree, api_key)
    # Sorted: a set of strings iterates in an order that changes with PYTHONHASHSEED.
    for name in sorted(data.draw(st.sets(st.sampled_from(sorted(PARAMETERS)), max_size=4), label="mutated")):
        form[name] = data.draw(PARAMETERS[name], label=name)
    for name in sorted(data.draw(st.sets(st.sampled_from(sorted(form)), max_size=2), label="dropped")):
        if name != "api_key":
            del form[name]
    pairs = list(form.items())
    pairs += data.draw(st.lists(st.tuples(attribute_names, text_values), max_size=3), label="attributes")
    headers: dict[str, str] = {}
    if data.draw(st.booleans(), label="idempotency"):
        # Header values reach WSGI as latin-1: that is all a client can send in one.
        headers["Idempotency-Key"] = data.draw(
            st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=80)
        )
    event(f"{fmt} {_post_and_check(client, fmt, pairs, headers)}")


@FUZZ
@given(
    fmt=st.sampled_from(["json", "xml"]),
    lat=number_values,
    long=number_values,
    commune=unit_values,
    province=st.one_of(st.just("P01"), unit_values),
)
def test_hostile_locations_never_fail_and_never_leave_a_partial_record(
    client, tree, category, api_key, fmt, lat, long, commune, province
):
    # Every other parameter valid, so that the location alone decides the answer.
    form = request_data(
        tree, api_key, lat=lat, long=long, **{"attribute[commune]": commune, "attribute[province]": province}
    )
    event(f"{fmt} {_post_and_check(client, fmt, list(form.items()), {})}")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("lat", "long"),
    [
        ("NaN", "NaN"),
        ("nan", "105.85"),
        ("21.03", "-NaN"),
        ("inf", "inf"),
        ("sNaN", "sNaN"),
        ("1e999999", "1"),
    ],
)
def test_a_map_point_that_is_not_a_number_is_a_400_not_a_500(client, tree, category, api_key, fmt, lat, long):
    pairs = list(request_data(tree, api_key, lat=lat, long=long).items())
    assert _post_and_check(client, fmt, pairs, {}) == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
# str.isdigit() says yes to superscripts and circled digits; int() says no to them.
@pytest.mark.parametrize("value", ["²", "①", "7²", "99999999999999999999999999"])
def test_a_unit_code_made_of_unusual_digits_is_a_400_not_a_500(client, tree, category, api_key, fmt, value):
    for attribute in ("attribute[commune]", "attribute[province]"):
        pairs = list(request_data(tree, api_key, **{attribute: value}).items())
        assert _post_and_check(client, fmt, pairs, {}) == 400


# --- GET requests -----------------------------------------------------------------------------

date_values = st.one_of(
    st.sampled_from(
        [
            "",
            "2026-11-01",
            "2026-11-01T00:00:00+07:00",
            "2026-11-01T00:00:00 07:00",
            "2026-11-01T00:00:00Z",
            "2026-02-30",
            "0001-01-01",
            "0001-01-01T00:00:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31",
            "9999-12-31T23:59:59",
            "9999-12-31T23:59:59-12:00",
            "2026-11-01T25:00:00",
            "2026-11-01T00:00:00+99:00",
            "20261101",
            "2026-W44-1",
            "now",
            "\x00",
            "\ud800",
        ]
    ),
    st.datetimes().map(lambda value: value.isoformat()),
    st.dates().map(str),
    st.text(max_size=30),
)

GET_PARAMETERS: dict[str, st.SearchStrategy[str]] = {
    "start_date": date_values,
    "end_date": date_values,
    "status": st.one_of(
        st.sampled_from(["open", "closed", "open,closed", "OPEN", ",", "open,,x"]), text_values
    ),
    "service_code": st.one_of(
        st.sampled_from(["environment", "environment,land-housing", ",,"]), text_values
    ),
    "service_request_id": st.one_of(
        st.sampled_from(["PA-26-7KQ3M9", "pa 26 7kq3m9", ",".join(["PA-26-AAAAAA"] * 1001)]), text_values
    ),
    "locale": st.sampled_from(["vi", "en", "xx"]),
    "jurisdiction_id": text_values,
}


@pytest.fixture
def filed(file_request: Any) -> str:
    """One request on file, so that lists and filters have something to find."""
    return str(file_request())


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["json", "xml"]), with_key=st.booleans())
def test_hostile_list_filters_never_fail_and_errors_are_in_the_specifications_format(
    client, tree, category, api_key, filed, data, fmt, with_key
):
    names = data.draw(st.sets(st.sampled_from(sorted(GET_PARAMETERS)), min_size=1, max_size=4), label="names")
    pairs = [(name, data.draw(GET_PARAMETERS[name], label=name)) for name in sorted(names)]
    if with_key:
        pairs.append(("api_key", api_key))
    response = client.get(f"{BASE}/requests.{fmt}?{_body(pairs)}")
    assert response.status_code < 500, response.content[:2000]
    event(f"{fmt} {response.status_code}")
    if response.status_code == 200:
        body = parse(response, fmt)
        assert isinstance(body, list) if fmt == "json" else body.tag == "service_requests"
    else:
        assert response.status_code == 400, response.status_code
        _assert_spec_errors(response, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "9999-12-31"},
        {"start_date": "9999-12-31T23:59:59"},
        {"end_date": "0001-01-01"},
        {"end_date": "0001-01-01T00:00:00"},
        {"start_date": "0001-01-01", "end_date": "0001-01-02"},
        {"start_date": "9999-12-30", "end_date": "9999-12-31"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_a_400_or_an_empty_list_not_a_500(client, tree, fmt, params):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code in (200, 400), response.content[:2000]
    if response.status_code == 400:
        _assert_spec_errors(response, fmt)
