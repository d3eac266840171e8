"""Staff tokens: only active staff with a unit can use one; ``manage.py api_token`` issues them."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from routing.models import Membership
from tests.conftest import Cast


def test_the_case_list_without_a_token_is_401_with_a_challenge(api: APIClient, db: Any) -> None:
    response = api.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "Bearer x", "Token \u00e9\u00e9"])
def test_a_bad_token_is_401(api: APIClient, cast: Cast, header: str) -> None:
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_token_of_an_account_without_a_unit_is_refused(
    client_for: Callable[[User], APIClient], cast: Cast
) -> None:
    response = client_for(cast.outsider).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_token_stops_working_when_the_account_is_deactivated_or_leaves_its_unit(
    client_for: Callable[[User], APIClient], cast: Cast
) -> None:
    client = client_for(cast.officer)
    assert client.get("/api/v1/me/").status_code == 200
    User.objects.filter(pk=cast.officer.pk).update(is_active=False)
    assert client.get("/api/v1/me/").status_code == 401
    User.objects.filter(pk=cast.officer.pk).update(is_active=True)
    Membership.objects.filter(user=cast.officer).delete()
    assert client.get("/api/v1/me/").status_code == 401


def test_me_tells_whose_token_it_is(client_for: Callable[[User], APIClient], cast: Cast) -> None:
    body = client_for(cast.leader).get("/api/v1/me/").json()
    assert body["user"]["username"] == "leader"
    assert body["unit"]["code"] == "W00070"
    assert body["role"] == "leader"


def test_api_token_prints_a_new_token_that_works(cast: Cast) -> None:
    out = StringIO()
    call_command("api_token", "officer", stdout=out)
    key = out.getvalue().strip()
    assert Token.objects.get(user=cast.officer).key == key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200


def test_api_token_again_replaces_the_old_token(cast: Cast) -> None:
    first, second = StringIO(), StringIO()
    call_command("api_token", "officer", stdout=first)
    call_command("api_token", "officer", stdout=second)
    assert first.getvalue() != second.getvalue()
    assert list(Token.objects.filter(user=cast.officer).values_list("key", flat=True)) == [
        second.getvalue().strip()
    ]


def test_api_token_revoke_deletes_the_token(cast: Cast) -> None:
    call_command("api_token", "officer", stdout=StringIO())
    call_command("api_token", "officer", "--revoke", stdout=StringIO(), stderr=StringIO())
    assert not Token.objects.filter(user=cast.officer).exists()


@pytest.mark.parametrize("username", ["outsider", "nobody"])
def test_api_token_is_only_for_staff(cast: Cast, username: str) -> None:
    with pytest.raises(CommandError):
        call_command("api_token", username, stdout=StringIO())
    assert not Token.objects.exists()


def test_api_token_refuses_an_inactive_account(cast: Cast) -> None:
    User.objects.filter(pk=cast.officer.pk).update(is_active=False)
    with pytest.raises(CommandError):
        call_command("api_token", "officer", stdout=StringIO())


def test_tokens_can_be_managed_in_the_admin(client: Any, cast: Cast) -> None:
    client.force_login(cast.superuser)
    response = client.get("/admin/authtoken/tokenproxy/add/")
    assert response.status_code == 200
