"""The receipt (tracking code and private link) sent after a petition is filed."""

from __future__ import annotations

from django.core import mail

from notifications.transports import TemporaryFailure
from notifications.transports.sms import LocmemSmsBackend


def test_receipt_goes_by_sms_and_email_after_commit(submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(email="an@example.vn")
    code = result.petition.tracking_code
    [sms] = LocmemSmsBackend.outbox
    assert code in sms.body and f"/t/{result.token}/" in sms.body
    [email] = mail.outbox
    assert email.to == ["an@example.vn"] and code in email.subject
    assert "Cổng phản ánh" in email.from_email


def test_english_speakers_get_an_english_receipt_and_link(submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(language="en")
    [sms] = LocmemSmsBackend.outbox
    assert sms.body.startswith("Your petition")
    assert f"/en/t/{result.token}/" in sms.body


def test_nothing_is_sent_when_the_submission_rolls_back(submit, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                submit()
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert LocmemSmsBackend.outbox == []


def test_a_failing_gateway_does_not_break_the_submission(
    submit, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(self, message):
        raise TemporaryFailure("gateway down")

    monkeypatch.setattr(LocmemSmsBackend, "send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(email="an@example.vn")
    assert result.created
    assert len(mail.outbox) == 1


def test_demo_petitions_send_nothing(submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(notify=False)
    assert LocmemSmsBackend.outbox == []
