"""The notification outbox: rows written with the change, drained once, retried, recorded."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications import outbox, sending, texts
from notifications.models import Channel, Notification, Status
from notifications.transports import ChannelDown, PermanentFailure, TemporaryFailure
from notifications.transports.sms import LocmemSmsBackend
from routing import services
from routing.sweep import remind_citizens, sweep_deadlines
from tests.conftest import advance, citizen_of, requires_postgres


def rows(**filters: Any) -> list[Notification]:
    return list(Notification.objects.filter(**filters).order_by("pk"))


# --- what is written, and when -------------------------------------------------------------


def test_the_receipt_is_written_with_the_petition_and_sent_after_commit(
    submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(email="an@example.vn")
    sms, email = rows(template="petition_received")
    assert (sms.channel, email.channel) == (Channel.SMS, Channel.EMAIL)
    assert sms.status == email.status == Status.SENT and sms.attempts == 1
    [sent] = LocmemSmsBackend.outbox
    assert result.petition.tracking_code in sent.body and f"/t/{result.token}/" in sent.body
    assert sent.reference == f"notification-{sms.pk}"
    [message] = mail.outbox
    assert message.to == ["an@example.vn"] and result.petition.tracking_code in message.subject
    # Once delivered, the secret link is not kept in the database.
    sms.refresh_from_db()
    assert result.token not in sms.body and "/t/…/" in sms.body


def test_a_rolled_back_submission_leaves_no_notification(submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        submit()
        raise RuntimeError("rollback")
    assert rows() == [] and LocmemSmsBackend.outbox == []


def test_english_speakers_get_english_texts(submit, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(language="en")
    [sent] = LocmemSmsBackend.outbox
    assert "your petition was received" in sent.body and f"/en/t/{result.token}/" in sent.body


def test_citizens_hear_of_staff_status_changes_but_not_of_internal_events_or_their_own(case, cast):
    services.case_accept(case_id=case.pk, actor=cast.officer)
    [accepted] = rows(template="case_accept")
    assert accepted.channel == Channel.SMS and accepted.recipient == "+84912345678"
    assert case.petition.tracking_code in accepted.body and "da tiep nhan" in accepted.body.lower()
    services.case_add_note(case_id=case.pk, actor=cast.officer, text="Nội bộ", is_public=False)
    services.case_withdraw(case_id=case.pk, actor=citizen_of(case))
    assert {n.template for n in rows()} == {"petition_received", "case_accept"}


def test_the_published_response_and_a_rejection_reason_reach_the_citizen(submit, case, cast):
    advance(case, "responded", cast)
    assert rows(template="case_approve")
    other = submit(email="binh@example.vn").petition.case
    services.case_reject(case_id=other.pk, actor=cast.officer, reason="Không thuộc thẩm quyền của xã.")
    email = rows(template="case_reject", channel=Channel.EMAIL)[0]
    assert "Không thuộc thẩm quyền của xã." in email.body and other.petition.tracking_code in email.subject


def test_a_citizen_who_opted_out_gets_email_but_no_sms(submit, cast):
    petition = submit(email="an@example.vn").petition
    petition.sms_opt_out = True
    petition.save(update_fields=["sms_opt_out"])
    services.case_accept(case_id=petition.case.pk, actor=cast.officer)
    assert [n.channel for n in rows(template="case_accept")] == [Channel.EMAIL]


def test_an_assignment_by_a_leader_tells_the_assignee_by_email(case, cast):
    cast.officer2.email = "officer2@example.vn"
    cast.officer2.save()
    services.case_accept(case_id=case.pk, actor=cast.leader, assignee=cast.officer2)
    [assigned] = rows(template="case_assigned")
    assert assigned.user == cast.officer2 and assigned.recipient == "officer2@example.vn"
    assert f"/office/cases/{case.pk}/" in assigned.body


def test_officers_taking_a_case_themselves_are_not_told(case, cast):
    cast.officer.email = "officer@example.vn"
    cast.officer.save()
    services.case_accept(case_id=case.pk, actor=cast.officer)
    assert rows(template="case_assigned") == []


def test_the_sweep_reminds_assignees_and_alerts_leaders_of_missed_deadlines(case, cast):
    for user in (cast.officer, cast.leader):
        user.email = f"{user.username}@example.vn"
        user.save()
    advance(case, "in_progress", cast)
    case.refresh_from_db()
    # One digest per person and sweep (tests/notifications/test_sweep_digests.py), not an e-mail per case.
    sweep_deadlines(now=case.due_at - dt.timedelta(hours=2))
    [reminder] = rows(template="sweep_digest")
    assert reminder.user == cast.officer and case.petition.tracking_code in reminder.body
    sweep_deadlines(now=case.due_at + dt.timedelta(hours=1))
    assert {n.user for n in rows(template="sweep_digest")[1:]} == {cast.officer, cast.leader}


def test_nothing_is_written_while_paused(submit):
    with outbox.paused():
        submit()
    assert rows() == []


@pytest.mark.parametrize("language", ["vi", "en"])
def test_sms_texts_fit_one_plain_segment(language):
    receipt = texts.receipt(code="PA-26-7KQ3M9", token="x" * 43, language=language)
    bodies = [receipt.sms]
    for kind in outbox.CITIZEN_KINDS:
        link = texts.signed_case_url(10**9, language) if kind in outbox.SIGNED_LINK_KINDS else ""
        text = texts.status_change(
            code="PA-26-7KQ3M9",
            kind=kind,
            unit="Phường Thượng Đình, Thành phố Hà Nội" * 2,
            note="",
            language=language,
            link=link,
        )
        bodies.append(text.sms)
        assert link in text.sms
    for body in bodies:
        assert len(body) <= texts.SMS_SEGMENT, body
        assert body.isascii(), body


def test_a_long_site_address_gives_the_sms_the_look_up_pages_link_and_keeps_one_segment(settings):
    settings.PUBLIC_BASE_URL = "https://" + "gop-y-kien-nghi." * 5 + "example.vn"
    link = texts.signed_case_url(10**9)
    text = texts.status_change(
        code="PA-26-7KQ3M9", kind="approve", unit="Phường A", note="", language="vi", link=link
    )
    assert len(text.sms) <= texts.SMS_SEGMENT and "/track/" in text.sms
    assert link in text.email  # an e-mail has room for it


# --- the signed link in the messages that ask the citizen to act (issue 18, trial) ---------------


def _signed_path(body: str) -> str:
    [path] = re.findall(r"(/t/s/[^/\s]+/)", body)
    return path


def test_the_question_its_reminder_and_the_response_carry_a_link_that_opens_the_petition(
    submit, cast, client, django_capture_on_commit_callbacks
):
    case = submit(email="an@example.vn").petition.case
    advance(case, "in_progress", cast)
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="Ngập từ lúc nào?")
    case.refresh_from_db()
    remind_citizens(now=case.citizen_due_at - dt.timedelta(hours=12))
    services.case_citizen_answer(case_id=case.pk, actor=citizen_of(case), text="Từ 6 giờ sáng.")
    services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã hút nước xong.")
    services.case_approve(case_id=case.pk, actor=cast.leader)
    for template in ("case_ask_citizen", "case_citizen_reminder", "case_approve"):
        sms, email = rows(template=template)
        assert (sms.channel, email.channel) == (Channel.SMS, Channel.EMAIL)
        for row in (sms, email):
            assert "/track/" not in row.body, row.body
            # The SMS is folded: the link is the same in both.
            assert _signed_path(row.body) == _signed_path(sms.body)
    # Another browser, without code or phone number, opens the petition from the link.
    response = client.get(_signed_path(rows(template="case_ask_citizen")[0].body))
    assert response.status_code == 302 and response["Location"] == f"/track/{case.petition.tracking_code}/"
    assert "Ngập từ lúc nào?" in client.get(response["Location"]).content.decode()
    # Other status changes still send the citizen to the look-up page.
    assert "/track/" in rows(template="case_accept")[0].body


def test_the_question_sms_keeps_its_link_whole_and_within_two_segments(submit, cast):
    case = submit().petition.case
    advance(case, "in_progress", cast)
    services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="Xin ông cho biết thêm. " * 30)
    [sms] = rows(template="case_ask_citizen")
    assert len(sms.body) <= 2 * 153 and sms.body.isascii()
    assert sms.body.endswith(texts.signed_case_url(case.petition.pk)[-20:])


def test_the_signed_link_is_not_kept_once_the_message_has_left(
    submit, cast, django_capture_on_commit_callbacks
):
    case = submit().petition.case
    advance(case, "in_progress", cast)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_ask_citizen(case_id=case.pk, actor=cast.officer, question="Ngập từ lúc nào?")
    [sms] = rows(template="case_ask_citizen")
    [sent] = [m for m in LocmemSmsBackend.outbox if m.reference == f"notification-{sms.pk}"]
    link = _signed_path(sent.body)
    assert sms.status == Status.SENT and link not in sms.body and "/t/s/…/" in sms.body


# --- the citizen's added information reaches the officers (issue 18, trial) ----------------------


def test_information_the_citizen_adds_is_emailed_to_the_assignee_with_the_text_and_the_desk(case, cast):
    for user in (cast.officer, cast.leader):
        user.email = f"{user.username}@example.vn"
        user.save()
    advance(case, "in_progress", cast)
    event = services.case_citizen_add_info(
        case_id=case.pk, actor=citizen_of(case), text="Rác lại bị đổ thêm tối qua."
    )
    [email] = rows(template="citizen_info")
    assert (email.channel, email.user, email.event) == (Channel.EMAIL, cast.officer, event)
    assert case.petition.tracking_code in email.subject
    assert "Rác lại bị đổ thêm tối qua." in email.body and f"/office/cases/{case.pk}/" in email.body
    # The citizen is not told of their own words.
    assert not rows(template="citizen_info", channel=Channel.SMS)
    assert not Notification.objects.filter(event=event).exclude(template="citizen_info").exists()


def test_information_added_before_anyone_is_assigned_goes_to_the_units_leaders(case, cast):
    for user in (cast.officer, cast.leader, cast.other_commune_leader):
        user.email = f"{user.username}@example.vn"
        user.save()
    services.case_citizen_add_info(case_id=case.pk, actor=citizen_of(case), text="Thêm một bao rác nữa.")
    assert [n.user for n in rows(template="citizen_info")] == [cast.leader]


# --- the drain ----------------------------------------------------------------------------


class Gateway(BaseHTTPRequestHandler):
    """A real HTTP SMS gateway on a local port: answers with ``status`` and records deliveries."""

    status: ClassVar[int] = 200
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body["idempotency_key"] = self.headers["Idempotency-Key"]
        body["auth"] = self.headers["Authorization"]
        if Gateway.status == 200:
            Gateway.received.append(body)
        self.send_response(Gateway.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def gateway_server(settings: Any) -> Iterator[type[Gateway]]:
    """An SMS gateway on a port of its own, and the settings pointing at it."""
    Gateway.status, Gateway.received = 200, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "notifications.transports.sms.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_KEY = "secret-key"
    try:
        yield Gateway
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway(settings):
    with gateway_server(settings) as server:
        yield server


def test_gateway_down_then_up_sends_each_message_exactly_once(
    submit, gateway, django_capture_on_commit_callbacks
):
    gateway.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        submit()
        submit(phone="0987 654 321")
    pending = rows(channel=Channel.SMS)
    assert [n.status for n in pending] == [Status.PENDING, Status.PENDING]
    assert all(n.attempts == 1 and "503" in n.last_error for n in pending)
    assert gateway.received == []
    # Retries wait for their backoff; a drain before then sends nothing.
    assert sending.drain().claimed == 0
    gateway.status = 200
    report = sending.drain(now=timezone.now() + dt.timedelta(minutes=2))
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(m["to"] for m in gateway.received) == ["+84912345678", "+84987654321"]
    assert {m["idempotency_key"] for m in gateway.received} == {f"notification-{n.pk}" for n in pending}
    assert {m["auth"] for m in gateway.received} == {"Bearer secret-key"}
    assert sending.drain(now=timezone.now() + dt.timedelta(hours=1)).claimed == 0
    assert len(gateway.received) == 2


@pytest.mark.parametrize(
    ("status", "recorded"),
    [(503, "unavailable: gateway answered 503"), (429, "temporary: gateway answered 429")],
)
def test_a_gateway_in_trouble_is_told_from_a_message_refused_for_now(submit, gateway, status, recorded):
    """A 5xx says the gateway is away (its return pulls the others forward); a 429 is about this one."""
    gateway.status = status
    submit()
    sending.drain()
    [row] = rows(channel=Channel.SMS)
    assert row.status == Status.PENDING and row.last_error == recorded
    assert (Channel.SMS in sending._seen_failing) is (status == 503)


def test_a_permanent_failure_is_recorded_and_not_retried(submit, gateway, django_capture_on_commit_callbacks):
    gateway.status = 400
    with django_capture_on_commit_callbacks(execute=True):
        submit()
    [failed] = rows(channel=Channel.SMS)
    assert failed.status == Status.FAILED and "400" in failed.last_error
    assert sending.drain(now=timezone.now() + dt.timedelta(days=1)).claimed == 0


def test_an_unreachable_gateway_is_a_temporary_failure(submit, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "notifications.transports.sms.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # nothing listens on the discard port
    settings.SMS_GATEWAY_TIMEOUT = 1
    with django_capture_on_commit_callbacks(execute=True):
        result = submit()
    assert result.created
    [row] = rows(channel=Channel.SMS)
    assert row.status == Status.PENDING and "unreachable" in row.last_error


def test_a_message_that_keeps_failing_gives_up_after_the_last_attempt(submit, monkeypatch):
    """Without a drain after commit here: each drain below is one attempt."""

    def broken(self, message):
        raise TemporaryFailure("still down")

    monkeypatch.setattr(LocmemSmsBackend, "send", broken)
    submit()
    moment = timezone.now()
    for _attempt in range(sending.MAX_ATTEMPTS):
        moment += dt.timedelta(hours=5)
        sending.drain(now=moment)
    [row] = rows(channel=Channel.SMS)
    assert row.status == Status.FAILED and row.attempts == sending.MAX_ATTEMPTS


def test_once_the_gateway_answers_again_messages_waiting_out_a_backoff_go_at_once(submit, monkeypatch):
    def down(self, message):
        raise ChannelDown("gateway unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(LocmemSmsBackend, "send", down)
        submit()
        assert sending.drain().retried == 1
    [waiting] = rows(channel=Channel.SMS)
    assert waiting.next_attempt_at > timezone.now()  # one minute; up to four hours after long outages
    assert waiting.last_error.startswith(sending.CHANNEL_DOWN)
    submit(phone="0987 654 321")  # filed once the gateway is back: due at once
    report = sending.drain()
    assert report.pulled_forward == 1 and report.sent == 2
    assert [r.status for r in rows(channel=Channel.SMS)] == [Status.SENT, Status.SENT]


def test_a_message_refused_for_itself_pulls_nothing_forward(submit, monkeypatch):
    """A 429 (or any failure of one message) says nothing of the gateway: backoff stays backoff."""

    def busy(self, message):
        raise TemporaryFailure("gateway answered 429")

    with monkeypatch.context() as patch:
        patch.setattr(LocmemSmsBackend, "send", busy)
        submit()
        sending.drain()
    submit(phone="0987 654 321")
    report = sending.drain()
    assert report.pulled_forward == 0 and report.sent == 1
    [kept] = rows(channel=Channel.SMS, status=Status.PENDING)
    assert kept.last_error == "temporary: gateway answered 429"


def _waiting(key: str, attempts: int, due: dt.datetime, channel: str = Channel.SMS, **fields) -> Notification:
    return Notification.objects.create(
        channel=channel,
        recipient="+84912345678" if channel == Channel.SMS else "an@example.vn",
        template="t",
        body="x",
        dedupe_key=key,
        attempts=attempts,
        next_attempt_at=due,
        **fields,
    )


def test_a_message_retried_after_the_gateway_was_away_pulls_its_channel_forward_but_not_last_attempts(db):
    """In a worker process that never saw the gateway away: the retry's success is the sign."""
    now = timezone.now()
    later = now + dt.timedelta(minutes=30)
    retried = _waiting("retried", 1, now, last_error=f"{sending.CHANNEL_DOWN}gateway unreachable")
    waiting = _waiting("waiting", sending.MAX_ATTEMPTS - 3, later)  # its next attempt: the 6th of 8
    second_to_last = _waiting("7th", sending.MAX_ATTEMPTS - 2, later + dt.timedelta(hours=1))
    email = _waiting("email", 2, later, Channel.EMAIL)
    LocmemSmsBackend.outbox.clear()
    report = sending.drain(now=now)
    assert report.pulled_forward == 1 and report.sent == 2
    sent = set(Notification.objects.filter(status=Status.SENT).values_list("pk", flat=True))
    assert sent == {retried.pk, waiting.pk}
    for kept in (second_to_last, email):  # the last two attempts keep their time; e-mail was not away
        assert Notification.objects.get(pk=kept.pk).next_attempt_at == kept.next_attempt_at


