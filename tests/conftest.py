"""The usual cast: a small unit tree, staff at each level, categories and a submit helper."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import importlib
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis
from channels.layers import get_channel_layer
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.utils import translation

from config.reference import clear_all
from notifications.transports.sms import LocmemSmsBackend
from petitions.models import Category
from petitions.services import Submission, SubmissionResult, petition_submit
from routing import services
from routing.actors import CitizenActor
from routing.models import Case, CaseState, Level, Membership, Role, Unit

_counter = itertools.count(1)

#: The real search engine, shared by the run (tests/search_engine.py).
pytest_plugins = ["tests.search_engine"]


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "notifications.transports.sms.LocmemSmsBackend"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PORTAL_MIN_FORM_SECONDS = 0
    # Maps draw without tiles in tests: nothing is fetched from the network, whatever the environment says.
    settings.MAP_TILE_URL = settings.MAP_TILE_ATTRIBUTION = ""
    # A catch-up timer would outlive the test that armed it (tests/config/test_jobs.py turns it on).
    settings.JOBS_INPROCESS_CATCH_UP = False
    # Jobs run synchronously after commit, as tests expect (an SMS is in the outbox once the
    # on-commit callbacks ran); a worker thread would also outlive the test's database.
    # tests/config/test_jobs_thread.py turns it on.
    settings.JOBS_INPROCESS_THREAD = False
    # A cache namespace of its own per test: rate-limit counters and cached statistics
    # never leak between tests, also when parallel workers share one Redis.
    cache = dict(settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {**settings.CACHES, "default": cache}
    LocmemSmsBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _fresh_reference_data() -> Iterator[None]:
    """Each test reads categories, units and policies as its database has them (config.reference).

    A test's rows vanish with its transaction, which sends no signal: the copy a process holds
    would outlive them.
    """
    clear_all()
    yield
    clear_all()


@pytest.fixture(autouse=True)
def _outboxes_saw_no_outage() -> None:
    """What a process remembers of an outage (the next success pulls the waiting rows forward) is
    not carried from one test to the next."""
    from notifications import sending
    from search import outbox as search_outbox

    sending._seen_failing.clear()
    sending._last_pull.clear()
    search_outbox._seen_down = False


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request to ``/en/...`` leaves English active in this thread: the next test starts in Vietnamese."""
    yield
    translation.deactivate()


def requires_postgres() -> Any:
    return pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


def seed_reference_data() -> None:
    """Bring back what the data migrations seeded; ``transaction=True`` flushes it after each test."""
    for module in (
        "petitions.migrations.0003_seed_categories",
        "routing.migrations.0002_default_sla_policies",
    ):
        importlib.import_module(module).seed(apps, None)


@pytest.fixture
def channel_layer(settings: Any) -> Iterator[Any]:
    """A channel layer of this test's own: Redis under a fresh prefix when REDIS_URL is set, else in memory.

    A real Redis, never a mock; the prefix keeps parallel workers and earlier tests out of
    each other's groups.
    """
    prefix = f"test-{uuid.uuid4().hex}"
    if settings.REDIS_URL:
        # The project's own Redis layer settings (connection options included), under a new prefix.
        layer = copy.deepcopy(settings.CHANNEL_LAYERS["default"])
        assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer"
        layer["CONFIG"]["prefix"] = prefix
        settings.CHANNEL_LAYERS = {"default": layer}
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    yield get_channel_layer()
    if settings.REDIS_URL:
        # Not the layer's own flush(): its connections belong to whichever event loop used them
        # (daphne's, in browser tests), and the prefix is all this test wrote under.
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()


@dataclass
class Tree:
    central: Unit
    hanoi: Unit
    hcm: Unit
    hoan_kiem: Unit
    cua_nam: Unit
    ben_thanh: Unit


def build_tree() -> Tree:
    """Central, Hà Nội (Hoàn Kiếm, Cửa Nam) and Hồ Chí Minh (Bến Thành)."""
    central = Unit.objects.create(code="TW", name="Trung ương", level=Level.CENTRAL)
    hanoi = Unit.objects.create(
        code="P01", name="Thành phố Hà Nội", level=Level.PROVINCE, parent=central, admin_code=1
    )
    hcm = Unit.objects.create(
        code="P79", name="Thành phố Hồ Chí Minh", level=Level.PROVINCE, parent=central, admin_code=79
    )
    hoan_kiem = Unit.objects.create(
        code="W00070", name="Phường Hoàn Kiếm", level=Level.COMMUNE, parent=hanoi, admin_code=70
    )
    cua_nam = Unit.objects.create(
        code="W00073", name="Phường Cửa Nam", level=Level.COMMUNE, parent=hanoi, admin_code=73
    )
    ben_thanh = Unit.objects.create(
        code="W26743", name="Phường Bến Thành", level=Level.COMMUNE, parent=hcm, admin_code=26743
    )
    return Tree(central, hanoi, hcm, hoan_kiem, cua_nam, ben_thanh)


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    """``transaction=True`` tests start from empty tables: the reference data first (request it before ``submit``)."""
    seed_reference_data()


