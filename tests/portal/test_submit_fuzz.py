"""Hostile input on the public submission form: whatever is posted, no server error and no partial record.

Hypothesis starts from a valid form and replaces a few fields with hostile values
(NUL, lone surrogates sent as the bytes a client would put on the wire, RTL and
combining marks, 10,000-character strings, SQL/HTML/template payloads, unknown or
huge ids, every shape of phone number, NaN and infinite coordinates, odd consent
flags). Each answer is either a redirect that filed exactly one petition, case and
first event with clean values, or the form again with nothing written at all.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, Phase, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from notifications.models import Notification
from petitions.models import (
    ADDRESS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Category,
    Petition,
)
from petitions.services import LAT_RANGE, LON_RANGE, TEXT_MIN_LENGTH
from portal.forms import sign_started
from portal.views import RECEIPT_SESSION_KEY
from routing.models import Case, CaseEvent, Level

URL = "/submit/"

FUZZ = hypothesis_settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    # No explain phase: it re-runs a failing example many times only to comment on it.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    # The database and the client are the world the examples post into; sharing them is the point
    # (counts are compared before and after each example).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- hostile values -------------------------------------------------------------------------

PAYLOADS = [
    "'; DROP TABLE petitions_petition; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(10)--",
    "<script>alert(document.cookie)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ settings.SECRET_KEY }}{% debug %}",
    "%s%s%s%n%x",
    "\x00",
    "Đèn\x00hỏng",
    "\u202eevil\u202c ‮gnp.exe",
    "\u200f\u200e\u200b\u2066\u2069",
    "e\u0301" * 5,  # decomposed: NFC shortens it
    "\u0344" * 3,  # NFC lengthens it (one character becomes two)
    "\U0001d160" * 3,  # NFC lengthens it (one becomes three)
    "\ufeff",
    "\ud800",  # a lone surrogate: sent as the invalid UTF-8 bytes ED A0 80
    "a\udfffb",
    "\U0001f4a9\U0001f1fb\U0001f1f3",
    "Ｆｕｌｌｗｉｄｔｈ",
    "\r\n\t \u00a0\u3000",
    " ",
    "",
]

VALID_TEXT = "Ba cột đèn đường không sáng từ tuần trước, buổi tối rất tối và nguy hiểm."


def _long(char: str, count: int) -> str:
    return char * count


text_values = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(PAYLOADS),
    st.builds(
        _long,
        st.sampled_from(["a", "Đ", "e\u0301", "\u0344", " ", "\u202e"]),
        st.sampled_from([TITLE_MAX_LENGTH, TITLE_MAX_LENGTH + 1, 9_999, TEXT_MAX_LENGTH, 10_001, 12_000]),
    ),
    st.builds(lambda payload: f"{VALID_TEXT} {payload}", st.sampled_from(PAYLOADS)),
)

id_values = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1.0",
            "1e3",
            "99999999999999999999999999",
            str(2**63),
            str(-(2**63) - 1),
            "１",
            "²",
            "abc",
            "environment",
            "Hà Nội",
            "1 OR 1=1",
            "\x00",
            "\ud800",
        ]
    ),
    st.integers().map(str),
    st.text(max_size=12),
)

phone_values = st.one_of(
    st.sampled_from(
        [
            "0912 345 678",
            "+84 912 345 678",
            "0084912345678",
            "+84-91-234-5678",
            "(091) 234 5678",
            "tel:+84912345678",
            "０９１２３４５６７８",
            "٠٩١٢٣٤٥٦٧٨",
            "+1 202 555 0143",
            "+44 20 7946 0958",
            "12345",
            "+",
            "",
            "0" * 33,
            "9" * 200,
            "0912345678\x00",
            "0912\u202e345678",
            "+84 912 345 678 ext. 99",
        ]
    ),
    st.from_regex(r"\A\+?[0-9 ().-]{0,40}\Z"),
    st.text(max_size=40),
)

coordinate_values = st.one_of(
    st.sampled_from(
        [
            "",
            "NaN",
            "nan",
            "sNaN",
            "-NaN",
            "inf",
            "Infinity",
            "-Infinity",
            "1e999999",
            "1e-999999",
            "-0",
            "21,028511",
            "２１.０２８",
            "0x15",
            "21.0285110000000000001",
            "  21.5  ",
            "99",
            "-180",
            "abc",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True).map(str),
    st.text(max_size=20),
)

flag_values = st.sampled_from(
    ["", "on", "true", "True", "false", "FALSE", "0", "1", "yes", "\x00", "x" * 500]
)


def _field_strategies(tree: Any, categories: list[Category]) -> dict[str, st.SearchStrategy[str]]:
    units = [tree.hanoi.code, tree.hcm.code, tree.hoan_kiem.code, tree.cua_nam.code, tree.ben_thanh.code]
    return {
        "category": st.one_of(st.sampled_from([str(c.pk) for c in categories]), id_values),
        "province": st.one_of(st.sampled_from(units), id_values),
        "commune": st.one_of(st.sampled_from(units), id_values),
        "address": text_values,
        "title": text_values,
        "text": text_values,
        "submitter_name": text_values,
        "phone": phone_values,
        "email": st.one_of(st.emails().map(str), text_values),
        "latitude": coordinate_values,
        "longitude": coordinate_values,
        "is_anonymous": flag_values,
        "consent_publish": flag_values,
        "choose_province": st.just("1"),
        "photo_tokens": st.text(max_size=60),
        "remove_photos": st.text(max_size=60),
    }


# --- helpers ----------------------------------------------------------------------------------


def _valid(tree: Any, category: Category) -> dict[str, str]:
    return {
        "category": str(category.pk),
        "province": tree.hanoi.code,
        "commune": tree.hoan_kiem.code,
        "address": "12 Hàng Bông",
        "title": "Đèn đường hỏng trên phố Hàng Bông",
        "text": VALID_TEXT,
        "submitter_name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "email": "",
        "latitude": "",
        "longitude": "",
    }


def _wire(value: str) -> bytes:
    """What a client puts on the wire: UTF-8, lone surrogates as their (invalid) three bytes."""
    return value.encode("utf-8", "surrogatepass")


def _received(value: str) -> str:
    """What the server reads back: invalid UTF-8 becomes U+FFFD."""
    return _wire(value).decode("utf-8", "replace")


def _post(client: Any, data: dict[str, str], *, multipart: bool = False) -> Any:
    if multipart:
        # The form as a browser sends it with photos; the test client encodes strictly, so a lone
        # surrogate goes as the replacement character the urlencoded path decodes it to.
        return client.post(URL, {_received(name): _received(value) for name, value in data.items()})
    body = "&".join(
        f"{quote_from_bytes(_wire(name), safe='')}={quote_from_bytes(_wire(value), safe='')}"
        for name, value in data.items()
    )
    return client.post(URL, body, content_type="application/x-www-form-urlencoded")


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Petition, Case, CaseEvent, Notification, Attachment)
    }


def _stored_text(sent: str) -> str:
    """Django's CharField strips, then the intake service NFC-normalises and strips again."""
    return unicodedata.normalize("NFC", _received(sent).strip()).strip()


