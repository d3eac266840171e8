"""Every back-office URL refuses anonymous users, people without a unit, and other units' staff.

``ENDPOINTS`` lists every URL of ``backoffice.urls`` (except the public sign-in pages) with
the methods it accepts and one request that is valid for Phường Hoàn Kiếm's own staff:
``test_the_table_requests_work_for_hoan_kiems_own_staff`` proves it, so a refusal in the
other tests is the access rule speaking, never a malformed request. A new URL fails
``test_every_back_office_url_is_in_the_access_table`` until it is added here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook
from PIL import Image

from alerts.models import Alert
from backoffice import urls as backoffice_urls
from backoffice.bulk import RUNS
from petitions.attachments import attachment_stage, document_stage
from petitions.models import Attachment, Document, Petition, private_storage
from routing import services
from routing.actions import ACTIONS
from routing.models import Case, CaseEvent, ResponseTemplate, Unit
from tests.conftest import Cast, Tree, advance, fresh, shape

LOGIN = reverse("backoffice:backoffice-login")
PASSWORD = "x-Strong-pass-42"
SESSION = "s" * 32

#: Public by nature: tested on their own at the end of this file.
PUBLIC = {"backoffice-login", "backoffice-login-verify", "backoffice-logout"}

#: Staff of other units, each of whom must never read or change Hoàn Kiếm's cases.
FOREIGN_STAFF = ["other_officer", "other_commune_leader", "other_province_leader"]


# --- the world one request is about --------------------------------------------------------


@dataclass
class World:
    cast: Cast
    tree: Tree
    case: Case  # the Hoàn Kiếm case the request is about
    original: Case  # another Hoàn Kiếm case: the original when marking duplicates
    photo: Attachment  # a photo of ``case``
    template: ResponseTemplate  # a response template of Hoàn Kiếm
    device: TOTPDevice  # the Hoàn Kiếm leader's two-factor set-up, not confirmed yet
    document: Any = None  # a PDF of ``case`` (petitions.models.Document)

    @property
    def device_secret(self) -> str:
        """The key as the two-factor page shows it to its owner, in groups of four."""
        secret = b32encode(self.device.bin_key).decode()
        return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

    def secrets(self) -> list[str]:
        """What only Hoàn Kiếm's staff (and their leaders above) may read."""
        found = [self.template.title, self.template.text, self.device_secret]
        for case in (self.case, self.original):
            petition = case.petition
            found += [
                petition.tracking_code,
                petition.title,
                petition.submitter_name,
                petition.phone,
                petition.phone_display,
                petition.email,
                petition.address,
            ]
        return [value for value in found if value]


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG")
    return SimpleUploadedFile("IMG_0002.JPG", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def private_files(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Photos under a temporary directory (the fields build their storage at import; see test_attachments)."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    for name in ("image", "thumbnail"):
        monkeypatch.setattr(Attachment._meta.get_field(name), "storage", private_storage())


def _letter() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.petitions.test_pdfs import pdf

    return SimpleUploadedFile("bien-ban.pdf", pdf(), content_type="application/pdf")


@pytest.fixture
def build_world(cast: Cast, tree: Tree, submit: Any, private_files: None) -> Callable[..., World]:
    """A Hoàn Kiếm case in ``state`` (or ``escalated`` to Hà Nội), with a photo, a template and a 2FA set-up."""

    def build(state: str = "submitted") -> World:
        original = submit(
            title="Hoàn Kiếm: đèn đường phố Hàng Gai hỏng",
            text="Cả dãy đèn đường phố Hàng Gai không sáng từ tuần trước.",
            phone="0987 111 222",
            submitter_name="Phạm Thị Duyên",
        ).petition.case
        photo = attachment_stage(upload=jpeg(), session_key=SESSION)
        case = submit(
            title="Hoàn Kiếm: vỉa hè phố Hàng Bạc bị lấn chiếm",
            text="Quán ăn bày bàn ghế kín vỉa hè phố Hàng Bạc, người đi bộ phải xuống lòng đường.",
            phone="0912 777 888",
            submitter_name="Đỗ Quang Vinh",
            email="vinh.do@example.com",
            address="Số 17 phố Hàng Bạc",
            attachment_tokens=[photo.upload_token],
            session_key=SESSION,
        ).petition.case
        if state == "escalated":
            services.case_escalate(case_id=case.pk, actor=cast.officer, reason="Vượt thẩm quyền của phường.")
            case = fresh(case)
        else:
            case = advance(case, state, cast)
        template = ResponseTemplate.objects.create(
            unit=tree.hoan_kiem,
            title="Mẫu riêng của Hoàn Kiếm về lấn chiếm vỉa hè",
            text="Phường Hoàn Kiếm đã lập biên bản và yêu cầu trả lại vỉa hè cho người đi bộ.",
        )
        device = TOTPDevice.objects.create(user=cast.leader, name="authenticator app", confirmed=False)
        photo.refresh_from_db()
        document = document_stage(upload=_letter(), session_key=SESSION)
        Document.objects.filter(pk=document.pk).update(petition=case.petition)
        world = World(cast, tree, case, fresh(original), photo, template, device, document)
        _alert(world)  # an emerging-issue alert at Hoàn Kiếm about the case
        return world

    return build


def hoan_kiem_state(world: World) -> dict[str, Any]:
    """Everything of Hoàn Kiếm's that existed before the request."""
    cases = [world.case.pk, world.original.pk]
    return {
        "cases": list(
            Case.objects.filter(pk__in=cases)
            .order_by("pk")
            .values_list(
                "pk",
                "state",
                "version",
                "unit_id",
                "assignee_id",
                "due_at",
                "response_text",
                "duplicate_of_id",
            )
        ),
        "events": list(CaseEvent.objects.filter(case_id__in=cases).order_by("pk").values_list("pk", "kind")),
        "alerts": list(
            Alert.objects.filter(unit=world.tree.hoan_kiem)
            .order_by("pk")
            .values_list("pk", "state", "closed_by_id")
        ),
        "templates": list(
            ResponseTemplate.objects.filter(unit=world.tree.hoan_kiem)
            .order_by("pk")
            .values_list("pk", "title", "text", "is_active", "category_id")
        ),
        "devices": list(
            TOTPDevice.objects.filter(user__membership__unit=world.tree.hoan_kiem)
            .order_by("pk")
            .values_list("pk", "key", "confirmed")
        ),
        "photos": list(Attachment.objects.filter(petition=world.case.petition).values_list("pk", "image")),
    }


def row_counts() -> dict[str, int]:
    """New rows anywhere: notes and case moves are events, filed petitions open cases."""
    return {
        "petitions": Petition.objects.count(),
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "templates": ResponseTemplate.objects.count(),
        "devices": TOTPDevice.objects.count(),
        "photos": Attachment.objects.count(),
    }


# --- the table ------------------------------------------------------------------------------


class Audience(Enum):
    """Who may use a request of the table, apart from Hoàn Kiếm's own staff."""

    HOAN_KIEM = "reads or changes Hoàn Kiếm's data: everyone else is refused"
    LEADERS = "a leader's page about Hoàn Kiếm: officers and other leaders are refused"
    STAFF = "meant for all staff, each seeing and changing only their own unit's data"
    OWN_ACCOUNT = "a leader's own account: officers are refused, other leaders see only theirs"


@dataclass(frozen=True)
class Endpoint:
    id: str
    name: str  # the URL's name in backoffice.urls
    method: str
    audience: Audience
    owner: str  # the cast member for whom the request is valid
    args: Callable[[World], list[Any]] = lambda w: []
    params: Callable[[World], dict[str, Any]] = lambda w: {}
    state: str = "submitted"  # of the world's case
    action: str = ""  # the case action or bulk action, for the table's own completeness check
    ok: int = 0  # the owner's status: 200 for GET and 302 for POST unless given
    shows: Callable[[World], list[str]] = lambda w: []  # what the owner's response holds

    def url(self, world: World) -> str:
        return reverse(f"backoffice:{self.name}", args=self.args(world))

    def send(self, client: Any, world: World) -> Any:
        return getattr(client, self.method.lower())(self.url(world), self.params(world))

    @property
    def expected_ok(self) -> int:
        return self.ok or (200 if self.method == "GET" else 302)


def _code(world: World) -> list[str]:
    return [world.case.petition.tracking_code]


def _case(world: World) -> list[Any]:
    return [world.case.pk]


def _alert(world: World) -> list[Any]:
    """An alert at Hoàn Kiếm about the world's case (made by ``build_world``)."""
    now = timezone.now()
    category = world.case.petition.category_id
    alert, _created = Alert.objects.get_or_create(
        place=world.tree.hoan_kiem,
        subject=f"c:{category}",
        defaults={
            "unit": world.tree.hoan_kiem,
            "category_id": category,
            "window_hours": 72,
            "window_start": now - dt.timedelta(hours=72),
            "window_end": now + dt.timedelta(minutes=5),
            "observed": 2,
            "expected": 0.1,
            "p_value": 1e-6,
        },
    )
    return [alert.pk]


def _act(action: str, owner: str, state: str, **fields: Callable[[World], Any]) -> Endpoint:
    """A case action, posted as the desk's form posts it."""

    def params(world: World) -> dict[str, Any]:
        data = {f"{action}-version": str(world.case.version)}
        data.update({f"{action}-{key}": value(world) for key, value in fields.items()})
        return data

    return Endpoint(
        f"case-act-{action}",
        "backoffice-case-act",
        "POST",
        Audience.HOAN_KIEM,
        owner,
        args=lambda w: [w.case.pk, action],
        params=params,
        state=state,
        action=action,
    )


def _bulk(action: str, **fields: Callable[[World], Any]) -> Endpoint:
    def params(world: World) -> dict[str, Any]:
        data = {"cases": [f"{world.case.pk}:{world.case.version}"], "action": action, "query": "tab=open"}
        data.update({key: value(world) for key, value in fields.items()})
        return data

    return Endpoint(
        f"bulk-{action}",
        "backoffice-bulk",
        "POST",
        Audience.STAFF,
        "officer",
        params=params,
        action=action,
        ok=200,
    )


def _petition(world: World) -> dict[str, Any]:
    return {
        "category": str(world.case.petition.category_id),
        "province": "P01",
        "commune": "W00070",
        "title": "Phản ánh qua điện thoại về tiếng ồn",
        "text": "Người dân gọi điện phản ánh quán karaoke hát to sau 23 giờ.",
        "submitter_name": "Hoàng Văn Long",
        "phone": "0913 222 333",
        "received_via": "phone",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def _weekly(fmt: str) -> Endpoint:
    return Endpoint(
        f"weekly-report-{fmt}",
        "backoffice-weekly-report",
        "GET",
        Audience.LEADERS,
        "leader",
        params=lambda w: {"unit": "W00070", "format": fmt},
        shows=lambda w: ["Phường Hoàn Kiếm"],
    )


def _export(fmt: str) -> Endpoint:
    return Endpoint(
        f"export-{fmt}",
        "backoffice-export",
        "GET",
        Audience.HOAN_KIEM,
        "leader",
        args=lambda w: [fmt],
        params=lambda w: {"unit": "W00070", "tab": "open"},
        shows=lambda w: [w.case.petition.tracking_code, w.case.petition.phone_display],
    )


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "two-factor-page",
        "backoffice-two-factor",
        "GET",
        Audience.OWN_ACCOUNT,
        "leader",
        shows=lambda w: [w.device_secret],
    ),
    Endpoint(
        "two-factor-start",
        "backoffice-two-factor",
        "POST",
        Audience.OWN_ACCOUNT,
        "leader",
        params=lambda w: {"action": "start"},
    ),
    Endpoint(
        "inbox",
        "backoffice-inbox",
        "GET",
        Audience.STAFF,
        "officer",
        params=lambda w: {"tab": "open"},
        shows=_code,
    ),
    Endpoint(
        "inbox-live",
        "backoffice-inbox-live",
        "GET",
        Audience.STAFF,
        "officer",
        params=lambda w: {"tab": "open"},
        shows=_code,
    ),
    Endpoint(
        "petition-new-form",
        "backoffice-petition-new",
        "GET",
        Audience.STAFF,
        "officer",
        params=lambda w: {"province": "P01"},
        shows=lambda w: ['value="W00070" selected'],
    ),
    Endpoint(
        "petition-new-filed", "backoffice-petition-new", "POST", Audience.STAFF, "officer", params=_petition
    ),
    Endpoint(
        "templates-page",
        "backoffice-templates",
        "GET",
        Audience.STAFF,
        "leader",
        params=lambda w: {"edit": w.template.pk},
        shows=lambda w: [w.template.title, w.template.text],
    ),
    Endpoint(
        "templates-edit",
        "backoffice-templates",
        "POST",
        Audience.HOAN_KIEM,
        "leader",
        params=lambda w: {
            "template_id": str(w.template.pk),
            "title": "Mẫu đã bị sửa",
            "text": "Nội dung đã bị sửa.",
            "is_active": "on",
        },
    ),
    # Others' searches for the same words find nothing of Hoàn Kiếm's (nor its codes in facet counts).
    Endpoint(
        "search",
        "backoffice-search",
        "GET",
        Audience.STAFF,
        "officer",
        params=lambda w: {"q": "hoan kiem via he", "commune": "W00070"},
        shows=lambda w: [w.case.petition.tracking_code, "<mark>vỉa</mark> <mark>hè</mark> phố Hàng Bạc"],
    ),
    Endpoint(
        "dashboard",
        "backoffice-dashboard",
        "GET",
        Audience.LEADERS,
        "leader",
        params=lambda w: {"unit": "W00070"},
        shows=lambda w: ["Phường Hoàn Kiếm"],
    ),
    Endpoint(
        "dashboard-live",
        "backoffice-dashboard-live",
        "GET",
        Audience.LEADERS,
        "leader",
        params=lambda w: {"unit": "W00070", "period": "30"},
        shows=lambda w: ['"unit": "W00070"'],
    ),
    Endpoint(
        "monitoring",
        "backoffice-monitoring",
        "GET",
        Audience.LEADERS,
        "leader",
        params=lambda w: {"unit": "W00070"},
        shows=lambda w: ["Phường Hoàn Kiếm"],
    ),
    Endpoint(
        "synthesis",
        "backoffice-synthesis",
        "GET",
        Audience.LEADERS,
        "leader",
        params=lambda w: {"unit": "W00070"},
        shows=lambda w: ["Phường Hoàn Kiếm"],
    ),
    Endpoint(
        "synthesis-xlsx",
        "backoffice-synthesis",
        "GET",
        Audience.LEADERS,
        "leader",
        params=lambda w: {"unit": "W00070", "format": "xlsx"},
        shows=lambda w: [],
    ),
    Endpoint(
        "alerts",
        "backoffice-alerts",
        "GET",
        Audience.OWN_ACCOUNT,
        "leader",
        params=lambda w: {"show": "all"},
        shows=lambda w: ["Phường Hoàn Kiếm"],
    ),
    Endpoint(
        "alert",
        "backoffice-alert",
        "GET",
        Audience.HOAN_KIEM,
        "leader",
        args=_alert,
        shows=lambda w: [w.case.petition.tracking_code],
    ),
    Endpoint(
        "alert-acknowledge",
        "backoffice-alert-act",
        "POST",
        Audience.HOAN_KIEM,
        "leader",
        args=lambda w: [*_alert(w), "acknowledge"],
    ),
    Endpoint(
        "alert-close",
        "backoffice-alert-act",
        "POST",
        Audience.HOAN_KIEM,
        "leader",
        args=lambda w: [*_alert(w), "close"],
    ),
    _weekly("html"),
    _weekly("csv"),
    _weekly("xlsx"),
    Endpoint(
        "unit-cases",
        "backoffice-unit-cases",
        "GET",
        Audience.HOAN_KIEM,
        "province_leader",
        args=lambda w: ["W00070"],
        params=lambda w: {"tab": "open"},
        shows=_code,
    ),
    _export("csv"),
    _export("xlsx"),
    _bulk("assign", assignee=lambda w: str(w.cast.officer.pk)),
    _bulk("escalate", reason=lambda w: "Vượt thẩm quyền của phường."),
    _bulk("mark_duplicate", original=lambda w: w.original.petition.tracking_code),
    Endpoint(
        "case-desk",
        "backoffice-case",
        "GET",
        Audience.HOAN_KIEM,
        "officer",
        args=_case,
        shows=lambda w: [w.case.petition.tracking_code, w.case.petition.phone_display],
    ),
    Endpoint(
        "case-note",
        "backoffice-case-note",
        "POST",
        Audience.HOAN_KIEM,
        "officer",
        args=_case,
        params=lambda w: {"note-text": "Đã liên hệ chủ quán.", "note-is_public": "0"},
    ),
    Endpoint(
        "case-photo",
        "backoffice-case-photo",
        "GET",
        Audience.HOAN_KIEM,
        "officer",
        args=lambda w: [w.case.pk, w.photo.pk, "thumb"],
    ),
    Endpoint(
        "case-document",
        "backoffice-case-document",
        "GET",
        Audience.HOAN_KIEM,
        "officer",
        args=lambda w: [w.case.pk, w.document.pk],
    ),
    _act("accept", "officer", "submitted", assignee=lambda w: str(w.cast.officer.pk)),
    _act("reject", "officer", "submitted", reason=lambda w: "Ngoài phạm vi."),
    _act("mark_duplicate", "officer", "submitted", original=lambda w: w.original.petition.tracking_code),
    _act("escalate", "officer", "submitted", reason=lambda w: "Vượt thẩm quyền của phường."),
    _act(
        "transfer",
        "leader",
        "submitted",
        unit=lambda w: str(w.tree.cua_nam.pk),
        reason=lambda w: "Sai địa bàn.",
    ),
    # At Hà Nội after an escalation: the request sends it back down to Hoàn Kiếm.
    _act(
        "return_down",
        "province_leader",
        "escalated",
        unit=lambda w: str(w.tree.hoan_kiem.pk),
        reason=lambda w: "Thuộc thẩm quyền của phường.",
    ),
    _act(
        "refer",
        "officer",
        "in_progress",
        agency=lambda w: "Sở Xây dựng",
        due=lambda w: (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
    ),
    _act("agency_replied", "officer", "awaiting_agency", note=lambda w: "Sở đã trả lời."),
    _act("ask_citizen", "officer", "in_progress", question=lambda w: "Xin gửi ảnh chụp hiện trường."),
    _act("reassign", "leader", "in_progress", officer=lambda w: str(w.cast.officer2.pk)),
    _act("extend", "leader", "in_progress", days=lambda w: "1", reason=lambda w: "Chờ kết quả kiểm tra."),
    _act("submit_response", "officer", "in_progress", text=lambda w: "Phường đã xử lý xong."),
    _act("approve", "leader", "pending_approval"),
    _act("send_back", "leader", "pending_approval", note=lambda w: "Bổ sung ảnh hiện trường."),
]

BY_ID = {endpoint.id: endpoint for endpoint in ENDPOINTS}


def refuses(endpoint: Endpoint, who: str) -> bool:
    """Whether staff member ``who`` of another unit is refused the request (else it is scoped to them)."""
    if endpoint.audience is Audience.OWN_ACCOUNT:
        return "leader" not in who
    return endpoint.audience in (Audience.HOAN_KIEM, Audience.LEADERS)


# --- reading responses ------------------------------------------------------------------------


def text_of(response: Any) -> str:
    """Everything a response tells its reader: the page, a CSV or XLSX file's cells, where it redirects."""
    # Not response.close(): it sends request_finished, whose close_old_connections would close
    # the test's PostgreSQL connection in the middle of its transaction.
    content = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if content_type.startswith("image/"):
        text = ""
    elif "spreadsheetml" in content_type:
        book = load_workbook(io.BytesIO(content), read_only=True)
        text = "\n".join(
            "\t".join("" if value is None else str(value) for value in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    else:
        text = content.decode("utf-8-sig", errors="replace")
    return text + "\n" + response.get("Location", "")


def assert_shows_nothing_of_hoan_kiem(response: Any, world: World, endpoint: Endpoint) -> None:
    # The request's own words may be echoed back (a form with an error); nothing else of Hoàn Kiếm's.
    sent = repr(endpoint.params(world))
    text = text_of(response)
    leaked = [secret for secret in world.secrets() if secret not in sent and secret in text]
    assert not leaked, f"{endpoint.id}: the response shows Hoàn Kiếm's {leaked}"
    location = response.get("Location", "")
    for pk in Case.objects.filter(unit=world.tree.hoan_kiem).values_list("pk", flat=True):
        assert f"/cases/{pk}/" not in location, f"{endpoint.id}: redirected to Hoàn Kiếm's case {pk}"


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def xlsx_rows(response: Any) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _ids(endpoint: Endpoint) -> str:
    return endpoint.id


# --- the table is complete and honest ----------------------------------------------------------


def test_every_back_office_url_is_in_the_access_table():
    patterns = backoffice_urls.urlpatterns
    assert all(isinstance(p, URLPattern) for p in patterns), "an include() hides URLs from this table"
    names = {str(p.name) for p in patterns}
    tabled = {endpoint.name for endpoint in ENDPOINTS}
    missing = names - tabled - PUBLIC
    assert not missing, (
        f"add these URLs to ENDPOINTS in {__name__} (with their access rules): {sorted(missing)}"
    )
    assert not (tabled | PUBLIC) - names, (
        f"ENDPOINTS names URLs that no longer exist: {(tabled | PUBLIC) - names}"
    )


def test_every_case_action_and_bulk_action_is_in_the_access_table():
    acts = {e.action for e in ENDPOINTS if e.name == "backoffice-case-act"}
    bulk = {e.action for e in ENDPOINTS if e.name == "backoffice-bulk"}
    assert set(ACTIONS) == acts, f"case actions missing from ENDPOINTS: {set(ACTIONS) - acts}"
    assert set(RUNS) == bulk, f"bulk actions missing from ENDPOINTS: {set(RUNS) - bulk}"
    assert len(BY_ID) == len(ENDPOINTS), "two endpoints share an id"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
def test_the_table_requests_work_for_hoan_kiems_own_staff(client, build_world, endpoint):
    world = build_world(endpoint.state)
    before, counts = hoan_kiem_state(world), row_counts()
    client.force_login(getattr(world.cast, endpoint.owner))
    response = endpoint.send(client, world)
    assert response.status_code == endpoint.expected_ok, endpoint.id
    text = text_of(response)
    for shown in endpoint.shows(world):
        assert shown in text, f"{endpoint.id}: {shown!r} missing for {endpoint.owner}"
    if endpoint.method == "POST":
        assert (hoan_kiem_state(world), row_counts()) != (before, counts), f"{endpoint.id} changed nothing"
    if endpoint.name == "backoffice-bulk":
        assert response.context["done"] == 1, f"{endpoint.id}: {response.context['outcomes']}"


def _methods_not_accepted() -> list[Any]:
    accepted: dict[str, set[str]] = {}
    first: dict[str, Endpoint] = {}
    for endpoint in ENDPOINTS:
        accepted.setdefault(endpoint.name, set()).add(endpoint.method)
        first.setdefault(endpoint.name, endpoint)
    return [
        pytest.param(first[name], method, id=f"{name}-{method}")
        for name in accepted
        for method in ("GET", "POST")
        if method not in accepted[name]
    ]


@pytest.mark.parametrize(("endpoint", "method"), _methods_not_accepted())
def test_urls_refuse_the_methods_the_table_does_not_list(client, build_world, endpoint, method):
    world = build_world(endpoint.state)
    before, counts = hoan_kiem_state(world), row_counts()
    client.force_login(getattr(world.cast, endpoint.owner))
    response = getattr(client, method.lower())(endpoint.url(world), endpoint.params(world))
    assert response.status_code == 405
    assert (hoan_kiem_state(world), row_counts()) == (before, counts)


# --- signed out, no unit, other units ----------------------------------------------------------


def _sign_in_as(client: Any, world: World, endpoint: Endpoint, who: str) -> None:
    owner = getattr(world.cast, endpoint.owner)
    if who == "deactivated-owner":
        owner.is_active = False
        owner.save(update_fields=["is_active"])
        client.force_login(owner)
    elif who == "owner-without-second-factor":
        # The password alone: this session never entered the code of the owner's confirmed device.
        TOTPDevice.objects.create(user=owner, name="phone", confirmed=True)
        client.force_login(owner)


@pytest.mark.parametrize("who", ["anonymous", "deactivated-owner", "owner-without-second-factor"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
def test_signed_out_visitors_are_sent_to_the_office_sign_in(client, build_world, endpoint, who):
    world = build_world(endpoint.state)
    _sign_in_as(client, world, endpoint, who)
    before, counts = hoan_kiem_state(world), row_counts()
    response = endpoint.send(client, world)
    assert response.status_code == 302, f"{endpoint.id} as {who}"
    assert response["Location"].startswith(f"{LOGIN}?next="), response["Location"]
    assert (hoan_kiem_state(world), row_counts()) == (before, counts)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_ids)
def test_accounts_without_a_unit_are_refused(client, build_world, endpoint):
    world = build_world(endpoint.state)
    before, counts = hoan_kiem_state(world), row_counts()
    client.force_login(world.cast.outsider)
    response = endpoint.send(client, world)
    assert response.status_code == 403, endpoint.id
    assert_shows_nothing_of_hoan_kiem(response, world, endpoint)
    assert (hoan_kiem_state(world), row_counts()) == (before, counts)


REFUSED = [
    pytest.param(e, who, id=f"{e.id}-as-{who}") for e in ENDPOINTS for who in FOREIGN_STAFF if refuses(e, who)
]
SCOPED = [
    pytest.param(e, who, id=f"{e.id}-as-{who}")
    for e in ENDPOINTS
    for who in FOREIGN_STAFF
    if not refuses(e, who)
]


@pytest.mark.parametrize(("endpoint", "who"), REFUSED)
def test_other_units_staff_are_refused_and_change_nothing(client, build_world, endpoint, who):
    world = build_world(endpoint.state)
    before, counts = hoan_kiem_state(world), row_counts()
    client.force_login(getattr(world.cast, who))
    response = endpoint.send(client, world)
    assert response.status_code in (403, 404), f"{endpoint.id} as {who}: {response.status_code}"
    assert_shows_nothing_of_hoan_kiem(response, world, endpoint)
    assert hoan_kiem_state(world) == before
    assert row_counts() == counts


@pytest.mark.parametrize(("endpoint", "who"), SCOPED)
def test_staff_pages_show_other_units_staff_nothing_of_hoan_kiem(client, build_world, endpoint, who):
    world = build_world(endpoint.state)
    before = hoan_kiem_state(world)
    client.force_login(getattr(world.cast, who))
    response = endpoint.send(client, world)
    assert response.status_code in (200, 302, 400), f"{endpoint.id} as {who}: {response.status_code}"
    assert_shows_nothing_of_hoan_kiem(response, world, endpoint)
    assert hoan_kiem_state(world) == before


# --- leaders' pages and drill-down --------------------------------------------------------------

LEADER_PAGES = [e for e in ENDPOINTS if e.audience is Audience.LEADERS]
DRILL_DOWN = [*LEADER_PAGES, BY_ID["unit-cases"], BY_ID["export-csv"], BY_ID["export-xlsx"]]
OFFICERS = [
    "officer",
    "officer2",
    "other_officer",
    "province_officer",
    "other_province_officer",
    "central_officer",
]


def _at_unit(client: Any, world: World, endpoint: Endpoint, code: str | None) -> Any:
    if endpoint.name == "backoffice-unit-cases":
        return client.get(reverse("backoffice:backoffice-unit-cases", args=[code]), endpoint.params(world))
    params = {k: v for k, v in endpoint.params(world).items() if k != "unit"}
    return client.get(endpoint.url(world), {**params, **({"unit": code} if code else {})})


@pytest.mark.parametrize("endpoint", LEADER_PAGES, ids=_ids)
def test_leader_only_pages_refuse_every_officer_even_for_their_own_unit(client, build_world, endpoint):
    world = build_world()
    for who in OFFICERS:
        user = getattr(world.cast, who)
        client.force_login(user)
        for code in (None, user.membership.unit.code, "W00070"):
            response = _at_unit(client, world, endpoint, code)
            assert response.status_code == 403, f"{endpoint.id} as {who} for unit={code}"


#: (who, unit code): units outside the asker's subtree, and one that does not exist.
OUTSIDE_SUBTREE = [
    ("leader", "P01"),
    ("leader", "TW"),
    ("leader", "W00073"),
    ("leader", "W26743"),
    ("leader", "NOPE"),
    ("other_commune_leader", "W00070"),
    ("other_commune_leader", "P01"),
    ("province_leader", "TW"),
    ("province_leader", "P79"),
    ("province_leader", "W26743"),
    ("other_province_leader", "W00070"),
    ("other_province_leader", "P01"),
    ("other_province_leader", "TW"),
    ("officer", "P01"),
    ("province_officer", "W00070"),
    ("other_officer", "W00070"),
]
#: (who, unit code): the asker's own unit, or one below it.
INSIDE_SUBTREE = [
    ("leader", "W00070"),
    ("province_leader", "P01"),
    ("province_leader", "W00070"),
    ("province_leader", "W00073"),
    ("other_province_leader", "W26743"),
    ("central_leader", "W00070"),
    ("central_leader", "P79"),
]


@pytest.mark.parametrize("endpoint", DRILL_DOWN, ids=_ids)
def test_units_outside_the_askers_subtree_are_refused(client, build_world, endpoint):
    world = build_world()
    for who, code in OUTSIDE_SUBTREE:
        client.force_login(getattr(world.cast, who))
        response = _at_unit(client, world, endpoint, code)
        assert response.status_code == 403, f"{endpoint.id} as {who} for unit={code}: {response.status_code}"
        assert_shows_nothing_of_hoan_kiem(response, world, endpoint)


@pytest.mark.parametrize("endpoint", DRILL_DOWN, ids=_ids)
def test_leaders_drill_down_into_their_own_subtree(client, build_world, endpoint):
    world = build_world()
    for who, code in INSIDE_SUBTREE:
        client.force_login(getattr(world.cast, who))
        response = _at_unit(client, world, endpoint, code)
        assert response.status_code == 200, f"{endpoint.id} as {who} for unit={code}: {response.status_code}"
        text_of(response)


# --- exports ---------------------------------------------------------------------------------

UNIT_CODES = ["TW", "P01", "P79", "W00070", "W00073", "W26743"]
ALL_UNITS = set(UNIT_CODES)
#: The units whose case list each staff member may export.
EXPORT_SCOPES = {
    "officer": {"W00070"},
    "officer2": {"W00070"},
    "leader": {"W00070"},
    "other_officer": {"W00073"},
    "other_commune_leader": {"W00073"},
    "province_officer": {"P01"},
    "province_leader": {"P01", "W00070", "W00073"},
    "other_province_officer": {"P79"},
    "other_province_leader": {"P79", "W26743"},
    # Anyone at the central level reads every case (routing.selectors.visible_unit_path).
    "central_officer": ALL_UNITS,
    "central_leader": ALL_UNITS,
}


@pytest.fixture
def case_per_unit(tree: Tree, submit: Any) -> dict[str, Petition]:
    """One open case at each unit, each with its own citizen's contact details."""
    communes = {"TW": tree.hoan_kiem, "P01": tree.hoan_kiem, "P79": tree.ben_thanh}
    petitions = {}
    for n, code in enumerate(UNIT_CODES):
        unit = Unit.objects.get(code=code)
        petition = submit(
            commune=communes.get(code, unit),
            phone=f"0912 40{n} 50{n}",
            submitter_name=f"Công dân số {n} ở {code}",
            email=f"citizen{n}@example.com",
            address=f"Số {n} phố Thử Nghiệm {code}",
            title=f"Phản ánh tại đơn vị {code}",
        ).petition
        shape(petition.case, unit=unit)
        petitions[code] = petition
    return petitions


def _contacts(petition: Petition) -> list[str]:
    return [petition.submitter_name, petition.phone_display, petition.email, petition.address]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("who", sorted(EXPORT_SCOPES))
def test_exports_hold_only_the_asked_units_cases_and_contacts_only_for_its_own_leaders(
    client, cast, case_per_unit, who, fmt
):
    user = getattr(cast, who)
    own = user.membership.unit.code
    client.force_login(user)
    url = reverse("backoffice:backoffice-export", args=[fmt])
    for code in [None, *UNIT_CODES]:
        scope = code or own
        response = client.get(url, {"unit": code} if code else {})
        if scope not in EXPORT_SCOPES[who]:
            assert response.status_code == 403, f"{who} exported unit={code}"
            continue
        assert response.status_code == 200, f"{who} could not export unit={code}"
        rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
        assert [row[0] for row in rows[1:]] == [case_per_unit[scope].tracking_code], f"{who} unit={code}"
        text = "\n".join("\t".join(row) for row in rows)
        with_contacts = user.membership.is_leader and scope == own
        for unit_code, petition in case_per_unit.items():
            for detail in _contacts(petition):
                expected = with_contacts and unit_code == scope
                assert (detail in text) == expected, f"{who} unit={code}: {detail!r} shown={not expected}"


# --- two-factor sign-in -------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name == "backoffice-two-factor"], ids=_ids)
@pytest.mark.parametrize("who", OFFICERS)
def test_the_two_factor_page_refuses_officers(client, build_world, endpoint, who):
    world = build_world()
    devices = row_counts()["devices"]
    client.force_login(getattr(world.cast, who))
    assert endpoint.send(client, world).status_code == 403
    assert row_counts()["devices"] == devices


# --- a province leader reads below but acts only at its own level ------------------------------


def test_a_province_leader_reads_a_commune_case_but_cannot_act(client, build_world):
    world = build_world()
    client.force_login(world.cast.province_leader)
    page = client.get(reverse("backoffice:backoffice-case", args=[world.case.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert world.case.petition.tracking_code in body
    assert world.case.petition.phone_display not in body  # contact details only for the handling unit
    assert 'id="action-accept"' not in body
    before = hoan_kiem_state(world)
    response = client.post(
        reverse("backoffice:backoffice-case-act", args=[world.case.pk, "escalate"]),
        {"escalate-version": str(world.case.version), "escalate-reason": "Thử"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("backoffice:backoffice-case-note", args=[world.case.pk]),
        {"note-text": "x", "note-is_public": "0"},
    )
    assert response.status_code == 403
    assert hoan_kiem_state(world) == before


@pytest.mark.parametrize("who", ["province_leader", "central_leader", "central_officer"])
def test_photos_are_only_for_the_handling_unit(client, build_world, who):
    world = build_world("in_progress")
    url = reverse("backoffice:backoffice-case-photo", args=[world.case.pk, world.photo.pk, "thumb"])
    client.force_login(world.cast.officer2)
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)  # read (not close(): see text_of)
    client.force_login(getattr(world.cast, who))
    assert client.get(url).status_code == 404


# --- the public pages: sign in, the code step, sign out ------------------------------------------


def test_the_sign_in_pages_show_signed_out_visitors_no_case_data(client, build_world):
    world = build_world()
    for name in sorted(PUBLIC - {"backoffice-logout"}):
        response = client.get(reverse(f"backoffice:{name}"), follow=True)
        assert response.status_code == 200, name
        assert response.redirect_chain in ([], [(LOGIN, 302)]), name
        body = response.content.decode()
        assert not [secret for secret in world.secrets() if secret in body], name
        assert "_auth_user_id" not in client.session


def test_a_wrong_password_does_not_tell_whether_the_account_exists(client, cast):
    known = client.post(LOGIN, {"username": "leader", "password": "wrong"})
    unknown = client.post(LOGIN, {"username": "nobody-here", "password": "wrong"})
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    assert "Phường Hoàn Kiếm" not in known.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_never_sends_to_another_site(client, cast):
    response = client.post(
        f"{LOGIN}?next=https://evil.example/office/", {"username": "officer", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_the_code_step_shows_nothing_and_signs_no_one_in(client, build_world):
    world = build_world()
    TOTPDevice.objects.create(user=world.cast.province_leader, name="phone", confirmed=True)
    response = client.post(LOGIN, {"username": "province_leader", "password": PASSWORD})
    assert response["Location"] == reverse("backoffice:backoffice-login-verify")
    body = client.get(response["Location"]).content.decode()
    assert "Thành phố Hà Nội" not in body
    assert not [secret for secret in world.secrets() if secret in body]
    assert "_auth_user_id" not in client.session
    inbox = client.get(reverse("backoffice:backoffice-inbox"))
    assert inbox["Location"].startswith(f"{LOGIN}?next=")


def test_signing_out_takes_a_post_and_ends_the_session(client, cast):
    url = reverse("backoffice:backoffice-logout")
    client.force_login(cast.officer)
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("backoffice:backoffice-inbox"))["Location"].startswith(f"{LOGIN}?next=")


def test_sign_in_is_locked_after_repeated_failures(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": "officer", "password": "wrong"})
    response = client.post(LOGIN, {"username": "officer", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_in_works_with_the_right_password(client, cast):
    response = client.post(LOGIN, {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("backoffice:backoffice-inbox")).status_code == 200