@pytest.fixture
def tree(db: Any) -> Tree:
    return build_tree()


def make_staff(unit: Unit, role: str = Role.OFFICER, *, username: str | None = None, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username or f"staff{next(_counter)}", password="x-Strong-pass-42", **extra
    )
    Membership.objects.create(user=user, unit=unit, role=role)
    return User.objects.select_related("membership__unit").get(pk=user.pk)


@dataclass
class Cast:
    officer: User  # commune officer at Hoàn Kiếm
    officer2: User  # second officer at Hoàn Kiếm
    leader: User  # commune leader at Hoàn Kiếm
    other_officer: User  # officer at Cửa Nam (same province, other commune)
    other_commune_leader: User  # leader at Cửa Nam
    province_officer: User
    province_leader: User  # Hà Nội
    other_province_leader: User  # Hồ Chí Minh
    other_province_officer: User
    central_officer: User
    central_leader: User
    superuser: User
    outsider: User  # active account with no membership


@pytest.fixture
def cast(tree: Tree) -> Cast:
    return Cast(
        officer=make_staff(tree.hoan_kiem, username="officer"),
        officer2=make_staff(tree.hoan_kiem, username="officer2"),
        leader=make_staff(tree.hoan_kiem, Role.LEADER, username="leader"),
        other_officer=make_staff(tree.cua_nam, username="other_officer"),
        other_commune_leader=make_staff(tree.cua_nam, Role.LEADER, username="other_commune_leader"),
        province_officer=make_staff(tree.hanoi, username="province_officer"),
        province_leader=make_staff(tree.hanoi, Role.LEADER, username="province_leader"),
        other_province_leader=make_staff(tree.hcm, Role.LEADER, username="other_province_leader"),
        other_province_officer=make_staff(tree.hcm, username="other_province_officer"),
        central_officer=make_staff(tree.central, username="central_officer"),
        central_leader=make_staff(tree.central, Role.LEADER, username="central_leader"),
        superuser=User.objects.create_superuser(username="root", password="x-Strong-pass-42"),
        outsider=User.objects.create_user(username="outsider", password="x-Strong-pass-42"),
    )


@pytest.fixture
def category(db: Any) -> Category:
    return Category.objects.get(code="environment")


SUBMISSION_FIELDS = frozenset(field.name for field in dataclasses.fields(Submission))


def file_petition(**fields: Any) -> SubmissionResult:
    """``petition_submit`` with flat keywords: the submission's fields and how it was filed, mixed."""
    submission = Submission(**{name: value for name, value in fields.items() if name in SUBMISSION_FIELDS})
    return petition_submit(
        submission=submission,
        **{name: value for name, value in fields.items() if name not in SUBMISSION_FIELDS},
    )


@pytest.fixture
def submit(tree: Tree, category: Category) -> Any:
    """Submit a valid petition; keyword arguments override the defaults."""

    def _submit(**overrides: Any) -> SubmissionResult:
        fields: dict[str, Any] = {
            "category": category,
            "commune": tree.hoan_kiem,
            "phone": "0912 345 678",
            "submitter_name": "Nguyễn Văn An",
            "title": "Rác thải ùn ứ trên phố Hàng Bông",
            "text": "Rác thải sinh hoạt không được thu gom ba ngày nay, gây mùi hôi.",
        }
        fields.update(overrides)
        return file_petition(**fields)

    return _submit


@pytest.fixture
def case(submit: Any) -> Case:
    """A fresh submitted case at Phường Hoàn Kiếm."""
    return submit().petition.case


def citizen_of(case: Case) -> CitizenActor:
    return CitizenActor(petition_id=case.petition_id)


def fresh(case: Case) -> Case:
    return Case.objects.select_related("unit", "petition").get(pk=case.pk)