def _flag(sent: str | None) -> bool:
    """Django's CheckboxInput: absent, empty and "false" are unticked; anything else ("0" too) is ticked."""
    return sent is not None and _received(sent).lower() != "false" and bool(sent)


def _assert_clean(value: str, limit: int) -> None:
    assert unicodedata.is_normalized("NFC", value), repr(value[:80])
    assert value == value.strip()
    assert "\x00" not in value
    assert len(value) <= limit


def _assert_filed_cleanly(data: dict[str, str], petition: Petition) -> None:
    _assert_clean(petition.title, TITLE_MAX_LENGTH)
    _assert_clean(petition.text, TEXT_MAX_LENGTH)
    _assert_clean(petition.address, ADDRESS_MAX_LENGTH)
    _assert_clean(petition.submitter_name, NAME_MAX_LENGTH)
    assert petition.title and len(petition.text) >= TEXT_MIN_LENGTH
    # Exactly what was sent, once normalised: nothing is silently cut or rewritten.
    assert petition.title == _stored_text(data["title"])
    assert petition.text == _stored_text(data["text"])
    assert petition.address == _stored_text(data["address"])
    assert petition.email == _stored_text(data["email"]).lower()
    if _flag(data.get("is_anonymous")):
        assert petition.is_anonymous and petition.submitter_name == ""
        assert petition.category.allows_anonymous
    else:
        assert petition.submitter_name == _stored_text(data["submitter_name"]) != ""
    assert petition.consent_publish == _flag(data.get("consent_publish"))
    assert re.fullmatch(r"\+[1-9]\d{6,14}", petition.phone), petition.phone
    assert petition.category.is_active and str(petition.category.pk) == _received(data["category"])
    assert petition.commune is not None and petition.commune.level == Level.COMMUNE
    assert petition.commune.code == _received(data["commune"])
    assert petition.province == petition.commune.parent
    assert petition.province is not None and petition.province.code == _received(data["province"])
    assert (petition.latitude is None) == (petition.longitude is None)
    if petition.latitude is not None and petition.longitude is not None:
        assert LAT_RANGE[0] <= Decimal(petition.latitude) <= LAT_RANGE[1]
        assert LON_RANGE[0] <= Decimal(petition.longitude) <= LON_RANGE[1]


