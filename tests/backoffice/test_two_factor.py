"""Two-factor sign-in: leaders turn it on and off; sign-in asks for the code after the password."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.twofactor import MAX_CODE_FAILURES, PENDING_SECONDS, PENDING_SESSION_KEY

PASSWORD = "x-Strong-pass-42"
LOGIN = reverse("backoffice:backoffice-login")
VERIFY = reverse("backoffice:backoffice-login-verify")
PAGE = reverse("backoffice:backoffice-two-factor")
INBOX = reverse("backoffice:backoffice-inbox")


@pytest.fixture
def no_backoff(settings: Any) -> None:
    """django-otp makes a device wait 1, 2, 4 ... seconds after each wrong code; tests try again at once."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead):06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    valid = {code_for(device, steps_ahead=steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def add_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in_verified(client: Any, user: Any, device: TOTPDevice) -> None:
    """A session that entered its code, as the code step leaves it."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def password_step(client: Any, username: str, password: str = PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password, **extra})


# --- turning it on ------------------------------------------------------------------------


def test_a_leader_turns_on_two_factor_only_with_a_right_code(client, cast, no_backoff):
    client.force_login(cast.leader)
    assert client.get(PAGE).status_code == 200
    assert not TOTPDevice.objects.filter(user=cast.leader).exists()  # showing the page creates nothing

    assert client.post(PAGE, {"action": "start"})["Location"] == PAGE
    device = TOTPDevice.objects.get(user=cast.leader)
    assert not device.confirmed
    body = client.get(PAGE).content.decode()
    assert "<svg" in body and 'role="img"' in body
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]  # the CSP allows no inline style
    assert "<script" not in body
    assert 'id="totp-secret"' in body

    response = client.post(PAGE, {"action": "confirm", "token": wrong_code_for(device)})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    response = client.post(PAGE, {"action": "confirm", "token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # The session that proved the code stays signed in.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(INBOX).status_code == 200


def test_starting_the_setup_again_replaces_the_unconfirmed_secret(client, cast):
    client.force_login(cast.leader)
    client.post(PAGE, {"action": "start"})
    first = TOTPDevice.objects.get(user=cast.leader)
    client.post(PAGE, {"action": "start"})
    second = TOTPDevice.objects.get(user=cast.leader)
    assert second.pk != first.pk and second.key != first.key
    client.post(PAGE, {"action": "cancel"})
    assert not TOTPDevice.objects.filter(user=cast.leader).exists()


def test_a_superuser_without_a_unit_may_turn_it_on(client, cast):
    client.force_login(cast.superuser)
    assert client.get(PAGE).status_code == 200


def test_an_officer_cannot_open_the_two_factor_page(client, cast):
    client.force_login(cast.officer)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"action": "start"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=cast.officer).exists()
    assert PAGE not in client.get(INBOX).content.decode()


def test_leaders_find_the_page_in_the_menu(client, cast):
    client.force_login(cast.leader)
    assert f'href="{PAGE}"' in client.get(INBOX).content.decode()


# --- signing in -----------------------------------------------------------------------------


def test_a_user_with_a_device_signs_in_with_password_then_code(client, cast):
    device = add_device(cast.leader)
    templates = reverse("backoffice:backoffice-templates")

    response = password_step(client, "leader", next=templates)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    assert reverse("backoffice:backoffice-login") in client.get(INBOX)["Location"]

    page = client.get(VERIFY).content.decode()
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page

    response = client.post(VERIFY, {"token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == templates
    assert client.session["_auth_user_id"] == str(cast.leader.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING_SESSION_KEY not in client.session
    assert client.get(INBOX).status_code == 200


def test_a_code_is_accepted_with_the_spaces_apps_show(client, cast):
    device = add_device(cast.leader)
    password_step(client, "leader")
    code = code_for(device)
    response = client.post(VERIFY, {"token": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == INBOX


def test_a_wrong_password_with_a_device_never_reaches_the_code_step(client, cast, settings):
    device = add_device(cast.leader)
    response = password_step(client, "leader", "wrong")
    assert response.status_code == 200
    assert PENDING_SESSION_KEY not in client.session
    response = client.post(VERIFY, {"token": code_for(device)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session

    # django-axes still locks the password step.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        password_step(client, "leader", "wrong")
    assert password_step(client, "leader").status_code == 429
    assert PENDING_SESSION_KEY not in client.session


def test_the_code_step_without_a_password_step_sends_to_sign_in(client, cast):
    add_device(cast.leader)
    assert client.get(VERIFY)["Location"] == LOGIN
    assert client.post(VERIFY, {"token": "123456"})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_the_code_step_expires(client, cast):
    device = add_device(cast.leader)
    password_step(client, "leader")
    session = client.session
    session[PENDING_SESSION_KEY]["since"] -= PENDING_SECONDS + 1
    session.save()
    assert client.post(VERIFY, {"token": code_for(device)})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert PENDING_SESSION_KEY not in client.session


def test_five_wrong_codes_force_starting_over(client, cast, no_backoff):
    device = add_device(cast.leader)
    password_step(client, "leader")
    wrong = wrong_code_for(device)
    for _ in range(MAX_CODE_FAILURES - 1):
        assert client.post(VERIFY, {"token": wrong}).status_code == 200
    response = client.post(VERIFY, {"token": wrong})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert PENDING_SESSION_KEY not in client.session
    # Even the right code is no use now: the password comes first again.
    assert client.post(VERIFY, {"token": code_for(device)})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_after_a_wrong_code_the_device_makes_the_next_try_wait(client, cast):
    device = add_device(cast.leader)
    password_step(client, "leader")
    client.post(VERIFY, {"token": wrong_code_for(device)})
    response = client.post(VERIFY, {"token": code_for(device)})
    assert response.status_code == 200  # django-otp's back-off: not even checked
    assert "_auth_user_id" not in client.session
    assert client.session[PENDING_SESSION_KEY]["failures"] == 1  # waiting is not a wrong code


def test_users_without_a_device_sign_in_in_one_step(client, cast):
    response = password_step(client, "leader")
    assert response.status_code == 302 and response["Location"] == INBOX
    assert client.session["_auth_user_id"] == str(cast.leader.pk)
    assert client.get(INBOX).status_code == 200


# --- sessions that skipped the code ---------------------------------------------------------


def test_a_session_without_the_code_is_refused_by_the_inbox_and_the_admin(client, cast, case):
    leader = cast.leader
    leader.is_staff = leader.is_superuser = True
    leader.save()
    device = add_device(leader)
    client.force_login(leader)  # signed in some other way than the code step

    for url in (INBOX, reverse("backoffice:backoffice-case", args=[case.pk]), PAGE):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
    admin = client.get(reverse("admin:index"), follow=True)
    assert admin.redirect_chain[-1][0].startswith(LOGIN)
    assert client.get(reverse("admin:routing_case_changelist")).status_code == 302
    # The sign-in page asks again rather than bouncing back to where it came from.
    assert client.get(LOGIN + "?next=/admin/").status_code == 200

    sign_in_verified(client, leader, device)
    assert client.get(INBOX).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_signs_in_through_the_office_sign_in_with_the_code(client, cast):
    device = add_device(cast.superuser)
    response = client.get(reverse("admin:login") + "?next=/admin/routing/unit/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN) and "next=/admin/routing/unit/" in response["Location"]

    password_step(client, "root", next="/admin/routing/unit/")
    response = client.post(VERIFY, {"token": code_for(device)})
    assert response["Location"] == "/admin/routing/unit/"
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("admin:login"))["Location"] == reverse("admin:index")


def test_the_admin_login_refuses_signed_in_staff_without_admin_rights(client, cast):
    client.force_login(cast.officer)
    assert client.get(reverse("admin:login")).status_code == 403


# --- turning it off -------------------------------------------------------------------------


def test_a_leader_turns_it_off_with_password_and_code(client, cast, no_backoff):
    device = add_device(cast.leader)
    sign_in_verified(client, cast.leader, device)
    assert 'value="disable"' in client.get(PAGE).content.decode()

    wrong_code = client.post(
        PAGE, {"action": "disable", "password": PASSWORD, "token": wrong_code_for(device)}
    )
    assert wrong_code.status_code == 200
    wrong_password = client.post(PAGE, {"action": "disable", "password": "wrong", "token": code_for(device)})
    assert wrong_password.status_code == 200
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    # The code just used is spent; the app's next one is accepted.
    token = code_for(device, steps_ahead=1)
    response = client.post(PAGE, {"action": "disable", "password": PASSWORD, "token": token})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=cast.leader).exists()
    assert client.get(INBOX).status_code == 200

    client.logout()
    assert password_step(client, "leader")["Location"] == INBOX


def test_turning_it_off_is_refused_to_a_session_that_skipped_the_code(client, cast):
    device = add_device(cast.leader)
    client.force_login(cast.leader)
    response = client.post(PAGE, {"action": "disable", "password": PASSWORD, "token": code_for(device)})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_new_password_attempt_abandons_a_half_finished_sign_in(client, cast):
    device = add_device(cast.leader)
    password_step(client, "leader")
    password_step(client, "leader", "wrong")
    assert client.post(VERIFY, {"token": code_for(device)})["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
