"""One-time SMS codes that prove a phone number (petitions.phones)."""

from __future__ import annotations

import ast
import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django_ratelimit.core import get_usage

import petitions.limits
from notifications.models import Notification, Status
from notifications.sending import drain
from notifications.transports.sms import LocmemSmsBackend
from petitions.limits import client_address_key, client_rate_key
from petitions.models import PhoneChallenge, PhonePurpose
from petitions.phones import (
    CODE_TTL,
    MAX_ATTEMPTS,
    PhoneCodeLimited,
    hash_code,
    phone_challenge_send,
    phone_challenge_verify,
    phone_challenges_purge,
)

pytestmark = pytest.mark.django_db

MINE = PhonePurpose.MY_PETITIONS
CLIENT = "198.51.100.7"


def send(capture: Any, phone: str = "0912 345 678", client: str = CLIENT, **extra: Any) -> tuple[Any, str]:
    """Send a code and read it from the SMS that left (the locmem backend)."""
    LocmemSmsBackend.outbox.clear()
    with capture(execute=True):
        challenge = phone_challenge_send(phone=phone, purpose=MINE, client=client, **extra)
    [message] = LocmemSmsBackend.outbox
    [code] = re.findall(r"\b\d{6}\b", message.body)
    return challenge, code


def verify(challenge: Any, code: str, client: str = CLIENT, **extra: Any) -> Any:
    return phone_challenge_verify(challenge_id=challenge.pk, purpose=MINE, code=code, client=client, **extra)


def test_a_six_digit_code_goes_out_by_sms_and_only_its_salted_hmac_is_stored(
    django_capture_on_commit_callbacks: Any,
) -> None:
    challenge, code = send(django_capture_on_commit_callbacks)
    stored = PhoneChallenge.objects.get(pk=challenge.pk)
    assert stored.phone == "+84912345678" and stored.purpose == MINE
    assert stored.code_hash == hash_code(code, salt=stored.salt) and len(stored.code_hash) == 64
    assert code not in {stored.code_hash, stored.salt}
    assert stored.expires_at - stored.created_at == CODE_TTL == dt.timedelta(minutes=5)
    [message] = LocmemSmsBackend.outbox
    assert message.to == "+84912345678"
    # What the code is for and when it expires, in Vietnamese (folded for one SMS segment).
    assert "xem cac phan anh" in message.body and "5 phut" in message.body and len(message.body) <= 160
    # Once the SMS has left, the outbox keeps no trace of the code.
    row = Notification.objects.get(template="phone_code")
    assert row.status == Status.SENT and code not in row.body and "······" in row.body


def test_one_code_hashes_differently_under_two_salts() -> None:
    assert hash_code("123456", salt="a" * 32) != hash_code("123456", salt="b" * 32)


def test_the_sms_is_in_the_citizens_language(django_capture_on_commit_callbacks: Any) -> None:
    with translation.override("en"):
        send(django_capture_on_commit_callbacks, language="en")
    [message] = LocmemSmsBackend.outbox
    assert "is your code to see the petitions filed with this number" in message.body
    assert "expires in 5 minutes" in message.body


def test_the_right_code_verifies_once(django_capture_on_commit_callbacks: Any) -> None:
    challenge, code = send(django_capture_on_commit_callbacks)
    assert verify(challenge, f" {code[:3]} {code[3:]} ").verified_at is not None
    with pytest.raises(ValidationError) as refused:
        verify(challenge, code)
    assert refused.value.message_dict["code"] == ["Mã này không còn hiệu lực. Hãy yêu cầu mã mới."]


def test_a_code_expires_after_five_minutes(django_capture_on_commit_callbacks: Any) -> None:
    challenge, code = send(django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="hết hạn"):
        verify(challenge, code, now=challenge.created_at + CODE_TTL + dt.timedelta(seconds=1))