# --- the property -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    # One address and a few phone numbers post every example: the limits would answer 429.
    settings.PORTAL_RATES = {name: "1000000/h" for name in settings.PORTAL_RATES}


@pytest.fixture
def categories(category: Category) -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("pk"))


def _check(client: Any, tree: Any, data: dict[str, str], *, multipart: bool = False) -> int:
    before = _counts()
    last_pk = Petition.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    response = _post(client, data, multipart=multipart)

    assert response.status_code < 500, response.content[:2000]
    after = _counts()
    if response.status_code == 302:
        assert response["Location"].endswith("/submit/received/")
        new = {name: after[name] - before[name] for name in after}
        filed = Petition.objects.select_related("category", "commune__parent", "province")
        if new["Petition"] == 0:
            # The same petition from the same phone as an earlier example (the portal's repeat
            # rule): nothing written, the receipt is the earlier petition's.
            assert after == before, (before, after)
            petition = filed.get(tracking_code=client.session[RECEIPT_SESSION_KEY]["code"])
            assert petition.pk <= last_pk
            _assert_filed_cleanly(data, petition)
            return int(response.status_code)
        assert new["Petition"] == 1 and new["Case"] == 1 and new["CaseEvent"] == 1, new
        assert new["Attachment"] == 0
        assert new["Notification"] >= 1  # the receipt, written with the petition
        petition = filed.get(pk__gt=last_pk)
        first = CaseEvent.objects.get(case__petition=petition)
        assert first.kind == "submitted" and petition.case.state == "submitted"
        _assert_filed_cleanly(data, petition)
    else:
        assert response.status_code in (200, 400), response.status_code
        assert after == before, (before, after)
    return int(response.status_code)


def test_a_valid_form_posted_the_way_the_fuzzer_posts_it_is_filed(client, tree, category):
    # The baseline every example mutates: it must succeed, or the property would only ever see errors.
    data = {**_valid(tree, category), "started": sign_started(), "website": ""}
    response = _post(client, data)
    assert response.status_code == 302
    _assert_filed_cleanly(data, Petition.objects.get())


@FUZZ
@given(st.data())
def test_hostile_form_input_never_fails_and_never_leaves_a_partial_record(
    client, tree, category, categories, data
):
    fields = _field_strategies(tree, categories)
    form = _valid(tree, category)
    # Sorted: a set of strings iterates in an order that changes with PYTHONHASHSEED.
    for name in sorted(data.draw(st.sets(st.sampled_from(sorted(fields)), max_size=4), label="mutated")):
        form[name] = data.draw(fields[name], label=name)
    if data.draw(st.booleans(), label="extra field"):
        form[data.draw(st.text(min_size=1, max_size=20), label="extra name")] = data.draw(
            text_values, label="extra value"
        )
    # A real browser's stamp and an empty honeypot: the fields the fuzzer never touches.
    form.update(started=sign_started(), website="")
    multipart = data.draw(st.booleans(), label="multipart")
    event(f"status {_check(client, tree, form, multipart=multipart)}")


@FUZZ
@given(
    title=text_values,
    text=text_values,
    name=text_values,
    address=text_values,
)
def test_hostile_text_in_every_text_field_at_once_is_filed_clean_or_refused_whole(
    client, tree, category, title, text, name, address
):
    form = {
        **_valid(tree, category),
        "title": title,
        "text": text,
        "submitter_name": name,
        "address": address,
        "started": sign_started(),
        "website": "",
    }
    event(f"status {_check(client, tree, form)}")


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        ("NaN", "NaN"),
        ("inf", "-inf"),
        ("sNaN", "105.85"),
        ("1e999999", "1e999999"),
        ("21.0285", "abc"),
        ("21.0285", ""),
        ("21.028511", "105.852020"),
    ],
)
def test_every_spelling_of_a_bad_map_point_is_refused_or_filed_without_a_server_error(
    client, tree, category, latitude, longitude
):
    form = {
        **_valid(tree, category),
        "latitude": latitude,
        "longitude": longitude,
        "started": sign_started(),
        "website": "",
    }
    _check(client, tree, form)
