"""One-time SMS codes that prove a phone number (petitions.phones)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone, translation

from notifications.models import Notification, Status
from notifications.outbox import drain
from notifications.transports.sms import LocmemSmsBackend
from petitions.limits import client_rate_key
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