def advance(case: Case, state: str, cast: Cast) -> Case:
    """Drive a case at Hoàn Kiếm through real services into ``state``."""

    from django.utils import timezone

    path = {
        "submitted": [],
        "in_progress": ["accept"],
        "awaiting_agency": ["accept", "refer"],
        "awaiting_citizen": ["accept", "ask"],
        "pending_approval": ["accept", "submit_response"],
        "responded": ["accept", "submit_response", "approve"],
        "closed": ["accept", "submit_response", "approve", "satisfied"],
        "rejected": ["reject"],
        "duplicate": ["duplicate"],
        "withdrawn": ["withdraw"],
    }[state]
    if path[:1] == ["accept"] and Case.objects.filter(pk=case.pk, state=CaseState.IN_PROGRESS).exists():
        path = path[1:]  # accepted already
    for step in path:
        if step == "accept":
            services.case_accept(case_id=case.pk, actor=cast.officer)
        elif step == "refer":
            due = timezone.localdate() + dt.timedelta(days=10)
            services.case_refer(case_id=case.pk, actor=cast.officer, agency="Sở Xây dựng", due=due)
        elif step == "ask":
            services.case_ask_citizen(
                case_id=case.pk, actor=cast.officer, question="Ảnh chụp chỗ ngập ở đâu?"
            )
        elif step == "submit_response":
            services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã xử lý xong.")
        elif step == "approve":
            services.case_approve(case_id=case.pk, actor=cast.leader)
        elif step == "satisfied":
            services.case_citizen_feedback(case_id=case.pk, actor=citizen_of(case), resolved=True, rating=5)
        elif step == "reject":
            services.case_reject(case_id=case.pk, actor=cast.officer, reason="Ngoài phạm vi.")
        elif step == "duplicate":
            other = petition_submit(
                submission=Submission(
                    category=case.petition.category,
                    commune=case.unit,
                    phone="0912345678",
                    submitter_name="Trần Thị Bình",
                    title="Rác thải ùn ứ",
                    text="Cùng nội dung với phản ánh trước đó về rác thải.",
                )
            ).petition.case
            services.case_mark_duplicate(case_id=case.pk, actor=cast.officer, original_id=other.pk)
        elif step == "withdraw":
            services.case_withdraw(case_id=case.pk, actor=citizen_of(case))
    result = fresh(case)
    assert result.state == state
    return result


# --- a hand-computed week for the leaders' numbers (tests/routing/test_metrics.py) ---

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int = 8) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=HCMC)


def shape(case: Case, **fields: object) -> None:
    """Put a case's timestamps and state where the fixture wants them (test data only)."""
    Case.objects.filter(pk=case.pk).update(**fields)


@pytest.fixture
def week(submit, tree, cast):
    """The week of Monday 2 to Sunday 8 November 2026 in Hà Nội (and one case elsewhere).

    Hoàn Kiếm: A triaged in 2 h, responded in 48 h on time, closed;
               B triaged in 24 h, responded in 96 h, late;
               C triaged in 6 h, in progress, overdue.
    Cửa Nam:   D submitted before the week, triaged in 24 h and responded in 144 h (on time) in it;
               E submitted, waiting.
    Hà Nội:    F escalated to the province, waiting.
    Bến Thành: G responded in the week (another province: never counted for Hà Nội).
    """
    cases = {name: submit().petition.case for name in "ABCDEFG"}
    shape(
        cases["A"],
        state=CaseState.CLOSED,
        submitted_at=at(2),
        triaged_at=at(2, 10),
        responded_at=at(4),
        resolution_due_at=at(10),
        closed_at=at(5),
        due_at=None,
    )
    shape(
        cases["B"],
        state=CaseState.RESPONDED,
        submitted_at=at(2),
        triaged_at=at(3),
        responded_at=at(6),
        resolution_due_at=at(5),
    )
    shape(cases["C"], state=CaseState.IN_PROGRESS, submitted_at=at(3), triaged_at=at(3, 14), is_overdue=True)
    shape(
        cases["D"],
        unit=tree.cua_nam,
        state=CaseState.CLOSED,
        submitted_at=at(1),
        triaged_at=at(2),
        responded_at=at(7),
        resolution_due_at=at(12),
        closed_at=at(8),
    )
    shape(cases["E"], unit=tree.cua_nam, submitted_at=at(5))
    shape(cases["F"], unit=tree.hanoi, submitted_at=at(4))
    shape(
        cases["G"],
        unit=tree.ben_thanh,
        state=CaseState.RESPONDED,
        submitted_at=at(2),
        triaged_at=at(2, 9),
        responded_at=at(3),
        resolution_due_at=at(9),
    )
    return cases