def test_five_wrong_codes_and_even_the_right_one_is_refused(django_capture_on_commit_callbacks: Any) -> None:
    challenge, code = send(django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    messages = []
    for _attempt in range(MAX_ATTEMPTS):
        with pytest.raises(ValidationError) as refused:
            verify(challenge, wrong)
        messages.append(refused.value.message_dict["code"][0])
    assert messages[0] == "Đây không phải mã chúng tôi đã gửi. Còn 4 lần thử."
    assert messages[-1] == "Bạn đã nhập sai quá nhiều lần. Hãy yêu cầu mã mới."
    with pytest.raises(ValidationError, match="quá nhiều lần"):
        verify(challenge, code)
    assert PhoneChallenge.objects.get(pk=challenge.pk).attempts == MAX_ATTEMPTS


def test_a_typing_mistake_costs_no_attempt(django_capture_on_commit_callbacks: Any) -> None:
    challenge, code = send(django_capture_on_commit_callbacks)
    for typed in ("12345", "abcdef", "１２３４５６", ""):
        with pytest.raises(ValidationError, match="6 chữ số"):
            verify(challenge, typed)
    assert PhoneChallenge.objects.get(pk=challenge.pk).attempts == 0
    assert verify(challenge, code).verified_at is not None


def test_a_new_code_invalidates_the_previous_one(django_capture_on_commit_callbacks: Any) -> None:
    first, first_code = send(django_capture_on_commit_callbacks, phone="0912345678")
    second, second_code = send(django_capture_on_commit_callbacks, phone="+84 912 345 678")
    with pytest.raises(ValidationError, match="không còn hiệu lực"):
        verify(first, first_code)
    assert verify(second, second_code).phone == "+84912345678"


def test_a_code_for_one_purpose_does_not_answer_another(django_capture_on_commit_callbacks: Any) -> None:
    challenge, code = send(django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        phone_challenge_verify(
            challenge_id=challenge.pk, purpose=PhonePurpose.COSIGN, code=code, client=CLIENT
        )


def test_nothing_is_sent_or_counted_for_a_value_that_is_not_a_phone(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_send_ip": "1/h"}
    for value in ("12", "not a phone", "9" * 40, ""):
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
            phone_challenge_send(phone=value, purpose=MINE, client=CLIENT)
        assert "0912 345 678" in refused.value.message_dict["phone"][0]
    assert not PhoneChallenge.objects.exists() and not Notification.objects.exists()
    assert LocmemSmsBackend.outbox == []
    send(django_capture_on_commit_callbacks)  # the address's one code of the hour is still there


def test_codes_sent_are_limited_per_phone_whatever_its_spelling(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_send_phone": "2/h"}
    send(django_capture_on_commit_callbacks, phone="0912 345 678", client="198.51.100.1")
    send(django_capture_on_commit_callbacks, phone="+84912345678", client="198.51.100.2")
    with pytest.raises(PhoneCodeLimited) as limited:
        phone_challenge_send(phone="(84) 912-345-678", purpose=MINE, client="198.51.100.3")
    assert limited.value.wait > 0 and "phút" in limited.value.messages[0]
    send(django_capture_on_commit_callbacks, phone="0987 654 321", client="198.51.100.3")
    assert PhoneChallenge.objects.count() == 3


def test_codes_sent_are_limited_per_client_address(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_send_ip": "2/h"}
    send(django_capture_on_commit_callbacks, phone="0912 345 678")
    send(django_capture_on_commit_callbacks, phone="0987 654 321")
    with pytest.raises(PhoneCodeLimited):
        phone_challenge_send(phone="0903 123 456", purpose=MINE, client=CLIENT)
    send(django_capture_on_commit_callbacks, phone="0903 123 456", client="203.0.113.9")


def test_codes_tried_are_limited_per_phone_across_challenges_and_addresses(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_verify_phone": "3/h"}
    challenge, code = send(django_capture_on_commit_callbacks, phone="0912 345 678")
    for client in ("198.51.100.1", "198.51.100.2"):
        with pytest.raises(ValidationError):
            verify(challenge, "000000" if code != "000000" else "111111", client=client)
    newer, newer_code = send(django_capture_on_commit_callbacks, phone="+84 912 345 678")
    verify(newer, newer_code, client="198.51.100.3")  # the third try of the hour
    again, again_code = send(django_capture_on_commit_callbacks, phone="84912345678")
    with pytest.raises(PhoneCodeLimited):
        verify(again, again_code, client="198.51.100.4")
    assert PhoneChallenge.objects.get(pk=again.pk).verified_at is None


def test_codes_tried_are_limited_per_client_address(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_verify_ip": "2/h"}
    first, first_code = send(django_capture_on_commit_callbacks, phone="0912 345 678")
    second, second_code = send(django_capture_on_commit_callbacks, phone="0987 654 321")
    third, third_code = send(django_capture_on_commit_callbacks, phone="0903 123 456")
    verify(first, first_code)
    verify(second, second_code)
    with pytest.raises(PhoneCodeLimited):
        verify(third, third_code)
    assert verify(third, third_code, client="203.0.113.9").verified_at is not None


def test_one_client_is_one_key_however_its_address_is_written() -> None:
    factory = RequestFactory()
    keys = {
        client_rate_key(factory.get("/", REMOTE_ADDR=address))
        for address in ("2001:db8:0:1::1", "2001:0db8:0000:0001:0000:0000:0000:0002", "2001:db8:0:1:ffff::9")
    }
    assert keys == {"2001:db8:0:1::"}


def test_the_code_never_reaches_the_logs(caplog: Any, django_capture_on_commit_callbacks: Any) -> None:
    caplog.set_level(logging.DEBUG)
    challenge, code = send(django_capture_on_commit_callbacks)
    verify(challenge, code)
    assert code not in caplog.text
    assert "+84912345678" not in caplog.text and "0912345678" not in caplog.text


def test_expired_codes_are_deleted_a_day_later_with_the_text_of_their_sms(
    django_capture_on_commit_callbacks: Any,
) -> None:
    old, _code = send(django_capture_on_commit_callbacks)
    PhoneChallenge.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(days=2))
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    waiting = Notification.objects.create(  # the gateway was down: still waiting for a retry
        channel="sms",
        recipient="+84987654321",
        template="phone_code",
        body="123456 ...",
        dedupe_key="k",
        next_attempt_at=timezone.now() + dt.timedelta(hours=1),
    )
    Notification.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    recent, _code = send(django_capture_on_commit_callbacks, phone="0987 654 321")
    assert phone_challenges_purge() == 1
    assert list(PhoneChallenge.objects.values_list("pk", flat=True)) == [recent.pk]
    blanked = Notification.objects.filter(recipient="")
    assert blanked.count() == 2 and not blanked.exclude(body="").exists()
    assert Notification.objects.get(pk=waiting.pk).status == Status.FAILED
    assert drain().claimed == 0


# --- daily caps counted in the database (they hold when the cache is down) -------------------


@pytest.fixture
def cache_down(settings: Any) -> None:
    """Redis unreachable: the cache's rate limits fail open (``RATELIMIT_FAIL_OPEN``), as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.RATELIMIT_FAIL_OPEN = True
    # Were the cache up, these would refuse the second code and the second try.
    settings.PORTAL_RATES = {
        **settings.PORTAL_RATES,
        "code_send_phone": "1/h",
        "code_send_ip": "1/h",
        "code_verify_phone": "1/h",
        "code_verify_ip": "1/h",
    }


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_codes_sent_to_one_phone_are_capped_per_day_even_when_the_cache_is_down(
    settings: Any, cache_down: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CODE_SENDS_PER_PHONE_DAY = 3
    start = timezone.now() - dt.timedelta(hours=20)
    send(django_capture_on_commit_callbacks, now=start)
    send(django_capture_on_commit_callbacks, phone="+84 912 345 678", client="203.0.113.5")
    # Across purposes: a co-signing code counts against the same number.
    PhoneChallenge.objects.create(
        phone="+84912345678",
        purpose=PhonePurpose.COSIGN,
        salt="s",
        code_hash="h",
        expires_at=timezone.now() + CODE_TTL,
    )
    with pytest.raises(PhoneCodeLimited) as limited:
        phone_challenge_send(phone="0912345678", purpose=MINE, client="203.0.113.6")
    [message] = limited.value.messages
    assert message.startswith("Số điện thoại này đã nhận quá nhiều mã trong 24 giờ qua.")
    until = timezone.localtime(start + dt.timedelta(days=1)).strftime("%H:%M, %d/%m/%Y")
    assert until in message
    assert 4 * 3600 - 60 <= limited.value.wait <= 4 * 3600
    assert PhoneChallenge.objects.count() == 3
    send(django_capture_on_commit_callbacks, phone="0987 654 321")  # another number is not held
    # 24 hours after the first code, one more may go.
    send(django_capture_on_commit_callbacks, now=start + dt.timedelta(days=1, seconds=1))


def test_wrong_codes_for_one_phone_are_capped_per_day_even_when_the_cache_is_down(
    settings: Any, cache_down: None, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CODE_TRIES_PER_PHONE_DAY = 7
    start = timezone.now() - dt.timedelta(hours=3)
    right, right_code = send(django_capture_on_commit_callbacks, now=start)
    verify(right, right_code, now=start)  # a right code is no wrong try
    first, first_code = send(django_capture_on_commit_callbacks, now=start + dt.timedelta(minutes=1))
    for _try in range(MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            verify(first, wrong(first_code), now=start + dt.timedelta(minutes=2))
    second, second_code = send(django_capture_on_commit_callbacks)
    for _try in range(2):
        with pytest.raises(ValidationError) as refused:
            verify(second, wrong(second_code))
        assert not isinstance(refused.value, PhoneCodeLimited)
    # Seven wrong codes in 24 hours: even the right one is not tried, from any address.
    with pytest.raises(PhoneCodeLimited) as limited:
        verify(second, second_code, client="203.0.113.9")
    assert "Đã nhập sai mã quá nhiều lần cho số này trong 24 giờ qua" in limited.value.message_dict["code"][0]
    assert PhoneChallenge.objects.get(pk=second.pk).verified_at is None
    # Nor is a new code sent: it could not be used.
    with pytest.raises(PhoneCodeLimited) as no_send:
        phone_challenge_send(phone="0912 345 678", purpose=MINE, client="203.0.113.9")
    assert "nhập sai mã" in no_send.value.message_dict["phone"][0]
    # Once the first five leave the window, the number may try again.
    later, later_code = send(django_capture_on_commit_callbacks, now=start + dt.timedelta(days=1, minutes=2))
    assert verify(later, later_code, now=later.created_at).verified_at is not None


def test_the_sites_daily_budget_of_codes_refuses_new_sends_with_a_429(
    settings: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CODE_SENDS_PER_DAY = 2
    send(django_capture_on_commit_callbacks, phone="0912 345 678", client="198.51.100.1")
    send(django_capture_on_commit_callbacks, phone="0987 654 321", client="198.51.100.2")
    with pytest.raises(PhoneCodeLimited) as limited:
        phone_challenge_send(phone="0903 123 456", purpose=MINE, client="198.51.100.3")
    assert limited.value.messages == ["Hiện không thể gửi thêm mã. Vui lòng thử lại sau."]
    response = client.post(reverse("portal:portal-my-send"), {"phone": "0903 123 456"})
    assert response.status_code == 429
    assert "Hiện không thể gửi thêm mã" in response.content.decode()
    assert PhoneChallenge.objects.count() == 2 and len(LocmemSmsBackend.outbox) == 1
    # Codes older than a day no longer count.
    PhoneChallenge.objects.update(
        created_at=timezone.now() - dt.timedelta(days=1, minutes=1),
        expires_at=timezone.now() - dt.timedelta(days=1, minutes=1) + CODE_TTL,
    )
    send(django_capture_on_commit_callbacks, phone="0903 123 456", client="198.51.100.3")


def test_codes_sent_and_tried_are_capped_per_address_and_day(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_send_ip_day": "2/d", "code_verify_ip_day": "1/d"}
    first, first_code = send(django_capture_on_commit_callbacks, phone="0912 345 678")
    second, second_code = send(django_capture_on_commit_callbacks, phone="0987 654 321")
    with pytest.raises(PhoneCodeLimited):
        phone_challenge_send(phone="0903 123 456", purpose=MINE, client=CLIENT)
    verify(first, first_code)
    with pytest.raises(PhoneCodeLimited):
        verify(second, second_code)
    assert verify(second, second_code, client="203.0.113.9").verified_at is not None


# --- the client's address as a rate-limit key ----------------------------------------------


def test_addresses_of_one_ipv6_64_share_one_key_and_ipv4_addresses_are_their_own() -> None:
    assert client_address_key("2001:db8:0:1::1") == client_address_key("2001:db8:0:1:ffff::9")
    assert client_address_key("2001:db8:0:1::1") != client_address_key("2001:db8:0:2::1")
    assert client_address_key("198.51.100.7") == "198.51.100.7"
    assert client_address_key("198.51.100.7") != client_address_key("198.51.100.8")
    # A dual-stack socket's spelling of an IPv4 client is that client, not the network ``::/64``.
    assert client_address_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_address_key("::ffff:198.51.100.7") != client_address_key("::ffff:198.51.100.8")


def test_the_ipv6_mask_and_the_address_header_are_read_from_settings(settings: Any) -> None:
    settings.RATELIMIT_IPV6_MASK = 48
    assert client_address_key("2001:db8:0:1::1") == client_address_key("2001:db8:0:2::1") == "2001:db8::"
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="2001:db8:0:1::5")
    assert client_rate_key(request) == "2001:db8::"


def test_the_address_key_is_the_one_the_views_key_ip_counts_under(settings: Any) -> None:
    """A count kept by ``@ratelimit(key="ip")`` and one kept under ``client_rate_key`` are one count."""
    factory = RequestFactory()
    for address in ("198.51.100.7", "2001:db8:0:1::1"):
        request = factory.get("/", REMOTE_ADDR=address)
        common = {"group": "same-key", "rate": "5/h", "method": get_usage.ALL}
        get_usage(request, key="ip", increment=True, **common)
        counted = get_usage(request, key=lambda _group, r: client_rate_key(r), increment=True, **common)
        assert counted is not None and counted["count"] == 2


def test_the_limits_use_no_private_name_of_django_ratelimit() -> None:
    tree = ast.parse(Path(petitions.limits.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django_ratelimit")
        for alias in node.names
    }
    assert imported and not {name for name in imported if name.startswith("_")}


# --- the purge, bounded to a window -------------------------------------------------------


def _code_sms(created: dt.datetime, status: str = Status.SENT, key: str = "k") -> Notification:
    row = Notification.objects.create(
        channel="sms",
        recipient="+84987654321",
        template="phone_code",
        body="123456 la ma cua ban",
        status=status,
        dedupe_key=key,
        next_attempt_at=timezone.now() + dt.timedelta(hours=1),
    )
    Notification.objects.filter(pk=row.pk).update(created_at=created)
    return row


def test_the_purge_reads_a_window_of_days_not_all_history() -> None:
    now = timezone.now()
    in_window = _code_sms(now - dt.timedelta(days=2), key="a")
    long_ago = _code_sms(now - dt.timedelta(days=30), key="b")
    phone_challenges_purge(now=now)
    assert Notification.objects.get(pk=in_window.pk).recipient == ""
    assert Notification.objects.get(pk=long_ago.pk).recipient == "+84987654321"  # outside: not read
    # A run after a longer stop catches up with a wider window.
    phone_challenges_purge(now=now, window=dt.timedelta(days=60))
    assert Notification.objects.get(pk=long_ago.pk).recipient == ""


def test_the_purge_cancels_and_masks_a_code_still_waiting_after_it_expired() -> None:
    now = timezone.now()
    waiting = _code_sms(now - CODE_TTL - dt.timedelta(minutes=1), status=Status.PENDING)
    phone_challenges_purge(now=now)
    row = Notification.objects.get(pk=waiting.pk)
    assert row.status == Status.FAILED and "expired" in row.last_error
    assert "123456" not in row.body and row.body.startswith("······")
    assert drain().claimed == 0 and LocmemSmsBackend.outbox == []
