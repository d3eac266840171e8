"""Sign-in limits: per username and address (django-axes), and per username across addresses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from backoffice.lockout import username_wait
from tests.conftest import Cast

LOGIN = reverse("backoffice:backoffice-login")
PASSWORD = "x-Strong-pass-42"


def sign_in(password: str, address: str, username: str = "officer", url: str = LOGIN) -> Any:
    """A new browser each time, as a guess spread over many machines would be."""
    return Client().post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def guess_from_many_addresses(count: int, username: str = "officer") -> None:
    for i in range(count):
        response = sign_in("wrong", f"203.0.113.{i + 1}", username)
        assert response.status_code in (200, 429)


def test_seven_wrong_passwords_from_seven_addresses_slow_that_username_down(cast: Cast):
    guess_from_many_addresses(7)
    response = sign_in(PASSWORD, "203.0.113.99")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Vui lòng thử lại sau" in body and "phút" in body
    assert int(response["Retry-After"]) >= 60
    # Another username is not held up.
    assert sign_in(PASSWORD, "203.0.113.99", "officer2").status_code == 302


def test_the_wait_is_short_and_doubles_with_each_address_up_to_the_cool_off(cast: Cast):
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    minutes = []
    for n in range(1, 12):
        attempt = AccessAttempt.objects.create(
            username="officer", ip_address=f"203.0.113.{n}", user_agent="x", failures_since_start=1
        )
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=now)  # auto_now_add otherwise
        minutes.append(username_wait("officer", "198.51.100.1", now=now).total_seconds() / 60)
    assert minutes == [0, 0, 0, 0, 1, 2, 4, 8, 15, 15, 15]
    # Measured from the last failure; failures older than the cool-off no longer count.
    assert username_wait("officer", "198.51.100.1", now=now + dt.timedelta(minutes=10)).total_seconds() == 300
    assert username_wait("officer", "198.51.100.1", now=now + dt.timedelta(minutes=16)) == dt.timedelta(0)


def test_one_address_trickling_failures_cannot_hold_the_username(cast: Cast):
    """Nine wrong tries, then one every 14 minutes for two hours, from one address (the review's case)."""
    attacker = "203.0.113.66"
    for _ in range(9):
        sign_in("wrong", attacker)
    for _round in range(8):
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=14))
        sign_in("wrong", attacker)
        # The officer, at an address they never signed in from, is never held up by it.
        assert sign_in(PASSWORD, f"198.51.100.{_round + 10}").status_code == 302


def test_after_the_short_wait_the_right_password_works_again(cast: Cast):
    guess_from_many_addresses(5)
    assert sign_in(PASSWORD, "203.0.113.99").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=2))
    assert sign_in(PASSWORD, "203.0.113.99").status_code == 302


def test_the_officer_is_not_locked_out_at_an_address_they_signed_in_from_before(cast: Cast):
    assert sign_in(PASSWORD, "198.51.100.7").status_code == 302
    guess_from_many_addresses(12)
    assert sign_in(PASSWORD, "203.0.113.99").status_code == 429
    assert sign_in(PASSWORD, "198.51.100.7").status_code == 302


def test_the_per_address_lockout_still_holds_for_a_known_address(cast: Cast, settings: Any):
    assert sign_in(PASSWORD, "198.51.100.7").status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("wrong", "198.51.100.7")
    assert sign_in(PASSWORD, "198.51.100.7").status_code == 429


def test_an_administrator_lifts_the_limit_with_axes_reset_username(cast: Cast, capsys: Any):
    guess_from_many_addresses(7)
    assert sign_in(PASSWORD, "203.0.113.99").status_code == 429
    call_command("axes_reset_username", "officer")
    assert "attempts removed" in capsys.readouterr().out
    assert sign_in(PASSWORD, "203.0.113.99").status_code == 302


def test_an_administrator_lifts_the_limit_from_the_admin(client, cast: Cast):
    from routing.models import Membership

    guess_from_many_addresses(7)
    client.force_login(cast.superuser)
    url = reverse("admin:routing_membership_changelist")
    membership = Membership.objects.get(user=cast.officer)
    response = client.post(url, {"action": "reset_sign_in_limits", "_selected_action": [membership.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="officer").exists()
    assert sign_in(PASSWORD, "203.0.113.99").status_code == 302


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (LOGIN, "Vui lòng thử lại sau 15 phút (từ "),
        ("/en/office/login/", "Try again in 15 minutes (after "),
    ],
)
def test_the_lockout_page_says_when_to_try_again_in_the_page_language(
    cast: Cast, settings: Any, url, expected
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("wrong", "198.51.100.7", url=url)
    response = sign_in(PASSWORD, "198.51.100.7", url=url)
    assert response.status_code == 429
    assert expected in response.content.decode()
    assert response["Retry-After"] == "900"
    # Not a dead end: the way back to the sign-in page and to the site.
    assert f'href="{reverse("backoffice:backoffice-login")}"' in response.content.decode()
