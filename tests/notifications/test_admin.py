"""The notifications admin names each message by what it is about, not by its code."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from notifications import outbox
from notifications.models import MESSAGE_TYPES, Notification
from routing import services
from routing.models import EventKind


def test_message_types_are_listed_by_their_labels(client, cast, case):
    services.case_accept(case_id=case.pk, actor=cast.officer)
    assert Notification.objects.filter(template="case_accept").exists()
    client.force_login(cast.superuser)
    body = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    with translation.override("vi"):
        accepted = str(EventKind.ACCEPT.label)
        received = str(EventKind.SUBMITTED.label)
    assert f'<td class="field-template">{accepted}</td>' in body
    assert f'<td class="field-template">{received}</td>' in body
    assert ">case_accept<" not in body and ">petition_received<" not in body
    # The filter offers the labels too.
    assert f'title="{accepted}"' in body or f">{accepted}</a>" in body


def test_every_message_the_outbox_writes_has_a_label():
    codes = {code for code, _label in MESSAGE_TYPES}
    written = {"petition_received", "case_assigned", "deadline_reminder", "overdue_alert"}
    written |= {f"case_{kind}" for kind in outbox.CITIZEN_KINDS}
    assert written <= codes