def test_a_gateway_that_comes_and_goes_pulls_forward_once_a_minute_at_most(db, monkeypatch):
    now = timezone.now()
    _waiting("a", 1, now, last_error=f"{sending.CHANNEL_DOWN}gateway answered 503")
    _waiting("b", 2, now + dt.timedelta(minutes=10))
    LocmemSmsBackend.outbox.clear()
    assert sending.drain(now=now).pulled_forward == 1
    _waiting("c", 1, now, last_error=f"{sending.CHANNEL_DOWN}gateway answered 503")
    _waiting("d", 2, now + dt.timedelta(minutes=10))
    assert sending.drain(now=now).pulled_forward == 0  # within the minute
    monkeypatch.setitem(sending._last_pull, Channel.SMS, sending._last_pull[Channel.SMS] - sending.PULL_EVERY)
    _waiting("e", 1, now, last_error=f"{sending.CHANNEL_DOWN}gateway answered 503")
    assert sending.drain(now=now).pulled_forward == 1


def test_a_batch_outlasting_its_lease_gives_the_rest_back_and_sends_each_once(db, monkeypatch):
    """A slow gateway: another drain would take the rows of an expired lease and send them again."""
    Notification.objects.bulk_create(
        Notification(
            channel=Channel.SMS, recipient=f"+849123456{i:02d}", template="t", body="x", dedupe_key=str(i)
        )
        for i in range(5)
    )
    LocmemSmsBackend.outbox.clear()
    sent_at: list[float] = []
    fast_send = LocmemSmsBackend.send

    def slow(self, message):
        import time

        sent_at.append(time.monotonic())
        time.sleep(0.15)
        fast_send(self, message)

    monkeypatch.setattr(LocmemSmsBackend, "send", slow)
    # 0.2 s of a batch's lease to send in (five minutes less one in production).
    monkeypatch.setattr(sending, "LEASE_MARGIN", sending.LEASE - dt.timedelta(seconds=0.2))
    report = sending.drain(batch_size=5)
    assert report.sent == 5 and report.released >= 2
    assert len(LocmemSmsBackend.outbox) == 5
    assert len({m.reference for m in LocmemSmsBackend.outbox}) == 5
    assert set(Notification.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_giving_a_batch_back_leaves_a_row_another_drain_has_taken_over(db):
    for i in range(3):
        _waiting(str(i), 0, timezone.now())
    now = timezone.now()
    claimed = sending._claim(now, 10)
    # Its lease ran out meanwhile and another drain took the last row.
    later = now + sending.LEASE + dt.timedelta(seconds=1)
    taken = claimed[-1]
    Notification.objects.filter(pk=taken.pk).update(lease_until=later + sending.LEASE, attempts=2)
    assert sending._release(claimed) == 2
    states = dict(Notification.objects.values_list("pk", "status"))
    assert [states[r.pk] for r in claimed] == [Status.PENDING, Status.PENDING, Status.SENDING]
    assert Notification.objects.get(pk=taken.pk).attempts == 2
    assert set(Notification.objects.filter(status=Status.PENDING).values_list("attempts", flat=True)) == {0}


def test_a_drain_never_takes_rows_another_drain_holds(submit, monkeypatch):
    def slow(self, message):
        raise PermanentFailure("not reached")

    with outbox.paused():
        submit()
    with transaction.atomic():
        petition = submit(phone="0987 654 321", notify=False).petition
        outbox.enqueue_receipt(petition=petition, token="t" * 43)
    # A crashed drain's lease: the row is "sending" until the lease expires.
    now = timezone.now()
    claimed = sending._claim(now, 10)
    assert len(claimed) == 1 and claimed[0].status == Status.SENDING
    assert sending._claim(now, 10) == []
    # After the lease, another drain takes it over and sends it once.
    report = sending.drain(now=now + sending.LEASE + dt.timedelta(seconds=1))
    assert report.sent == 1 and len(LocmemSmsBackend.outbox) == 1


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_two_drains_running_at_once_send_nothing_twice():
    from django.db import connection

    # Forty due rows, written directly so that no drain runs before the two below.
    Notification.objects.bulk_create(
        Notification(
            channel=Channel.SMS, recipient=f"+849123456{i:02d}", template="t", body="x", dedupe_key=str(i)
        )
        for i in range(40)
    )
    LocmemSmsBackend.outbox.clear()
    barrier = threading.Barrier(2)
    reports: list[sending.DrainReport] = []

    def run() -> None:
        barrier.wait()
        try:
            reports.append(sending.drain(batch_size=5))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 40
    assert len(LocmemSmsBackend.outbox) == 40
    assert len({m.reference for m in LocmemSmsBackend.outbox}) == 40


def test_a_drain_sends_one_message_in_four_statements(db, django_assert_num_queries):
    Notification.objects.create(
        channel=Channel.SMS, recipient="+84912345678", template="t", body="x", dedupe_key="1"
    )
    LocmemSmsBackend.outbox.clear()
    # Expired one-time codes, the claims (one UPDATE … RETURNING for codes, one for the rest), the
    # outcome; a short batch is the last.
    with django_assert_num_queries(4):
        report = sending.drain()
    assert report.sent == 1 and len(LocmemSmsBackend.outbox) == 1
    with django_assert_num_queries(3):
        assert sending.drain().claimed == 0
