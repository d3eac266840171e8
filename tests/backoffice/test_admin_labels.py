"""The Django admin speaks Vietnamese for the third-party apps too, and says "Lịch sử" for History."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django_otp.plugins.otp_totp.models import TOTPDevice


def vi(message: str) -> str:
    with translation.override("vi"):
        return translation.gettext(message)


def test_third_party_apps_and_models_have_vietnamese_names(client, cast):
    client.force_login(cast.superuser)
    body = client.get(reverse("admin:index")).content.decode()
    for english in ("Auth Token", "Axes", "Otp_Totp", "access attempts", "TOTP devices", ">Tokens<"):
        assert english not in body, english
    for name in ("Mã truy cập API", "Lần đăng nhập", "Thiết bị xác thực hai bước"):
        assert name in body, name
    for model in ("access attempts", "access logs", "TOTP devices", "Tokens"):
        assert vi(model) != model and capfirst(vi(model)) in body, model


def test_totp_device_pages_use_translated_labels(client, cast):
    TOTPDevice.objects.create(user=cast.officer, name="Điện thoại", confirmed=True)
    client.force_login(cast.superuser)
    response = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert response.status_code == 200, response
    body = response.content.decode()
    assert vi("TOTP device") in body and vi("confirmed").capitalize() in body
    assert "Confirmed" not in body


def test_access_attempts_page_is_in_vietnamese(client, cast):
    AccessAttempt.objects.create(
        username="ai.do", ip_address="203.0.113.5", user_agent="curl", failures_since_start=3
    )
    client.force_login(cast.superuser)
    body = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    for english in ("IP Address", "Attempt Time", "Failed Logins"):
        assert vi(english) != english and vi(english) in body, english


def test_the_history_button_says_lich_su(client, cast, tree):
    client.force_login(cast.superuser)
    body = client.get(reverse("admin:routing_unit_change", args=[tree.hanoi.pk])).content.decode()
    assert "Bản ghi nhớ" not in body
    assert ">Lịch sử</a>" in body


def test_the_totp_device_form_is_in_vietnamese(client, cast):
    """Its sections, labels and help texts were django-otp's plain English strings."""
    client.force_login(cast.superuser)
    body = client.get(reverse("admin:otp_totp_totpdevice_add")).content.decode()
    for english in ("Identity", "Throttling", "Configuration", "The time step in seconds.", "Tolerance"):
        assert english not in body, english
    for english in ("Throttling", "time step", "The time step in seconds."):
        assert vi(english) in body, english


def test_the_admins_own_new_texts_and_the_attempts_status_column_are_in_vietnamese(client, cast):
    AccessAttempt.objects.create(
        username="ai.do", ip_address="203.0.113.5", user_agent="curl", failures_since_start=3
    )
    client.force_login(cast.superuser)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Model name" not in index and vi("Model name") in index
    attempts = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert ">Status<" not in attempts and vi("status").capitalize() in attempts
    assert "Show counts" not in attempts and vi("Show counts") in attempts
