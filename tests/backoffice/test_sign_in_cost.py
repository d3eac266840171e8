"""What one sign-in costs: exactly one password hash, with Django's hasher (docs/performance.md, "Sign-in").

The hash is the cost by design (PBKDF2-SHA256, 1,000,000 rounds, about 0.25 s of one core);
these guard against a second one creeping in and against weakening the first.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import global_settings
from django.contrib.auth import hashers
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from config import settings as project_settings
from tests.conftest import Cast

LOGIN = reverse("backoffice:backoffice-login")
VERIFY = reverse("backoffice:backoffice-login-verify")
PASSWORD = "x-Strong-pass-42"


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash computed: a check (``verify``) or a new hash (``encode`` outside a check).

    The suite's hasher is MD5, for speed; what is counted is the same for any hasher.
    """
    seen: list[str] = []
    hasher = hashers.MD5PasswordHasher
    verify, encode = hasher.verify, hasher.encode
    inside: list[bool] = []

    def counted_verify(self: Any, password: str, encoded: str) -> bool:
        seen.append("verify")
        inside.append(True)
        try:
            return verify(self, password, encoded)
        finally:
            inside.pop()

    def counted_encode(self: Any, password: str, salt: str) -> str:
        if not inside:
            seen.append("encode")
        return encode(self, password, salt)

    monkeypatch.setattr(hasher, "verify", counted_verify)
    monkeypatch.setattr(hasher, "encode", counted_encode)
    return seen


def test_production_hashes_passwords_as_django_does_with_no_fewer_rounds():
    assert getattr(project_settings, "PASSWORD_HASHERS", global_settings.PASSWORD_HASHERS)[0] == (
        "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    )
    assert hashers.PBKDF2PasswordHasher.iterations >= 1_000_000


def test_a_sign_in_computes_one_hash_right_or_wrong_known_or_unknown(cast: Cast, hashes: list[str]):
    cases = [("officer", PASSWORD, 302), ("officer", "wrong", 200), ("nobody", "wrong", 200)]
    for username, password, status in cases:
        hashes.clear()
        assert Client().post(LOGIN, {"username": username, "password": password}).status_code == status
        assert len(hashes) == 1, (username, password, hashes)


def test_the_two_factor_step_hashes_nothing(cast: Cast, hashes: list[str]):
    from tests.backoffice.test_two_factor import add_device, code_for

    device = add_device(cast.leader)
    client = Client()
    assert client.post(LOGIN, {"username": "leader", "password": PASSWORD})["Location"] == VERIFY
    hashes.clear()
    assert client.post(VERIFY, {"token": code_for(device)}).status_code == 302
    assert hashes == []
    assert User.objects.get(pk=cast.leader.pk).password == cast.leader.password
