""" "My petitions": a phone proved with an SMS code lists every petition filed with it, and opens them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.transports.sms import LocmemSmsBackend
from petitions.grants import granted_ids
from petitions.models import PhoneChallenge
from portal.mine import PROOF_SESSION_KEY
from routing.models import Case, CaseState

MY = reverse("portal:portal-my")
SEND = reverse("portal:portal-my-send")
VERIFY = reverse("portal:portal-my-verify")
FORGET = reverse("portal:portal-my-forget")


def code_sent(to: str = "+84912345678") -> str:
    """The code in the last one-time-code SMS to ``to``."""
    codes = {
        f"notification-{pk}"
        for pk in Notification.objects.filter(template="phone_code").values_list("pk", flat=True)
    }
    sms = [m for m in LocmemSmsBackend.outbox if m.to == to and m.reference in codes][-1]
    [code] = re.findall(r"\b\d{6}\b", sms.body)
    return code


def prove(client: Any, capture: Any, phone: str = "0912 345 678", prefix: str = "") -> None:
    LocmemSmsBackend.outbox.clear()
    with capture(execute=True):
        assert client.post(prefix + SEND, {"phone": phone}).status_code == 302
    normalized = "+84" + re.sub(r"\D", "", phone).removeprefix("84").removeprefix("0")
    assert client.post(prefix + VERIFY, {"code": code_sent(normalized)}).status_code == 302


def test_a_citizen_proves_their_phone_and_sees_every_petition_filed_with_it(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = submit(title="Đèn đường hỏng ngõ 5").petition
    second = submit(title="Cống tắc trước số 12").petition
    other = submit(phone="0987 654 321", title="Phản ánh của người khác").petition
    page = client.get(MY).content.decode()
    assert 'name="phone"' in page and "Phản ánh của tôi" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SEND, {"phone": "+84 912 345 678"})
    assert response.status_code == 302 and response["Location"] == MY
    page = client.get(MY).content.decode()
    assert "678" in page and 'autocomplete="one-time-code"' in page
    [message] = [m for m in LocmemSmsBackend.outbox if "ma xac nhan" in m.body]
    assert message.to == "+84912345678" and "5 phut" in message.body
    assert client.post(VERIFY, {"code": code_sent()}).status_code == 302
    page = client.get(MY).content.decode()
    for petition in (first, second):
        assert petition.tracking_code in page and petition.title in page
        assert reverse("portal:portal-my-open", kwargs={"code": petition.tracking_code}) in page
    assert page.index(second.tracking_code) < page.index(first.tracking_code)  # newest first
    assert "Chờ tiếp nhận" in page and timezone.localtime(first.submitted_at).strftime("%d/%m/%Y") in page
    assert other.tracking_code not in page and other.title not in page
    opened = client.get(reverse("portal:portal-my-open", kwargs={"code": first.tracking_code}))
    assert opened["Location"] == reverse("portal:portal-case", kwargs={"code": first.tracking_code})
    case_page = client.get(opened["Location"])
    assert case_page.status_code == 200 and "portal/case.html" in [t.name for t in case_page.templates]


def test_the_page_works_in_english_with_the_state_as_the_tracking_page_names_it(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit()
    prove(client, django_capture_on_commit_callbacks, prefix="/en")
    page = client.get("/en" + MY).content.decode()
    assert "My petitions" in page and "Awaiting triage" in page and "Sign out of my petitions" in page


def test_a_session_without_proof_sees_nothing(client: Any, submit: Any) -> None:
    petition = submit().petition
    page = client.get(MY).content.decode()
    assert petition.tracking_code not in page and petition.title not in page
    assert (
        client.get(reverse("portal:portal-my-open", kwargs={"code": petition.tracking_code}))["Location"]
        == MY
    )
    # A code sent but not entered proves nothing either.
    client.post(SEND, {"phone": "0912345678"})
    assert petition.tracking_code not in client.get(MY).content.decode()
    page = client.get(reverse("portal:portal-case", kwargs={"code": petition.tracking_code}))
    assert "portal/track.html" in [t.name for t in page.templates]
    assert granted_ids(client.session) == []


def test_a_proven_phone_opens_only_its_own_petitions(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    other = submit(phone="0987 654 321").petition
    prove(client, django_capture_on_commit_callbacks)
    assert (
        client.get(reverse("portal:portal-my-open", kwargs={"code": other.tracking_code})).status_code == 404
    )
    assert other.pk not in granted_ids(client.session)


def test_the_proof_lasts_thirty_minutes(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    petition = submit().petition
    prove(client, django_capture_on_commit_callbacks)
    session = client.session
    assert session[PROOF_SESSION_KEY]["until"] - timezone.now().timestamp() == pytest.approx(30 * 60, abs=5)
    session[PROOF_SESSION_KEY] = {**session[PROOF_SESSION_KEY], "until": int(timezone.now().timestamp()) - 1}
    session.save()
    assert petition.tracking_code not in client.get(MY).content.decode()
    assert (
        client.get(reverse("portal:portal-my-open", kwargs={"code": petition.tracking_code}))["Location"]
        == MY
    )


def _three_hours_later(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import petitions.grants

    later = timezone.now().timestamp() + 3 * 3600
    monkeypatch.setattr(petitions.grants, "time", types.SimpleNamespace(time=lambda: later))


def test_a_petition_opened_from_the_list_closes_again_when_the_proof_ends(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    petition = submit().petition
    case_url = reverse("portal:portal-case", kwargs={"code": petition.tracking_code})
    prove(client, django_capture_on_commit_callbacks)
    client.get(reverse("portal:portal-my-open", kwargs={"code": petition.tracking_code}))
    assert "portal/case.html" in [t.name for t in client.get(case_url).templates]
    # Three hours later, at a shared computer: the history's link asks for the code and phone again.
    _three_hours_later(monkeypatch)
    assert granted_ids(client.session) == []
    assert "portal/track.html" in [t.name for t in client.get(case_url).templates]


def test_a_petition_this_browser_filed_stays_open_after_the_proof_ends(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from petitions import grants

    petition = submit().petition
    session = client.session
    grants.grant(session, petition.pk)  # filed here: for the session's life
    session.save()
    prove(client, django_capture_on_commit_callbacks)
    client.get(reverse("portal:portal-my-open", kwargs={"code": petition.tracking_code}))
    _three_hours_later(monkeypatch)
    assert granted_ids(client.session) == [petition.pk]


def test_signing_out_forgets_the_phone_and_the_petitions_it_opened(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    petition = submit().petition
    prove(client, django_capture_on_commit_callbacks)
    client.get(reverse("portal:portal-my-open", kwargs={"code": petition.tracking_code}))
    assert granted_ids(client.session) == [petition.pk]
    response = client.post(FORGET, follow=True)
    assert "không còn hiển thị" in response.content.decode()
    assert PROOF_SESSION_KEY not in client.session and granted_ids(client.session) == []
    page = client.get(reverse("portal:portal-case", kwargs={"code": petition.tracking_code}))
    assert "portal/track.html" in [t.name for t in page.templates]


def test_a_wrong_code_is_reported_on_its_field(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(SEND, {"phone": "0912345678"})
    wrong = f"{(int(code_sent()) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="error-summary"' in page and 'href="#id_code"' in page
    assert 'aria-describedby="id_code_helptext id_code_error"' in page and 'aria-invalid="true"' in page
    assert "Còn 4 lần thử" in page
    # "Use another number": back to the phone form, the code forgotten.
    client.post(VERIFY, {"restart": "1"})
    assert 'name="phone"' in client.get(MY).content.decode()


def test_nothing_is_sent_to_a_value_that_is_not_a_phone(client: Any, db: Any) -> None:
    response = client.post(SEND, {"phone": "12"})
    assert response.status_code == 400 and "0912 345 678" in response.content.decode()
    assert not PhoneChallenge.objects.exists() and not Notification.objects.exists()


def test_too_many_codes_for_one_phone_is_a_429_with_a_message(
    client: Any, settings: Any, django_capture_on_commit_callbacks: Any, db: Any
) -> None:
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "code_send_phone": "1/h"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(SEND, {"phone": "0912345678"}).status_code == 302
        response = client.post(SEND, {"phone": "+84 912 345 678"})
    assert response.status_code == 429 and "Bạn đã yêu cầu quá nhiều mã" in response.content.decode()
    assert PhoneChallenge.objects.count() == 1


def test_petitions_past_retention_show_only_code_state_and_dates(
    client: Any, submit: Any, cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from routing import services

    old = submit(title="Tiêu đề cũ không còn hiện").petition
    services.case_reject(case_id=old.case.pk, actor=cast.officer, reason="Ngoài phạm vi.")
    ended = timezone.now() - dt.timedelta(days=5 * 365 + 2)
    Case.objects.filter(pk=old.case.pk).update(closed_at=ended)
    prove(client, django_capture_on_commit_callbacks)
    page = client.get(MY).content.decode()
    assert old.tracking_code in page and "Tiêu đề cũ" not in page
    assert str(CaseState.REJECTED.label) in page
    assert timezone.localtime(ended).strftime("%d/%m/%Y") in page


def test_the_list_reads_the_same_queries_for_three_petitions_or_thirty(
    client: Any, submit: Any, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        submit(title=f"Phản ánh số {n}")
    prove(client, django_capture_on_commit_callbacks)
    with django_assert_max_num_queries(4) as few:
        assert client.get(MY).status_code == 200
    for n in range(27):
        submit(title=f"Phản ánh thêm {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(MY).content.decode()
    assert page.count("portal-my-open") == 0 and page.count("/my/PA-") == 60  # 30 petitions, two links each


def test_the_navigation_the_home_page_and_the_tracking_page_lead_to_it(client: Any, db: Any) -> None:
    for url in ("/", reverse("portal:portal-track"), reverse("portal:portal-statistics")):
        assert f'href="{MY}"' in client.get(url).content.decode()
